"""The filters and decision forms of the review queues."""

import re

import django_filters
from django import forms
from django.db.models import Q

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.models import IdentityReview, LicensePool, NameReview
from saasmgr.inventory.models import Application, Person

# "Ann Lee <ann.lee@example.com>", as the person picker offers them.
_BRACKETED_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")


def _sources_of(model):
    def choices():
        sources = model.objects.order_by("source").values_list("source", flat=True).distinct()
        return [(source, source) for source in sources]

    return choices


class IdentityReviewFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=IdentityStatus.choices, empty_label="Any status")
    source = django_filters.ChoiceFilter(choices=_sources_of(IdentityReview), empty_label="Any source")

    class Meta:
        model = IdentityReview
        fields = ["q", "status", "source"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(identity__icontains=value) | Q(raw__icontains=value) | Q(applications__icontains=value)
        )


class NameReviewFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=NameReviewStatus.choices, empty_label="Any status")
    source = django_filters.ChoiceFilter(choices=_sources_of(NameReview), empty_label="Any source")

    class Meta:
        model = NameReview
        fields = ["q", "status", "source"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(raw__icontains=value) | Q(normalised__icontains=value) | Q(application__name__icontains=value)
        )


class IdentityDecisionForm(forms.Form):
    """Link the account to a person (picked by name or email), or mark it, or reopen it."""

    LINK, REOPEN = "link", "reopen"
    ACTIONS = [(LINK, "Link"), (IdentityStatus.SERVICE, "Service account"), (IdentityStatus.SHARED, "Shared account")]

    action = forms.ChoiceField(choices=[*ACTIONS, (REOPEN, "Reopen")], required=False)
    person = forms.CharField(required=False, max_length=300)
    # A suggested person's button carries their id.
    person_id = forms.IntegerField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("person_id"):
            data["action"] = self.LINK
        if not data.get("action"):
            raise forms.ValidationError("Choose what to do with this account: link it, or mark it.")
        if data["action"] == self.LINK:
            data["person"] = self._person(data)
        return data

    def _person(self, data) -> Person:
        if data.get("person_id"):
            person = Person.objects.filter(pk=data["person_id"]).first()
            if person is None:
                raise forms.ValidationError("That person no longer exists; pick another.")
            return person
        return person_from_text(data.get("person", ""))


def person_from_text(text: str) -> Person:
    """The person a picker entry names: "Name <email>", an email, or a name only one person has."""
    text = text.strip()
    if not text:
        raise forms.ValidationError("Pick the person: type a name or email and choose them from the list.")
    bracketed = _BRACKETED_EMAIL.search(text)
    email = bracketed.group(1) if bracketed else text if "@" in text else None
    if email:
        person = Person.objects.filter(email__iexact=email).first()
        if person is None:
            raise forms.ValidationError(f"No person has the email “{email}”. Pick one from the list.")
        return person
    people = list(Person.objects.filter(name__iexact=text)[:2])
    if not people:
        raise forms.ValidationError(f"No person is called “{text}”. Type part of their name or email to search.")
    if len(people) > 1:
        raise forms.ValidationError(f"More than one person is called “{text}”; pick one by their email.")
    return people[0]


class NameDecisionForm(forms.Form):
    """Confirm a suggestion (one click), confirm another application or pool, reject, or reopen."""

    CONFIRM, REJECT, REOPEN = "confirm", "reject", "reopen"

    action = forms.ChoiceField(
        choices=[(CONFIRM, "Confirm"), (REJECT, "Not a match"), (REOPEN, "Reopen")], required=False
    )
    candidate = forms.IntegerField(required=False)
    application_name = forms.CharField(required=False, max_length=200)
    pool = forms.ModelChoiceField(queryset=LicensePool.objects.none(), required=False)

    def __init__(self, *args, review: NameReview, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        self.fields["pool"].queryset = LicensePool.objects.filter(application_id=review.application_id)
        self.fields["pool"].error_messages["invalid_choice"] = (
            f"Pick one of the license pools of {review.application}."
            if review.application_id
            else "A license pool is picked for license names only."
        )

    def clean(self):
        data = super().clean()
        if data.get("candidate"):
            data["action"] = self.CONFIRM
        action = data.get("action")
        if not action:
            raise forms.ValidationError("Choose what to do with this name: confirm it, or mark it as not a match.")
        data["application"] = None
        if action == self.CONFIRM:
            if self.review.kind == NameKind.APPLICATION:
                data["application"] = self._application(data)
            else:
                data["pool"] = self._pool(data)
        return data

    def _application(self, data) -> Application:
        if data.get("candidate"):
            application = Application.objects.filter(pk=data["candidate"]).first()
            if application is None:
                raise forms.ValidationError("That application no longer exists; pick another.")
            return application
        name = (data.get("application_name") or "").strip()
        if not name:
            raise forms.ValidationError(f"Pick the application that “{self.review.raw}” is a name of.")
        application = Application.objects.filter(name__iexact=name).first()
        if application is None:
            raise forms.ValidationError(f"No application is called “{name}”. Pick one from the list.")
        return application

    def _pool(self, data) -> LicensePool:
        if data.get("candidate"):
            pool = self.fields["pool"].queryset.filter(pk=data["candidate"]).first()
            if pool is None:
                raise forms.ValidationError(f"That license pool of {self.review.application} no longer exists.")
            return pool
        if data.get("pool") is None:
            raise forms.ValidationError(f"Pick the license pool of {self.review.application} this name means.")
        return data["pool"]
