"""Shared views: every model's list, detail, add/edit and delete pages are a few
attributes on these classes. Access is checked by the access table, not here."""

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import ProtectedError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.views.generic import DeleteView, DetailView
from django.views.generic.edit import UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from saasmgr.core.access import role_may


class ModelPageMixin:
    """Names the model's URLs (``<namespace>:<model>_<action>``) for the templates."""

    namespace = ""

    @property
    def page_model(self):
        return self.model or self.queryset.model

    def url_name(self, action: str) -> str:
        return f"{self.namespace}:{self.page_model._meta.model_name}_{action}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meta = self.page_model._meta
        context.update(
            verbose_name=meta.verbose_name,
            verbose_name_plural=meta.verbose_name_plural,
            list_url=reverse(self.url_name("list")),
            add_url=reverse(self.url_name("add")),
            can_write=role_may(self.request.user, self.url_name("add"), write=True),
            edit_url_name=self.url_name("edit"),
            delete_url_name=self.url_name("delete"),
        )
        return context


class ObjectListView(ModelPageMixin, SingleTableMixin, FilterView):
    template_name = "generic/object_list.html"
    # Only the table paginates. ListView's own ``paginate_by`` stays None: it would paginate the
    # queryset a second time, with a 404 for any table page beyond its own page count.
    per_page = 50
    search_placeholder = "Search"

    def get_table_pagination(self, table):
        per_page = self.request.GET.get("per_page", "")
        return {"per_page": int(per_page) if per_page.isdigit() and 0 < int(per_page) <= 500 else self.per_page}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["total_count"] = self.page_model.objects.count()
        context["filtered"] = any(v for k, v in self.request.GET.items() if k not in ("page", "sort", "per_page"))
        return context


class ObjectDetailView(ModelPageMixin, DetailView):
    template_name = "generic/object_detail.html"
    history_limit = 50
    # (label, callable or attribute path) pairs shown in the detail card.
    fields: list[tuple[str, str]] = []
    related_tables: list[tuple[str, str, type]] = []  # (title, related queryset attr, table class)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        context["field_rows"] = [(label, _linked(_resolve(obj, path))) for label, path in self.fields]
        context["related"] = [
            (title, table_class(_resolve(obj, attr).all(), orderable=False))
            for title, attr, table_class in self.related_tables
        ]
        context["history"] = history_rows(obj, self.history_limit)
        context["edit_url"] = reverse(self.url_name("edit"), args=[obj.pk])
        context["delete_url"] = reverse(self.url_name("delete"), args=[obj.pk])
        return context


@dataclass(frozen=True)
class ExternalLink:
    """A web address shown in a detail card; the template links anything with ``get_absolute_url``."""

    url: str

    def get_absolute_url(self) -> str:
        return self.url

    def __str__(self) -> str:
        return self.url


def _linked(value):
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return ExternalLink(value)
    return value


def _resolve(obj, path: str):
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part)
    return value


def history_rows(obj, limit: int) -> list[dict]:
    """The audit trail of one object, newest first, each with the fields it changed.

    A change reads as a person would say it: "Vendor: Atlassian → Google", not the stored "vendor: 3 → 7".
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for record, previous in zip(records, records[1:] + [None], strict=False):
        if len(rows) == limit:
            break
        changes = []
        if previous is not None and record.history_type == "~":
            changes = [(c.field, c.old, c.new) for c in record.diff_against(previous).changes]
        rows.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "action": {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type],
                "changes": changes,
            }
        )
    _humanize_changes(type(obj), rows)
    return rows


def _humanize_changes(model, rows: list[dict]) -> None:
    """Replaces stored values by labels: choice labels, and related objects' names (one query per related model)."""
    fields = {name: model._meta.get_field(name) for row in rows for name, _, _ in row["changes"]}
    wanted_pks: dict[str, set] = {}
    for row in rows:
        for name, old, new in row["changes"]:
            if fields[name].many_to_one:
                wanted_pks.setdefault(name, set()).update(v for v in (old, new) if v is not None)
    names = {
        name: {o.pk: str(o) for o in fields[name].related_model._base_manager.filter(pk__in=pks)}
        for name, pks in wanted_pks.items()
    }

    def shown(name: str, value):
        if value is None or value == "":
            return None
        if name in names:
            return names[name].get(value, f"#{value} (deleted)")
        if fields[name].choices:
            return dict(fields[name].flatchoices).get(value, value)
        return value

    for row in rows:
        row["changes"] = [
            (capfirst(fields[name].verbose_name), shown(name, old), shown(name, new))
            for name, old, new in row["changes"]
        ]


class ObjectEditView(ModelPageMixin, UpdateView):
    """Add when there is no pk in the URL, edit otherwise."""

    template_name = "generic/object_edit.html"

    def get_object(self, queryset=None):
        return super().get_object(queryset) if "pk" in self.kwargs else None

    def form_valid(self, form):
        creating = form.instance.pk is None
        response = super().form_valid(form)
        messages.success(
            self.request, f"{'Created' if creating else 'Saved'} {self.page_model._meta.verbose_name} “{self.object}”."
        )
        return response


class ObjectDeleteView(ModelPageMixin, DeleteView):
    template_name = "generic/object_delete.html"

    def get_success_url(self):
        return reverse(self.url_name("list"))

    def form_valid(self, form):
        name = str(self.object)
        try:
            response = super().form_valid(form)
        except ProtectedError as exc:
            blockers = sorted({str(o) for o in exc.protected_objects})
            messages.error(
                self.request,
                f"“{name}” is still used by {len(blockers)} record(s) ({', '.join(blockers[:5])}). "
                "Reassign or remove those first.",
            )
            return redirect(self.object.get_absolute_url())
        messages.success(self.request, f"Deleted {self.page_model._meta.verbose_name} “{name}”.")
        return response
