from rest_framework import mixins, viewsets

from licenses import filtersets, selectors
from licenses.api import serializers
from licenses.models import Assignment, Finding, LicensePool, ReconciliationRun


class LicensePoolViewSet(viewsets.ModelViewSet):
    queryset = LicensePool.objects.select_related("application", "line_item").order_by("application__name", "name")
    serializer_class = serializers.LicensePoolSerializer
    filterset_class = filtersets.LicensePoolFilterSet
    ordering_fields = ["name", "application__name", "purchased_quantity", "annual_unit_cost_reporting"]


class AssignmentViewSet(viewsets.ModelViewSet):
    queryset = Assignment.objects.select_related("pool").order_by("pool_id", "account")
    serializer_class = serializers.AssignmentSerializer
    filterset_class = filtersets.AssignmentFilterSet
    ordering_fields = ["account", "assigned_on", "unassigned_on"]


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings of one run: ``?run=<id>``, else the latest finished run; filters as on the findings page."""

    queryset = Finding.objects.select_related("application")
    serializer_class = serializers.FindingSerializer
    filterset_class = filtersets.FindingFilterSet
    ordering_fields = ["annual_cost_impact", "days_idle", "kind"]

    def get_queryset(self):
        if self.action != "list":
            return super().get_queryset()
        run_id = self.request.query_params.get("run", "")
        if run_id.isdigit():
            run = ReconciliationRun.objects.filter(pk=int(run_id)).first()
        else:
            run = selectors.latest_done_run()
        return selectors.finding_queryset(run)


class ReconciliationRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs with their progress and totals; POST starts one (or picks up the unfinished one of that day)."""

    queryset = ReconciliationRun.objects.order_by("-created_at", "-pk")
    serializer_class = serializers.ReconciliationRunSerializer
    filterset_class = filtersets.ReconciliationRunFilterSet
    ordering_fields = ["as_of", "created_at", "total_annual_savings", "total_annual_risk"]
