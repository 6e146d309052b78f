import json
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, validate_email
from django.template.defaultfilters import filesizeformat

from renewals.choices import PricingModel, RenewalDecision, RenewalStage
from renewals.filtersets import UserChoiceField, active_users
from renewals.models import Contract, Renewal
from renewals.pricing import PricingError, parse_tiers, tiered_amount
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.money import currency_choices, is_currency
from saasmgr.inventory.models import Application, Department, Vendor

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DOCUMENT_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "odt",
    "rtf",
    "txt",
    "xls",
    "xlsx",
    "ods",
    "csv",
    "png",
    "jpg",
    "jpeg",
    "eml",
    "msg",
]


def document_max_bytes() -> int:
    return getattr(settings, "CONTRACT_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)


class ContractForm(forms.ModelForm):
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.order_by("name"))
    applications = forms.ModelMultipleChoiceField(
        queryset=Application.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="The applications this contract pays for (Ctrl or ⌘ to pick several).",
    )
    department = forms.ModelChoiceField(queryset=Department.objects.order_by("name"), required=False)
    owner = UserChoiceField(queryset=active_users(), required=False, help_text="Gets the renewal reminders.")
    currency = forms.ChoiceField(choices=currency_choices, help_text="ISO 4217 code of the contract's prices.")
    reminder_stages = forms.CharField(
        required=False,
        label="Reminder stages (days before cancel-by)",
        help_text="Comma-separated, e.g. 90, 30, 7. Empty uses the global stages "
        f"({', '.join(str(s) for s in settings.RENEWAL_REMINDER_STAGES)}).",
    )

    class Meta:
        model = Contract
        fields = [
            "number",
            "title",
            "vendor",
            "applications",
            "department",
            "owner",
            "status",
            "start_date",
            "end_date",
            "billing_frequency",
            "currency",
            "auto_renew",
            "notice_days",
            "renewal_term_months",
            "reminder_stages",
            "extra_recipients",
            "notes",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "extra_recipients": forms.TextInput(attrs={"placeholder": "it-finance@example.com, cfo@example.com"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auto_renew"].label = "Renews automatically"
        if not self.instance.pk:
            self.initial.setdefault("currency", settings.REPORTING_CURRENCY)
        stages = self.initial.get("reminder_stages")
        if isinstance(stages, list):
            self.initial["reminder_stages"] = ", ".join(str(s) for s in stages)

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if not is_currency(currency):
            raise ValidationError(f"“{currency}” is not an ISO 4217 currency code (like USD, EUR or GBP).")
        return currency

    def clean_reminder_stages(self):
        text = self.cleaned_data["reminder_stages"].strip()
        if not text:
            return None
        stages = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError(f"“{part}” is not a whole number of days; write e.g. 90, 30, 7.")
            stages.append(int(part))
        return sorted(set(stages), reverse=True) or None

    def clean_extra_recipients(self):
        text = self.cleaned_data["extra_recipients"]
        emails = [e.strip() for e in text.replace(";", ",").split(",") if e.strip()]
        for email in emails:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise ValidationError(f"“{email}” is not an email address.") from exc
        return ", ".join(emails)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        return cleaned


def tiers_as_text(tiers) -> str:
    lines = []
    for tier in tiers or []:
        up_to = tier.get("up_to")
        lines.append(f"{'*' if up_to in (None, '') else up_to}, {tier.get('unit_price')}")
    return "\n".join(lines)


def tiers_from_text(text: str) -> list[dict]:
    """Bands typed one per line as “up to, unit price” (“*” for the open-ended last band), or as JSON."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            tiers = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"The bands are not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(tiers, list) or not all(isinstance(t, dict) for t in tiers):
            raise ValidationError('JSON bands must be a list like [{"up_to": 100, "unit_price": "10.00"}].')
        return tiers
    tiers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        if len(parts) != 2:
            raise ValidationError(
                f"Band line {number} (“{line.strip()}”) should read “up to, unit price”, e.g. 100, 9.50."
            )
        up_to, price = parts
        tiers.append({"up_to": None if up_to in ("*", "", "-") else up_to, "unit_price": price})
    return tiers


class LineItemForm(forms.Form):
    sku = forms.CharField(label="SKU or license type", max_length=200)
    description = forms.CharField(max_length=300, required=False)
    pricing_model = forms.ChoiceField(choices=PricingModel.choices, initial=PricingModel.PER_SEAT)
    quantity = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=Decimal("1"))
    unit_price = forms.DecimalField(
        min_value=0,
        max_digits=16,
        decimal_places=4,
        help_text="Per seat or unit per billing period; the whole fee for platform fee and flat.",
    )
    billing_period = forms.ChoiceField(choices=BillingPeriod.choices, initial=BillingPeriod.ANNUAL)
    committed_quantity = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
    overage_price = forms.DecimalField(min_value=0, max_digits=16, decimal_places=4, required=False)
    tiers = forms.CharField(
        required=False,
        label="Price bands",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "e.g. 100, 10.00 ↵ *, 8.00"}),
        help_text="Tiered only. One band per line, “up to, unit price”; “*, price” for everything above.",
    )
    uplift_cap_pct = forms.DecimalField(
        label="Uplift cap %", min_value=0, max_value=1000, max_digits=6, decimal_places=2, required=False
    )

    # Bootstrap column classes of each field in a line's grid, in display order.
    layout = {
        "sku": "col-12 col-md-6 col-xl-3",
        "description": "col-12 col-md-6 col-xl-3",
        "pricing_model": "col-6 col-md-3 col-xl-3",
        "billing_period": "col-6 col-md-3 col-xl-3",
        "quantity": "col-6 col-md-3 col-xl-2",
        "unit_price": "col-6 col-md-3 col-xl-2",
        "committed_quantity": "col-6 col-md-3 col-xl-2",
        "overage_price": "col-6 col-md-3 col-xl-2",
        "uplift_cap_pct": "col-6 col-md-3 col-xl-2",
        "tiers": "col-12 col-md-6 col-xl-4",
    }

    def laid_out_fields(self):
        return [(self[name], css) for name, css in self.layout.items()]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("tiers"), list):
            self.initial["tiers"] = tiers_as_text(self.initial["tiers"])

    def clean_sku(self):
        return self.cleaned_data["sku"].strip()

    def clean_tiers(self):
        return tiers_from_text(self.cleaned_data["tiers"])

    def clean(self):
        cleaned = super().clean()
        model, tiers, quantity = cleaned.get("pricing_model"), cleaned.get("tiers"), cleaned.get("quantity")
        if model == PricingModel.TIERED and "tiers" in cleaned:
            try:
                parse_tiers(tiers)
                if quantity is not None:
                    tiered_amount(quantity, tiers)
            except PricingError as exc:
                self.add_error("tiers", str(exc))
        elif tiers:
            self.add_error("tiers", "Price bands only apply to tiered pricing: clear them or choose Tiered.")
        if model == PricingModel.USAGE and cleaned.get("committed_quantity") is None:
            self.add_error("committed_quantity", "Usage-based pricing needs the committed quantity.")
        return cleaned

    def line_item_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.base_fields}
        data["tiers"] = data["tiers"] or []
        return data


class BaseLineItemFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[LineItemForm]:
        """The lines to save: every existing line and every filled-in new one, less those marked for removal."""
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
            and getattr(form, "cleaned_data", None)
        ]

    def clean(self):
        super().clean()
        seen: dict[str, int] = {}
        for form in self.kept_forms():
            sku = (form.cleaned_data.get("sku") or "").lower()
            if sku in seen:
                form.add_error("sku", f"Line {seen[sku]} has this SKU already; one line per SKU.")
            elif sku:
                seen[sku] = self.forms.index(form) + 1

    def line_items(self) -> list[dict]:
        return [form.line_item_data() for form in self.kept_forms()]


LineItemFormSet = forms.formset_factory(LineItemForm, formset=BaseLineItemFormSet, extra=1, can_delete=True)


def line_item_initial(contract: Contract) -> list[dict]:
    return [{name: getattr(item, name) for name in LineItemForm.base_fields} for item in contract.line_items.all()]


class ContractDocumentForm(forms.Form):
    file = forms.FileField(validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS)])
    name = forms.CharField(max_length=255, required=False, help_text="Defaults to the file name.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = document_max_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"The file is {filesizeformat(upload.size)}; documents may be at most {filesizeformat(limit)}."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("file") and not cleaned.get("name"):
            cleaned["name"] = cleaned["file"].name
        return cleaned


STAGE_CHOICES = [(value, label) for value, label in RenewalStage.choices if value != RenewalStage.CLOSED]


class RenewalForm(forms.ModelForm):
    stage = forms.ChoiceField(choices=STAGE_CHOICES, help_text="Closing is its own step, once decided.")
    decision = forms.ChoiceField(choices=[("", "— not decided yet —"), *RenewalDecision.choices], required=False)
    owner = UserChoiceField(queryset=active_users(), required=False)

    class Meta:
        model = Renewal
        fields = [
            "stage",
            "decision",
            "owner",
            "quote_annual",
            "negotiated_annual",
            "recommended_quantity",
            "recommendation",
            "notes",
        ]
        widgets = {"recommendation": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.instance.contract.currency if self.instance.contract_id else ""
        for name in ("quote_annual", "negotiated_annual"):
            self.fields[name].label = f"{self.fields[name].label.capitalize()} in {currency}".strip()
            self.fields[name].widget.attrs["min"] = 0

    def clean_quote_annual(self):
        return _not_negative(self.cleaned_data["quote_annual"])

    def clean_negotiated_annual(self):
        return _not_negative(self.cleaned_data["negotiated_annual"])

    def update_kwargs(self) -> dict:
        """The cleaned fields as renewal_update() takes them."""
        return dict(self.cleaned_data)


def _not_negative(value):
    if value is not None and value < 0:
        raise ValidationError("This cannot be negative.")
    return value


class RenewalMoveForm(forms.Form):
    stage = forms.ChoiceField(choices=STAGE_CHOICES)


class RenewalCloseForm(forms.Form):
    """New prices and quantities for the next term, one pair per line item, and an optional new end date."""

    new_end_date = forms.DateField(
        required=False,
        widget=DATE,
        label="New end date",
        help_text="Empty: the renewal term after the current end date.",
    )

    def __init__(self, *args, renewal: Renewal, line_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.renewal = renewal
        self.line_items = list(line_items)
        self.renews = renewal.decision != RenewalDecision.CANCEL
        if not self.renews:
            del self.fields["new_end_date"]
            return
        for item in self.line_items:
            self.fields[f"price_{item.pk}"] = forms.DecimalField(
                label=f"{item.sku}: new unit price",
                min_value=0,
                max_digits=16,
                decimal_places=4,
                initial=item.unit_price,
            )
            self.fields[f"quantity_{item.pk}"] = forms.DecimalField(
                label=f"{item.sku}: quantity", min_value=0, max_digits=14, decimal_places=2, initial=item.quantity
            )

    def item_rows(self):
        return [(item, self[f"price_{item.pk}"], self[f"quantity_{item.pk}"]) for item in self.line_items]

    def clean_new_end_date(self):
        end = self.cleaned_data["new_end_date"]
        if end and end <= self.renewal.contract.end_date:
            raise ValidationError(
                f"The new end date must be after the current end date, {self.renewal.contract.end_date}."
            )
        return end

    def close_kwargs(self) -> dict:
        if not self.renews:
            return {}
        return {
            "new_end_date": self.cleaned_data.get("new_end_date"),
            "new_unit_prices": {item.pk: self.cleaned_data[f"price_{item.pk}"] for item in self.line_items},
            "new_quantities": {item.pk: self.cleaned_data[f"quantity_{item.pk}"] for item in self.line_items},
        }
