from rest_framework import viewsets

from saasmgr.core.api.serializers import FxRateSerializer
from saasmgr.core.fx_forms import FxRateFilterSet
from saasmgr.core.models import FxRate
from saasmgr.core.services import fx_rate_delete, fx_rate_update, fx_rate_upsert


class FxRateViewSet(viewsets.ModelViewSet):
    queryset = FxRate.objects.order_by("currency", "-date")
    serializer_class = FxRateSerializer
    filterset_class = FxRateFilterSet
    ordering_fields = ["currency", "date"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance, _ = fx_rate_upsert(
            currency=data["currency"], on_date=data["date"], rate=data["rate"], source=data.get("source", "")
        )

    def perform_update(self, serializer):
        serializer.instance = fx_rate_update(fx_rate=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        fx_rate_delete(fx_rate=instance)
