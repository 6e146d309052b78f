from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from licenses.models import LicensePool
from saasmgr.core.money import currency_choices, is_currency
from saasmgr.inventory.models import Application

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The quantity and price of a pool that came from a contract follow its line item.
CONTRACT_FIELDS = ("purchased_quantity", "currency", "annual_unit_cost")


class LicensePoolForm(forms.ModelForm):
    application = forms.ModelChoiceField(queryset=Application.objects.order_by("name"))
    currency = forms.ChoiceField(choices=currency_choices, help_text="ISO 4217 code of the annual unit cost.")

    class Meta:
        model = LicensePool
        fields = [
            "application",
            "name",
            "purchased_quantity",
            "currency",
            "annual_unit_cost",
            "inactivity_days",
            "notes",
        ]
        labels = {"purchased_quantity": "Purchased seats", "annual_unit_cost": "Annual cost per seat"}
        help_texts = {
            "name": "The license type as the vendor sells it, e.g. “Enterprise” or “E3”.",
            "purchased_quantity": "Seats paid for. Leave empty when unknown: seat counts are then not judged.",
            "annual_unit_cost": "What one seat costs per 12 months.",
            "inactivity_days": (
                "A seat whose holder has not used the application for more than this many days is inactive. "
                "Empty uses the application's threshold, else the global default "
                f"({settings.LICENSE_INACTIVITY_DAYS} days)."
            ),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("currency", settings.REPORTING_CURRENCY)
        for name, least in (("purchased_quantity", 0), ("annual_unit_cost", 0), ("inactivity_days", 1)):
            self.fields[name].validators.append(MinValueValidator(least))
            self.fields[name].widget.attrs["min"] = least
        if self.follows_contract:
            contract = self.instance.line_item.contract
            edit_url = reverse("renewals:contract_edit", args=[contract.pk])
            note = format_html(
                'Follows line item “{}” of contract <a href="{}">{}</a>: '
                '<a href="{}">edit the contract</a> to change it.',
                self.instance.line_item.sku,
                contract.get_absolute_url(),
                contract.number,
                edit_url,
            )
            for name in CONTRACT_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = note
            # The pool is the line item's: moving it to another application would split it from its contract.
            self.fields["application"].disabled = True

    @property
    def follows_contract(self) -> bool:
        return bool(self.instance.pk and self.instance.line_item_id)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if not is_currency(currency):
            raise ValidationError(f"“{currency}” is not an ISO 4217 currency code (like USD, EUR or GBP).")
        return currency

    def clean(self):
        cleaned = super().clean()
        application, name = cleaned.get("application"), cleaned.get("name")
        if application and name:
            clash = LicensePool.objects.filter(application=application, name__iexact=name).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"{application.name} already has a license pool named “{name}”.")
        return cleaned

    def validate_unique(self):
        # clean() says it in words; the model's own message names the constraint.
        pass


class RunStartForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        widget=DATE,
        help_text="Seats, activity and people are judged as they were on this day.",
    )
    application = forms.ModelChoiceField(
        queryset=Application.objects.filter(license_pools__isnull=False).distinct().order_by("name"),
        required=False,
        empty_label="Every application with license pools",
        help_text="Reconcile one application only, or all of them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate

    def clean_as_of(self) -> date:
        as_of = self.cleaned_data["as_of"]
        today = timezone.localdate()
        if as_of > today:
            raise ValidationError(
                f"The as-of date {as_of.isoformat()} is in the future; usage after today is not known yet. "
                f"Pick today ({today.isoformat()}) or an earlier day."
            )
        return as_of
