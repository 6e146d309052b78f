"""The review queues: accounts that matched no person, and names that matched no application or
license pool with confidence. Access is checked by the access table; decisions go through
licenses.review."""

from collections import defaultdict

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.db.models.functions import Lower, StrIndex, Substr
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_filters.views import FilterView

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.matching import domain_aliases
from licenses.models import IdentityReview, LicensePool, NameReview, PendingActivity
from licenses.review import (
    ReviewError,
    identity_review_link,
    identity_review_mark,
    identity_review_reopen,
    name_review_confirm,
    name_review_reject,
    name_review_reopen,
)
from licenses.review_forms import (
    IdentityDecisionForm,
    IdentityReviewFilterSet,
    NameDecisionForm,
    NameReviewFilterSet,
)
from saasmgr.inventory.models import Application, Person

PAGE_SIZE = 50
PEOPLE_FOUND = 15
PEOPLE_SUGGESTED = 3
# People's emails are looked for at this many of their most common domains.
SUGGESTION_DOMAINS = 5
SEARCH_MIN_CHARACTERS = 2


def _pending_first():
    """Sorts the entries waiting for review before the settled ones (both queues call that status "pending")."""
    return Case(When(status=IdentityStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _form_error(form) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors))


class ReviewListView(FilterView):
    """A filtered, paginated queue; a page past the end (after the last row on it was settled) shows the last page."""

    paginate_by = PAGE_SIZE

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        context["page_range"] = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        context["filtered"] = any(v for k, v in self.request.GET.items() if k not in ("page", "kind"))
        return context


# Accounts


def identity_review_queryset():
    return IdentityReview.objects.select_related("person", "reviewed_by").order_by(
        _pending_first(), "-sightings", "-last_seen", "identity"
    )


class IdentityReviewListView(ReviewListView):
    filterset_class = IdentityReviewFilterSet
    template_name = "licenses/review/identity_list.html"

    def get_queryset(self):
        return identity_review_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = IdentityReview.objects.aggregate(
            total=Count("pk"), pending=Count("pk", filter=Q(status=IdentityStatus.PENDING))
        )
        context.update(
            rows=identity_rows(list(context["page_obj"].object_list)),
            total_count=counts["total"],
            pending_count=counts["pending"],
            reset_url=reverse("licenses:identity_review_list"),
        )
        return context


def identity_rows(reviews: list[IdentityReview]) -> list[dict]:
    """The page's reviews with their waiting activity days and suggested people, in two queries."""
    waiting = dict(
        PendingActivity.objects.filter(identity__in=[r.identity for r in reviews])
        .values_list("identity")
        .annotate(days=Count("pk"))
    )
    suggested = _suggested_people([r.identity for r in reviews if r.status == IdentityStatus.PENDING])
    return [
        {
            "review": review,
            "waiting_days": waiting.get(review.identity, 0),
            "applications": [name for name in review.applications.split(", ") if name],
            "people": suggested.get(_local_part(review.identity), []),
        }
        for review in reviews
    ]


def _local_part(identity: str) -> str:
    return identity.rsplit("@", 1)[0] if "@" in identity else identity


def _suggested_people(identities: list[str]) -> dict[str, list[Person]]:
    """People whose email is the account's name at a common domain ("a.lee@corp.io" and "alee" suggest
    a.lee@… and alee@…), found through the index on the lower-cased email."""
    local_parts = {_local_part(identity) for identity in identities if _local_part(identity)}
    if not local_parts:
        return {}
    domains = _people_email_domains()
    emails = {f"{local}@{domain}" for local in local_parts for domain in domains}
    found: dict[str, list[Person]] = defaultdict(list)
    people = Person.objects.annotate(lower_email=Lower("email")).filter(lower_email__in=emails).order_by("name")
    for person in people:
        local = _local_part(person.lower_email)
        if len(found[local]) < PEOPLE_SUGGESTED:
            found[local].append(person)
    return found


