"""The exchange rate form, filters and table of the HTML pages."""

import django_filters
import django_tables2 as tables
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from saasmgr.core.models import FxRate
from saasmgr.core.money import currency_choices


def foreign_currency_choices() -> list[tuple[str, str]]:
    """Every ISO currency but the reporting one, whose rate is 1 by definition."""
    return [(code, label) for code, label in currency_choices() if code != settings.REPORTING_CURRENCY]


class FxRateForm(forms.Form):
    currency = forms.ChoiceField(choices=foreign_currency_choices)
    date = forms.DateField(
        label="In force from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The rate applies from this day until the next rate of the same currency.",
    )
    rate = forms.DecimalField(max_digits=20, decimal_places=8)
    source = forms.CharField(max_length=100, required=False, help_text="Where the rate comes from, e.g. ECB.")

    def __init__(self, *args, fx_rate: FxRate | None = None, **kwargs):
        if fx_rate is not None:
            kwargs["initial"] = {
                "currency": fx_rate.currency,
                "date": fx_rate.date,
                "rate": fx_rate.rate,
                "source": fx_rate.source,
            }
        super().__init__(*args, **kwargs)
        reporting = settings.REPORTING_CURRENCY
        self.fields["rate"].label = f"Rate: {reporting} for 1 unit of the currency"
        self.fields["rate"].help_text = f"1 EUR = 1.08 {reporting} is entered as 1.08 for EUR."
        if fx_rate is not None:
            # Currency and day are the rate's identity; a different one is a new rate.
            self.fields["currency"].disabled = True
            self.fields["date"].disabled = True

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate <= 0:
            raise ValidationError("A rate must be above 0.")
        return rate


class FxRateFilterSet(django_filters.FilterSet):
    currency = django_filters.ChoiceFilter(choices=foreign_currency_choices, empty_label="Any currency")
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = FxRate
        fields = ["currency", "date_from", "date_to"]


class FxRateTable(tables.Table):
    currency = tables.Column(linkify=True)
    date = tables.Column(verbose_name="In force from", linkify=True)
    rate = tables.Column(verbose_name="Rate", attrs={"td": {"class": "text-nowrap"}})
    source = tables.Column()
    updated_at = tables.DateTimeColumn(verbose_name="Last changed", format="Y-m-d H:i")

    class Meta:
        model = FxRate
        fields = ("currency", "date", "rate", "source", "updated_at")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No exchange rates match."

    def render_rate(self, value, record):
        return format_html(
            "1 {} = <strong>{}</strong> {}", record.currency, rate_text(value), settings.REPORTING_CURRENCY
        )


def rate_text(rate) -> str:
    """1.08500000 → "1.085": the stored eight places without the trailing zeros."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
