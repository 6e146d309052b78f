"""The savings API: opportunities (read; PATCH status and owner), savings actions (read; create a manual win or a
reclaim) and the append-only ledger (read; create a win or a reversal; a summary under the ledger filters).

Access comes from the access table; filters are the HTML pages' filtersets; totals come from savings.selectors.
"""

from dataclasses import asdict

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from saasmgr.core.access import role_may
from savings import selectors
from savings.api import serializers
from savings.choices import ActionKind
from savings.filtersets import LedgerEntryFilterSet, OpportunityFilterSet
from savings.models import Opportunity, SavingsAction

APPEND_ONLY = (
    "The savings ledger is append-only: entries are never changed or deleted. "
    "To correct one, POST /api/ledger/ with “reverses” (its id) and “reason”."
)


class OpportunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Opportunities, highest priority first. A PATCH moves the status (validated: open → in progress → done,
    or dismissed with a reason) or sets the owner; opportunities are made and closed by the refresh, so there
    is no POST, PUT or DELETE."""

    queryset = Opportunity.objects.select_related("application").order_by("-priority", "pk")
    serializer_class = serializers.OpportunitySerializer
    filterset_class = OpportunityFilterSet
    ordering_fields = ["priority", "estimated_annual_savings", "due_date", "first_seen_at"]

    def partial_update(self, request, *args, **kwargs):
        opportunity = self.get_object()
        serializer = self.get_serializer(opportunity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(self.get_serializer(serializer.instance).data)


class SavingsActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What people did, with the ledger entries each wrote. POST records a win entered by hand (``kind``
    manual) or reclaims seats of a pool (``kind`` reclaim); actions are never changed or deleted."""

    queryset = (
        SavingsAction.objects.select_related("application")
        .prefetch_related(Prefetch("entries", queryset=selectors.ledger_rows()))
        .order_by("-effective_date", "-pk")
    )
    serializer_class = serializers.SavingsActionSerializer
    filterset_fields = ["kind", "application", "opportunity", "pool", "credited_user", "credited_team"]
    ordering_fields = ["effective_date", "created_at"]

    @extend_schema(
        request=serializers.SavingsActionCreateSerializer, responses={201: serializers.SavingsActionSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = serializers.SavingsActionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        # Reclaiming is acting on seats, which the access table gives to the savers only (finance records wins).
        if serializer.validated_data["kind"] == ActionKind.RECLAIM and not role_may(
            request.user, "savings:opportunity_reclaim", write=True
        ):
            raise exceptions.PermissionDenied("Your role does not allow reclaiming seats.")
        saved = serializer.save_action(request.user)
        fresh = self.get_queryset().get(pk=saved.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class LedgerEntryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The savings ledger, newest first, with the ledger page's filters. POST records a win entered by hand, or
    with ``reverses`` and ``reason`` the reversal of an entry. PUT, PATCH and DELETE answer 405."""

    queryset = selectors.ledger_rows()
    serializer_class = serializers.LedgerEntrySerializer
    filterset_class = LedgerEntryFilterSet
    ordering_fields = ["effective_date", "amount_reporting", "created_at"]

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH", "DELETE"):
            raise exceptions.MethodNotAllowed(request.method, detail=APPEND_ONLY)
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=serializers.LedgerEntryCreateSerializer, responses={201: serializers.LedgerEntrySerializer})
    def create(self, request, *args, **kwargs):
        serializer = serializers.LedgerEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        entry = serializer.save_entry(request.user)
        fresh = self.get_queryset().get(pk=entry.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.LedgerSummarySerializer, filters=True)
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Totals of the filtered rows (the same filters as the list), and by kind, recurrence, category,
        department, application, credited team and person, and month."""
        rows = self.filter_queryset(self.get_queryset())
        data = {"totals": selectors.ledger_totals(rows).as_dict()}
        for by in selectors.SUMMARY_BY:
            data[f"by_{by}"] = [asdict(row) for row in selectors.ledger_summary(rows, by=by)]
        return Response(serializers.LedgerSummarySerializer(data).data)