def _people_email_domains() -> list[str]:
    """The domains most people's email is at, and the canonical domains of IDENTITY_DOMAIN_ALIASES.
    Counting them reads every person, so the answer is cached until a person is added or changed."""
    stamp = Person.objects.aggregate(count=Count("pk"), changed=Max("updated_at"))
    changed = stamp["changed"].timestamp() if stamp["changed"] else 0
    key = f"licenses:review:email-domains:{stamp['count']}:{changed}"
    domains = cache.get(key)
    if domains is None:
        by_domain = (
            Person.objects.annotate(domain=Lower(Substr("email", StrIndex("email", Value("@")) + 1)))
            .values("domain")
            .annotate(people=Count("pk"))
            .order_by("-people", "domain")
        )
        domains = [row["domain"] for row in by_domain[:SUGGESTION_DOMAINS]]
        cache.set(key, domains, timeout=24 * 3600)
    return sorted(set(domains) | set(domain_aliases().values()))


def people_matching(text: str) -> list[Person]:
    text = text.strip()
    if "<" in text:  # an entry picked from the list: "Ann Lee <ann@…>"
        text = text.split("<", 1)[0].strip() or text
    if len(text) < SEARCH_MIN_CHARACTERS:
        return []
    matching = Person.objects.filter(Q(name__icontains=text) | Q(email__icontains=text))
    return list(matching.select_related("department").order_by("name")[:PEOPLE_FOUND])


class IdentityReviewResolveView(View):
    model = IdentityReview

    def get(self, request, pk: int):
        review = get_object_or_404(IdentityReview.objects.select_related("person", "reviewed_by"), pk=pk)
        if request.htmx and "person" in request.GET:
            people = people_matching(request.GET["person"])
            return render(request, "licenses/review/_people_options.html", {"people": people})
        context = {
            "row": identity_rows([review])[0],
            "list_url": reverse("licenses:identity_review_list"),
        }
        return render(request, "licenses/review/identity_detail.html", context)

    def post(self, request, pk: int):
        review = get_object_or_404(IdentityReview, pk=pk)
        back = _next_url(request, reverse("licenses:identity_review_list"))
        form = IdentityDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"“{review.raw}”: {_form_error(form)}")
            return redirect(back)
        try:
            messages.success(request, _identity_decide(review, form.cleaned_data, request.user))
        except ReviewError as exc:
            messages.error(request, str(exc))
        return redirect(back)


def _identity_decide(review: IdentityReview, data: dict, user) -> str:
    action = data["action"]
    if action == IdentityDecisionForm.LINK:
        link = identity_review_link(review=review, person=data["person"], user=user)
        alias = " It is saved as their alias, so the next import matches it by itself." if link.alias_created else ""
        return (
            f"Linked “{review.raw}” to {data['person'].name}: {_plural(link.activity_days, 'activity day')} and "
            f"{_plural(link.assignments, 'assignment')} attributed.{alias}"
        )
    if action == IdentityDecisionForm.REOPEN:
        identity_review_reopen(review=review, user=user)
        return f"“{review.raw}” is waiting for review again."
    marked = identity_review_mark(review=review, status=action, user=user)
    return (
        f"Marked “{review.raw}” as a {marked.get_status_display().lower()}: its usage stays unattributed and "
        "it is not queued again."
    )


# Names


def name_review_queryset(kind: str):
    return (
        NameReview.objects.filter(kind=kind)
        .select_related("application", "confirmed_application", "confirmed_pool", "reviewed_by")
        .order_by(_pending_first(), "-sightings", "raw")
    )


def _kind_of(request) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in NameKind.values else NameKind.APPLICATION


class NameReviewListView(ReviewListView):
    filterset_class = NameReviewFilterSet
    template_name = "licenses/review/name_list.html"

    def get_queryset(self):
        return name_review_queryset(_kind_of(self.request))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = _kind_of(self.request)
        counts = {
            row["kind"]: row
            for row in NameReview.objects.values("kind").annotate(
                total=Count("pk"), pending=Count("pk", filter=Q(status=NameReviewStatus.PENDING))
            )
        }
        context.update(
            kind=kind,
            kind_label=NameKind(kind).label,
            tabs=[
                (value, label, counts.get(value, {}).get("pending", 0), value == kind)
                for value, label in NameKind.choices
            ],
            rows=name_rows(list(context["page_obj"].object_list)),
            total_count=counts.get(kind, {}).get("total", 0),
            pending_count=counts.get(kind, {}).get("pending", 0),
            application_names=_application_names() if kind == NameKind.APPLICATION else [],
            keep_params=[("kind", kind)],
            reset_url=reverse("licenses:name_review_list") + f"?kind={kind}",
        )
        return context


