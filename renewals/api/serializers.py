from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from renewals.models import Contract, LineItem, Renewal
from renewals.pricing import PricingError, line_item_annual_value, parse_tiers
from saasmgr.core.money import is_currency
from saasmgr.inventory.models import Application


class LineItemSerializer(serializers.ModelSerializer):
    annual_value = serializers.SerializerMethodField()

    class Meta:
        model = LineItem
        fields = [
            "id",
            "sku",
            "description",
            "pricing_model",
            "quantity",
            "unit_price",
            "billing_period",
            "committed_quantity",
            "overage_price",
            "tiers",
            "uplift_cap_pct",
            "annual_value",
        ]
        read_only_fields = ["id"]
        # Uniqueness per contract is checked on the contract, where the whole list is known.
        validators: list = []

    def get_annual_value(self, item) -> str:
        return str(line_item_annual_value(item, term_months=item.contract.term_months))

    def validate(self, attrs):
        for field in ("quantity", "unit_price", "committed_quantity", "overage_price"):
            if attrs.get(field) is not None and attrs[field] < 0:
                raise serializers.ValidationError({field: "Must not be negative."})
        if attrs.get("pricing_model") == "tiered":
            try:
                parse_tiers(attrs.get("tiers") or [])
            except PricingError as exc:
                raise serializers.ValidationError({"tiers": str(exc)}) from exc
        return attrs


class ContractSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:contract-detail")
    line_items = LineItemSerializer(many=True)
    applications = serializers.PrimaryKeyRelatedField(many=True, queryset=Application.objects.all(), required=False)
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    term_months = serializers.IntegerField(read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "url",
            "number",
            "title",
            "vendor",
            "vendor_name",
            "applications",
            "department",
            "owner",
            "status",
            "start_date",
            "end_date",
            "term_months",
            "billing_frequency",
            "currency",
            "auto_renew",
            "notice_days",
            "renewal_term_months",
            "cancel_by",
            "annual_value",
            "total_value",
            "annual_value_reporting",
            "reminder_stages",
            "extra_recipients",
            "notes",
            "line_items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["cancel_by", "annual_value", "total_value", "annual_value_reporting"]

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP).")
        return value

    def validate_reminder_stages(self, value):
        if value is None:
            return value
        if not isinstance(value, list) or not all(isinstance(v, int) and v >= 0 for v in value):
            raise serializers.ValidationError("A list of whole numbers of days before cancel-by, e.g. [90, 30, 7].")
        return value

    def validate_line_items(self, items):
        skus = [i["sku"] for i in items]
        duplicates = sorted({s for s in skus if skus.count(s) > 1})
        if duplicates:
            raise serializers.ValidationError(
                f"Each SKU may appear once per contract; repeated: {', '.join(duplicates)}."
            )
        return items

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date is before the start date."})
        return attrs

    def _save(self, contract: Contract, validated: dict) -> Contract:
        from renewals.services import contract_save

        line_items = validated.pop("line_items", None)
        applications = validated.pop("applications", None)
        for field, value in validated.items():
            setattr(contract, field, value)
        try:
            return contract_save(contract=contract, line_items=line_items, applications=applications)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict if hasattr(exc, "message_dict") else exc.messages
            ) from exc

    def create(self, validated_data):
        return self._save(Contract(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class RenewalSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:renewal-detail")
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    currency = serializers.CharField(source="contract.currency", read_only=True)

    class Meta:
        model = Renewal
        fields = [
            "id",
            "url",
            "contract",
            "contract_number",
            "currency",
            "term_start",
            "term_end",
            "cancel_by",
            "stage",
            "decision",
            "owner",
            "baseline_annual",
            "quote_annual",
            "negotiated_annual",
            "recommended_quantity",
            "recommendation",
            "notes",
            "decided_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "contract",
            "term_start",
            "term_end",
            "cancel_by",
            "baseline_annual",
            "negotiated_annual",
            "decided_at",
            "closed_at",
        ]

    def update(self, instance, validated_data):
        from renewals.services import RenewalError, renewal_update

        try:
            return renewal_update(renewal=instance, user=self.context["request"].user, **validated_data)
        except RenewalError as exc:
            raise serializers.ValidationError({"stage": str(exc)}) from exc
