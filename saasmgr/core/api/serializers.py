from rest_framework import serializers

from saasmgr.core.models import FxRate
from saasmgr.core.money import is_currency


class FxRateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:fxrate-detail")

    class Meta:
        model = FxRate
        fields = ["id", "url", "currency", "date", "rate", "source", "created_at", "updated_at"]

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, GBP, JPY).")
        return value

    def validate_rate(self, value):
        if value <= 0:
            raise serializers.ValidationError("An exchange rate must be above 0.")
        return value
