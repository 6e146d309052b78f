from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from licenses.choices import AssignmentSource
from licenses.models import Assignment, Finding, LicensePool, ReconciliationRun
from saasmgr.core.money import is_currency
from saasmgr.inventory.models import Application

# A pool from a contract follows its line item; these change only with the contract.
CONTRACT_FIELDS = ("application", "purchased_quantity", "currency", "annual_unit_cost")


def _validation_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages)


class LicensePoolSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:licensepool-detail")
    application_name = serializers.CharField(source="application.name", read_only=True)
    contract = serializers.IntegerField(source="line_item.contract_id", read_only=True, default=None)
    threshold_days = serializers.IntegerField(read_only=True)

    class Meta:
        model = LicensePool
        fields = [
            "id",
            "url",
            "application",
            "application_name",
            "name",
            "line_item",
            "contract",
            "purchased_quantity",
            "currency",
            "annual_unit_cost",
            "annual_unit_cost_reporting",
            "inactivity_days",
            "threshold_days",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["line_item", "annual_unit_cost_reporting"]
        # The unique (application, name) pair is checked in validate() with a message in words.
        validators: list = []

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP).")
        return value

    def validate_annual_unit_cost(self, value):
        if value is not None and value < 0:
            raise serializers.ValidationError("Must not be negative.")
        return value

    def validate_inactivity_days(self, value):
        if value is not None and value < 1:
            raise serializers.ValidationError("At least 1 day, or null to use the application's threshold.")
        return value

    def validate(self, attrs):
        pool = self.instance
        if pool is not None and pool.line_item_id:
            changed = sorted(
                field for field in CONTRACT_FIELDS if field in attrs and attrs[field] != getattr(pool, field)
            )
            if changed:
                raise serializers.ValidationError(
                    dict.fromkeys(
                        changed,
                        f"This pool follows line item {pool.line_item_id} of its contract; change the contract.",
                    )
                )
        application = attrs.get("application", getattr(pool, "application", None))
        name = attrs.get("name", getattr(pool, "name", None))
        if application and name:
            clash = LicensePool.objects.filter(application=application, name__iexact=name.strip())
            if pool is not None:
                clash = clash.exclude(pk=pool.pk)
            if clash.exists():
                raise serializers.ValidationError({"name": f"{application.name} already has a pool named {name!r}."})
        return attrs

    def _save(self, pool: LicensePool, validated: dict) -> LicensePool:
        from licenses.services import license_pool_save

        for field, value in validated.items():
            setattr(pool, field, value)
        try:
            return license_pool_save(pool=pool)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc

    def create(self, validated_data):
        return self._save(LicensePool(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class AssignmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assignment-detail")
    application = serializers.IntegerField(source="pool.application_id", read_only=True)
    source = serializers.ChoiceField(choices=AssignmentSource.choices, default=AssignmentSource.API)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "url",
            "pool",
            "application",
            "person",
            "account",
            "assigned_on",
            "unassigned_on",
            "source",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def validate_account(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("The account as the application knows it, e.g. an email or username.")
        return value

    def validate(self, attrs):
        current = self.instance
        pool = attrs.get("pool", getattr(current, "pool", None))
        account = attrs.get("account", getattr(current, "account", None))
        start = attrs.get("assigned_on", getattr(current, "assigned_on", None))
        end = attrs.get("unassigned_on", getattr(current, "unassigned_on", None))
        if start and end and end < start:
            raise serializers.ValidationError({"unassigned_on": "The end date is before the assigned date."})
        if pool and account:
            clash = Assignment.objects.filter(pool=pool, account__iexact=account)
            if current is not None:
                clash = clash.exclude(pk=current.pk)
            if clash.exists():
                raise serializers.ValidationError({"account": f"{pool} already has an assignment for {account!r}."})
        return attrs

    @transaction.atomic
    def _save(self, assignment: Assignment, validated: dict) -> Assignment:
        for field, value in validated.items():
            setattr(assignment, field, value)
        try:
            assignment.full_clean()
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        assignment.save()
        return assignment

    def create(self, validated_data):
        return self._save(Assignment(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class FindingSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:finding-detail")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    is_risk = serializers.BooleanField(read_only=True)
    application_name = serializers.CharField(source="application.name", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "url",
            "run",
            "kind",
            "kind_label",
            "is_risk",
            "application",
            "application_name",
            "pool",
            "person",
            "assignment",
            "account",
            "quantity",
            "currency",
            "annual_cost_impact_local",
            "annual_cost_impact",
            "last_seen",
            "days_idle",
            "assigned_on",
            "termination_date",
            "evidence",
        ]
        read_only_fields = fields


class ReconciliationRunSerializer(serializers.ModelSerializer):
    """Reading a run shows its progress and totals; posting one starts it (``as_of`` defaults to today)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:reconciliationrun-detail")
    as_of = serializers.DateField(required=False)
    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.all(), required=False, allow_null=True
    )
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "url",
            "as_of",
            "application",
            "status",
            "percent",
            "parts_total",
            "parts_done",
            "counts",
            "impacts",
            "total_annual_savings",
            "total_annual_risk",
            "apps_without_usage",
            "unpriced_findings",
            "triggered_by",
            "created_at",
            "started_at",
            "finished_at",
            "error_message",
        ]
        read_only_fields = [f for f in fields if f not in ("as_of", "application")]

    def validate_as_of(self, value):
        today = timezone.localdate()
        if value > today:
            raise serializers.ValidationError(
                f"{value.isoformat()} is in the future; usage after today ({today.isoformat()}) is not known yet."
            )
        return value

    def create(self, validated_data):
        from licenses.runs import reconciliation_run_start

        request = self.context["request"]
        return reconciliation_run_start(
            as_of=validated_data.get("as_of") or timezone.localdate(),
            application=validated_data.get("application"),
            user=request.user,
        )
