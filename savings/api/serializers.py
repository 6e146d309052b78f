"""Serializers of the savings API. Reads show the stored rows; writes are checked here field by field (a 400
names the field and why) and then made by the savings services, never by the serializer itself."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.validators import FileExtensionValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from licenses.models import Assignment, LicensePool
from saasmgr.core.money import is_currency
from saasmgr.inventory.models import Application, Department
from savings.choices import ActionKind, LedgerKind, OpportunityStatus, Recurrence, ReduceWhen
from savings.forms import EVIDENCE_EXTENSIONS, evidence_max_bytes
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.services import SavingsError, reporting_amount

MONEY = {"max_digits": 20, "decimal_places": 2, "read_only": True}
# What a PATCH of an opportunity may change; everything else follows its evidence.
OPPORTUNITY_WRITABLE = ("status", "owner", "reason")


def _users():
    return get_user_model().objects.filter(is_active=True)


# Opportunities


class OpportunitySerializer(serializers.ModelSerializer):
    """An opportunity; a PATCH changes its ``status`` (with ``reason`` when dismissing) and its ``owner`` only."""

    url = serializers.HyperlinkedIdentityField(view_name="api:opportunity-detail")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_risk = serializers.BooleanField(read_only=True)
    application_name = serializers.CharField(source="application.name", read_only=True)
    status = serializers.ChoiceField(choices=OpportunityStatus.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), allow_null=True, required=False)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why: required when the status is dismissed."
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "url",
            "kind",
            "kind_label",
            "is_risk",
            "key",
            "title",
            "application",
            "application_name",
            "pool",
            "contract",
            "renewal",
            "quantity",
            "currency",
            "estimated_annual_savings_local",
            "estimated_annual_savings",
            "evidence",
            "owner",
            "status",
            "status_label",
            "reason",
            "dismissed_reason",
            "due_date",
            "deadline",
            "priority",
            "first_seen_at",
            "refreshed_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f not in OPPORTUNITY_WRITABLE]

    def validate(self, attrs):
        # Read-only fields are silently dropped by DRF; a client that tries to change one should hear why.
        refused = sorted(set(self.initial_data) - set(OPPORTUNITY_WRITABLE))
        if refused:
            raise serializers.ValidationError(
                dict.fromkeys(
                    refused,
                    "Cannot be changed here: an opportunity's status (with a reason), and its owner, "
                    "are the only fields a PATCH changes; the rest follows its evidence.",
                )
            )
        if attrs.get("reason") and "status" not in attrs:
            raise serializers.ValidationError({"reason": "A reason goes with a status change (e.g. dismissed)."})
        return attrs

    @transaction.atomic
    def update(self, instance, validated_data):
        from savings.opportunities import opportunity_assign, opportunity_status_change

        user = self.context["request"].user
        if "owner" in validated_data and validated_data["owner"] != instance.owner:
            opportunity_assign(opportunity=instance, owner=validated_data["owner"])
        status = validated_data.get("status")
        if status is not None and status != instance.status:
            try:
                opportunity_status_change(
                    opportunity=instance, status=status, user=user, reason=validated_data.get("reason", "")
                )
            except ValueError as error:  # SavingsError: the move is not allowed, or a dismissal has no reason
                raise serializers.ValidationError({"status": [str(error)]}) from error
        instance.refresh_from_db()
        return instance


# The ledger


class LedgerEntrySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:ledgerentry-detail")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    recurrence_label = serializers.CharField(source="get_recurrence_display", read_only=True)
    application_name = serializers.CharField(source="application.name", read_only=True, default=None)
    reversed_by = serializers.SerializerMethodField(help_text="The entry that reverses this one, if any.")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "url",
            "action",
            "kind",
            "kind_label",
            "recurrence",
            "recurrence_label",
            "amount",
            "currency",
            "fx_rate",
            "amount_reporting",
            "reporting_currency",
            "effective_date",
            "application",
            "application_name",
            "category",
            "department",
            "credited_user",
            "credited_team",
            "description",
            "reverses",
            "reversed_by",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_reversed_by(self, entry) -> int | None:
        reversal = getattr(entry, "reversed_by", None)
        return reversal.pk if reversal is not None else None


class ManualWinFields(serializers.Serializer):
    """A win entered by hand: what, how much, when, and the evidence (a link or an attached file)."""

    description = serializers.CharField(
        max_length=300,
        required=False,
        help_text="What was won.",
        error_messages={"blank": "Say what was won, e.g. “Service credit for the March outage”."},
    )
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False)
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Positive, in ``currency``.",
    )
    currency = serializers.CharField(max_length=3, required=False, help_text="ISO 4217 code, e.g. EUR.")
    effective_date = serializers.DateField(required=False, help_text="Default: today.")
    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.all(), required=False, allow_null=True
    )
    evidence_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    evidence_file = serializers.FileField(
        required=False,
        allow_null=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text="Evidence as an attachment (multipart), instead of or besides evidence_url.",
    )
    credited_user = serializers.PrimaryKeyRelatedField(
        queryset=_users(), required=False, allow_null=True, help_text="Default: you."
    )
    credited_team = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, help_text="Default: the person's team."
    )

    MANUAL_REQUIRED = ("kind", "description", "recurrence", "amount", "currency")

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP).")
        return value

    def validate_evidence_file(self, upload):
        limit = evidence_max_bytes()
        if upload and upload.size > limit:
            raise serializers.ValidationError(
                f"The file is {filesizeformat(upload.size)}; evidence may be at most {filesizeformat(limit)}."
            )
        return upload

    def validate_manual_win(self, attrs) -> dict:
        missing = [name for name in self.MANUAL_REQUIRED if attrs.get(name) in (None, "")]
        if missing:
            raise serializers.ValidationError(dict.fromkeys(missing, "This field is required for a win."))
        if not attrs.get("evidence_url") and not attrs.get("evidence_file"):
            raise serializers.ValidationError(
                {"evidence_url": "Give the evidence: a link here, or a file as evidence_file (multipart)."}
            )
        attrs.setdefault("effective_date", timezone.localdate())
        try:
            reporting_amount(attrs["amount"], attrs["currency"], attrs["effective_date"])
        except SavingsError as error:
            raise serializers.ValidationError({"currency": str(error)}) from error
        return attrs

    def manual_win(self, user) -> SavingsAction:
        from savings.actions import manual_win_record

        data = self.validated_data
        try:
            return manual_win_record(
                user=user,
                ledger_kind=data["kind"],
                recurrence=data["recurrence"],
                amount=data["amount"],
                currency=data["currency"],
                effective_date=data["effective_date"],
                description=data["description"],
                evidence_url=data.get("evidence_url") or "",
                evidence_file=data.get("evidence_file"),
                application=data.get("application"),
                credited_user=data.get("credited_user"),
                credited_team=data.get("credited_team"),
            )
        except SavingsError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error


# Named like the entry it makes, so the schema shows one "LedgerEntry" (read) and "LedgerEntryRequest" (write).
@extend_schema_serializer(component_name="LedgerEntry")
class LedgerEntryCreateSerializer(ManualWinFields):
    """POST /api/ledger/: a win entered by hand, or, with ``reverses`` and ``reason``, the reversal of an entry."""

    kind = serializers.ChoiceField(choices=LedgerKind.choices, required=False, help_text="For a win.")
    reverses = serializers.PrimaryKeyRelatedField(
        queryset=LedgerEntry.objects.all(), required=False, help_text="The entry to reverse (a reversal)."
    )
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Why: required with ``reverses``.")

    REVERSAL_FIELDS = ("reverses", "reason", "effective_date")

    def validate(self, attrs):
        if "reverses" not in attrs:
            if attrs.get("reason"):
                raise serializers.ValidationError({"reason": "A reason goes with “reverses”: the entry to reverse."})
            return self.validate_manual_win(attrs)
        extra = sorted(set(self.initial_data) - set(self.REVERSAL_FIELDS))
        if extra:
            raise serializers.ValidationError(
                dict.fromkeys(extra, "Not used in a reversal: it copies the entry it reverses, at the same FX rate.")
            )
        if not (attrs.get("reason") or "").strip():
            raise serializers.ValidationError({"reason": "Say why the entry is reversed: the reason is required."})
        entry = attrs["reverses"]
        if entry.reverses_id is not None:
            raise serializers.ValidationError(
                {"reverses": f"Entry #{entry.pk} is itself a reversal; record the win again instead of reversing it."}
            )
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise serializers.ValidationError({"reverses": f"Entry #{entry.pk} has already been reversed."})
        return attrs

    def save_entry(self, user) -> LedgerEntry:
        from savings.services import ledger_entry_reverse

        data = self.validated_data
        if "reverses" in data:
            try:
                return ledger_entry_reverse(
                    entry=data["reverses"], user=user, reason=data["reason"], effective_date=data.get("effective_date")
                )
            except SavingsError as error:
                raise serializers.ValidationError({"reverses": [str(error)]}) from error
        return self.manual_win(user).entries.get()


# Savings actions


class SavingsActionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:savingsaction-detail")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    application_name = serializers.CharField(source="application.name", read_only=True, default=None)
    entries = LedgerEntrySerializer(many=True, read_only=True)

    class Meta:
        model = SavingsAction
        fields = [
            "id",
            "url",
            "kind",
            "kind_label",
            "opportunity",
            "application",
            "application_name",
            "contract",
            "renewal",
            "pool",
            "description",
            "currency",
            "baseline_annual",
            "new_annual",
            "quantity",
            "reduce_when",
            "effective_date",
            "evidence_url",
            "evidence_file",
            "details",
            "performed_by",
            "credited_user",
            "credited_team",
            "entries",
            "created_at",
        ]
        read_only_fields = fields


class SavingsActionCreateSerializer(ManualWinFields):
    """POST /api/savings-actions/: a win entered by hand (``kind`` cost_savings or cost_avoidance, with the
    evidence), or with ``"kind": "reclaim"`` the end of some assignments of a pool, whose seats are reduced now
    or at renewal; either way the action writes its own ledger entries."""

    kind = serializers.ChoiceField(
        choices=[*LedgerKind.choices, (ActionKind.RECLAIM.value, "Reclaim seats of a pool")],
        help_text="cost_savings or cost_avoidance: a win entered by hand; reclaim: seats of a pool.",
    )
    pool = serializers.PrimaryKeyRelatedField(
        queryset=LicensePool.objects.all(), required=False, help_text="Reclaim: the pool."
    )
    assignments = serializers.PrimaryKeyRelatedField(
        queryset=Assignment.objects.all(),
        many=True,
        required=False,
        help_text="Reclaim: the pool's current assignments to end.",
    )
    reduce_when = serializers.ChoiceField(
        choices=ReduceWhen.choices, required=False, help_text="Reclaim: reduce the purchased seats now or at renewal."
    )
    unassigned_seats = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="Reclaim: seats nobody holds to cut as well."
    )
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), required=False, allow_null=True, help_text="Reclaim: what it acts on."
    )

    RECLAIM_FIELDS = ("kind", "pool", "assignments", "unassigned_seats", "reduce_when", "opportunity", "effective_date")
    RECLAIM_OPTIONAL = ("credited_user", "credited_team")

    def validate(self, attrs):
        if attrs["kind"] != ActionKind.RECLAIM:
            stray = sorted(set(self.initial_data) & (set(self.RECLAIM_FIELDS) - {"kind", "effective_date"}))
            if stray:
                raise serializers.ValidationError(dict.fromkeys(stray, 'Only for a reclaim ("kind": "reclaim").'))
            return self.validate_manual_win(attrs)
        extra = sorted(set(self.initial_data) - set(self.RECLAIM_FIELDS) - set(self.RECLAIM_OPTIONAL))
        if extra:
            raise serializers.ValidationError(
                dict.fromkeys(extra, "Not used in a reclaim: its amount is the seats × the pool's annual unit cost.")
            )
        missing = [name for name in ("pool", "reduce_when") if not attrs.get(name)]
        if not attrs.get("assignments") and not attrs.get("unassigned_seats"):
            missing.append("assignments")
        if missing:
            raise serializers.ValidationError(dict.fromkeys(missing, "This field is required for a reclaim."))
        attrs.setdefault("assignments", [])
        pool = attrs["pool"]
        strangers = sorted(a.pk for a in attrs["assignments"] if a.pool_id != pool.pk)
        if strangers:
            raise serializers.ValidationError(
                {"assignments": f"Not assignments of pool {pool.pk} ({pool}): {', '.join(map(str, strangers))}."}
            )
        opportunity = attrs.get("opportunity")
        if opportunity is not None and opportunity.pool_id not in (None, pool.pk):
            raise serializers.ValidationError({"opportunity": f"Opportunity {opportunity.pk} is about another pool."})
        return attrs

    def save_action(self, user) -> SavingsAction:
        data = self.validated_data
        if data["kind"] != ActionKind.RECLAIM:
            return self.manual_win(user)
        from savings.actions import seats_reclaim

        try:
            return seats_reclaim(
                opportunity=data.get("opportunity"),
                pool=data["pool"],
                assignments=list(data["assignments"]),
                reduce_when=data["reduce_when"],
                unassigned_seats=data.get("unassigned_seats", 0),
                user=user,
                effective_date=data.get("effective_date"),
                credited_user=data.get("credited_user"),
                credited_team=data.get("credited_team"),
            )
        except SavingsError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error


# The summary


class LedgerTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The reporting currency of every amount.")
    cost_savings = serializers.DecimalField(**MONEY)
    cost_avoidance = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY, help_text="Cost savings + cost avoidance, reversals netted.")
    one_time = serializers.DecimalField(**MONEY)
    annual = serializers.DecimalField(**MONEY, help_text="Annual recurring.")
    entries = serializers.IntegerField()
    reversals = serializers.IntegerField()


class SummaryRowSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text="The kind, the id (null: none), or the month's first day.")
    label = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    cost_savings = serializers.DecimalField(**MONEY)
    cost_avoidance = serializers.DecimalField(**MONEY)
    entries = serializers.IntegerField()
    params = serializers.DictField(
        child=serializers.JSONField(), help_text="The /api/ledger/ filters that list exactly these rows."
    )


class LedgerSummarySerializer(serializers.Serializer):
    """The totals of the filtered ledger rows, and the same rows grouped (``savings.selectors.ledger_summary``)."""

    totals = LedgerTotalsSerializer()
    by_kind = SummaryRowSerializer(many=True)
    by_recurrence = SummaryRowSerializer(many=True)
    by_category = SummaryRowSerializer(many=True)
    by_department = SummaryRowSerializer(many=True, help_text="The department of the spend (the contract's).")
    by_application = SummaryRowSerializer(many=True)
    by_credited_team = SummaryRowSerializer(many=True)
    by_credited_user = SummaryRowSerializer(many=True)
    by_month = SummaryRowSerializer(many=True, help_text="By month of the effective date, oldest first.")