def _application_names() -> list[str]:
    return list(Application.objects.order_by("name").values_list("name", flat=True))


def name_rows(reviews: list[NameReview]) -> list[dict]:
    """The page's reviews with their suggestions under today's labels (a renamed or deleted candidate is
    shown as it is now), their application's pools, and the activity days waiting on them."""
    app_ids = {s["id"] for r in reviews if r.kind == NameKind.APPLICATION for s in r.suggestions}
    app_labels = dict(Application.objects.filter(pk__in=app_ids).values_list("pk", "name")) if app_ids else {}
    license_apps = {r.application_id for r in reviews if r.kind == NameKind.LICENSE}
    pools: dict[int, list[LicensePool]] = defaultdict(list)
    if license_apps:
        for pool in LicensePool.objects.filter(application_id__in=license_apps).order_by("name"):
            pools[pool.application_id].append(pool)
    app_names = [r.normalised for r in reviews if r.kind == NameKind.APPLICATION]
    waiting = (
        dict(PendingActivity.objects.filter(app_name__in=app_names).values_list("app_name").annotate(days=Count("pk")))
        if app_names
        else {}
    )
    rows = []
    for review in reviews:
        if review.kind == NameKind.APPLICATION:
            labels = app_labels
        else:
            labels = {pool.pk: pool.name for pool in pools.get(review.application_id, [])}
        rows.append(
            {
                "review": review,
                "suggestions": [{**s, "label": labels[s["id"]]} for s in review.suggestions if s["id"] in labels],
                "pools": pools.get(review.application_id, []),
                "waiting_days": waiting.get(review.normalised, 0),
            }
        )
    return rows


class NameReviewResolveView(View):
    model = NameReview

    def get(self, request, pk: int):
        review = get_object_or_404(
            NameReview.objects.select_related("application", "confirmed_application", "confirmed_pool", "reviewed_by"),
            pk=pk,
        )
        context = {
            "row": name_rows([review])[0],
            "kind": review.kind,
            "application_names": _application_names() if review.kind == NameKind.APPLICATION else [],
            "list_url": reverse("licenses:name_review_list") + f"?kind={review.kind}",
        }
        return render(request, "licenses/review/name_detail.html", context)

    def post(self, request, pk: int):
        review = get_object_or_404(NameReview.objects.select_related("application"), pk=pk)
        back = _next_url(request, reverse("licenses:name_review_list") + f"?kind={review.kind}")
        form = NameDecisionForm(request.POST, review=review)
        if not form.is_valid():
            messages.error(request, f"“{review.raw}”: {_form_error(form)}")
            return redirect(back)
        try:
            messages.success(request, _name_decide(review, form.cleaned_data, request.user))
        except ReviewError as exc:
            messages.error(request, str(exc))
        return redirect(back)


def _name_decide(review: NameReview, data: dict, user) -> str:
    action = data["action"]
    if action == NameDecisionForm.REJECT:
        name_review_reject(review=review, user=user)
        return f"“{review.raw}” is not a match; it will not be queued again."
    if action == NameDecisionForm.REOPEN:
        name_review_reopen(review=review, user=user)
        return f"“{review.raw}” is waiting for review again."
    confirmation = name_review_confirm(review=review, application=data["application"], pool=data["pool"], user=user)
    if review.kind == NameKind.LICENSE:
        return (
            f"Confirmed “{review.raw}” as the license “{data['pool'].name}” of {review.application}. "
            "The next assignment import matches it by itself."
        )
    return (
        f"Confirmed “{review.raw}” as {data['application'].name}: "
        f"{_plural(confirmation.activity_days, 'pending activity day')} moved into usage. "
        "The next import matches it by itself."
    )
