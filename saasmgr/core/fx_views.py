"""Exchange rate pages. Writes go through saasmgr.core.services so that stored figures are refreshed."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from saasmgr.core.access import role_may
from saasmgr.core.fx_forms import FxRateFilterSet, FxRateForm, FxRateTable, rate_text
from saasmgr.core.generic import ObjectDeleteView, ObjectListView
from saasmgr.core.models import FxRate
from saasmgr.core.money import MoneyError
from saasmgr.core.services import fx_rate_delete, fx_rate_update, fx_rate_upsert

NAMES = {"verbose_name": "exchange rate", "verbose_name_plural": "exchange rates"}


class FxRateListView(ObjectListView):
    namespace = "core"
    queryset = FxRate.objects.order_by("currency", "-date")
    table_class = FxRateTable
    filterset_class = FxRateFilterSet
    template_name = "core/fxrate_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(NAMES, reporting_currency=settings.REPORTING_CURRENCY)
        return context


def fxrate_detail(request, pk: int):
    fx_rate = get_object_or_404(FxRate, pk=pk)
    context = {
        "object": fx_rate,
        "rate_text": rate_text(fx_rate.rate),
        "reporting_currency": settings.REPORTING_CURRENCY,
        "same_currency": FxRate.objects.filter(currency=fx_rate.currency).order_by("-date")[:50],
        "can_write": role_may(request.user, "core:fxrate_edit", write=True),
        **NAMES,
    }
    return render(request, "core/fxrate_detail.html", context)


def fxrate_edit(request, pk: int | None = None):
    """Add a rate (replacing the one of the same currency and day, if any) or change one's rate and source."""
    fx_rate = get_object_or_404(FxRate, pk=pk) if pk else None
    initial = None if fx_rate else {k: v for k, v in request.GET.items() if k in ("currency", "date")}
    form = FxRateForm(request.POST if request.method == "POST" else None, fx_rate=fx_rate, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if fx_rate is None:
                fx_rate, created = fx_rate_upsert(
                    currency=data["currency"], on_date=data["date"], rate=data["rate"], source=data["source"]
                )
            else:
                fx_rate = fx_rate_update(fx_rate=fx_rate, rate=data["rate"], source=data["source"])
                created = False
        except MoneyError as exc:
            form.add_error(None, str(exc))
        else:
            verb = "Added" if created else "Saved"
            messages.success(
                request,
                f"{verb}: from {fx_rate.date} on, 1 {fx_rate.currency} = {rate_text(fx_rate.rate)} "
                f"{settings.REPORTING_CURRENCY}. Contract values in {fx_rate.currency} were recalculated.",
            )
            return redirect(f"{reverse('core:fxrate_list')}?currency={fx_rate.currency}")
    context = {
        "form": form,
        "object": fx_rate,
        "list_url": reverse("core:fxrate_list"),
        "reporting_currency": settings.REPORTING_CURRENCY,
        **NAMES,
    }
    return render(request, "core/fxrate_form.html", context)


class FxRateDeleteView(ObjectDeleteView):
    namespace = "core"
    model = FxRate

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **NAMES}

    def form_valid(self, form):
        name = str(self.object)
        fx_rate_delete(fx_rate=self.object)
        messages.success(self.request, f"Deleted the exchange rate {name}.")
        return redirect("core:fxrate_list")
