from rest_framework import mixins, viewsets

from renewals.api.serializers import ContractSerializer, RenewalSerializer
from renewals.models import Contract, Renewal


class ContractViewSet(viewsets.ModelViewSet):
    queryset = (
        Contract.objects.select_related("vendor")
        .prefetch_related("line_items__contract", "applications")
        .order_by("cancel_by", "number")
    )
    serializer_class = ContractSerializer
    filterset_fields = ["vendor", "status", "currency", "auto_renew", "department", "owner"]
    ordering_fields = ["cancel_by", "end_date", "annual_value", "number"]


class RenewalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Renewals are created by their contracts; the API moves them through the stages."""

    queryset = Renewal.objects.select_related("contract").order_by("cancel_by", "pk")
    serializer_class = RenewalSerializer
    filterset_fields = ["stage", "decision", "owner", "contract"]
    ordering_fields = ["cancel_by", "term_end", "baseline_annual"]
