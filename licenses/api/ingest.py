"""POST /api/activity/: usage sent by a script or another system instead of uploaded on a page.

The body is either a JSON array of events, each {"email", "app", "timestamp", "events" (optional)}
as in the generic usage file, or a multipart upload of a usage export (field ``file``, and
``format``, generic by default). Either way it goes through the same usage import as a file, all or
nothing: 200 with the import's result, or 400 with every row error and nothing written.
"""

import csv
import io

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from licenses.ingest.formats import USAGE_FORMATS
from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.registry import get_importer

EVENT_FIELDS = ("email", "app", "timestamp", "events")


class ActivityEventSerializer(serializers.Serializer):
    email = serializers.CharField(help_text="The person's email address (or username) in the application.")
    app = serializers.CharField(help_text="The application's name, as saasmgr knows it or as the source spells it.")
    timestamp = serializers.CharField(help_text="When: a date or a date and time, e.g. 2024-06-03T09:30:00Z.")
    events = serializers.IntegerField(required=False, min_value=1, help_text="How many uses this stands for (1).")


class ActivityUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A usage export, CSV or XLSX.")
    format = serializers.ChoiceField(choices=sorted(USAGE_FORMATS), required=False, default="generic")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row of the file, or the event's position in the array (from 1).")
    column = serializers.CharField()
    value = serializers.CharField()
    message = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField(help_text="New (person, application, day) rows of usage.")
    updated = serializers.IntegerField(help_text="Days whose count went up.")
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows that are not usage by design (other events, failed sign-ins).")
    errors = RowErrorSerializer(many=True)
    error_count = serializers.IntegerField()
    bad_rows = serializers.IntegerField()
    written = serializers.BooleanField()
    also_created = serializers.DictField(child=serializers.IntegerField())


class ActivityIngestView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="activity_ingest",
        summary="Send usage",
        request={
            "application/json": ActivityEventSerializer(many=True),
            "multipart/form-data": ActivityUploadSerializer,
        },
        responses={
            200: IngestResultSerializer,
            400: OpenApiResponse(
                IngestResultSerializer,
                description="Nothing was written: the row errors, or a detail when the whole body is unusable.",
            ),
        },
    )
    def post(self, request):
        if isinstance(request.data, list):
            return self._ingest_events(request.data, request.user)
        upload = request.FILES.get("file")
        if upload is None:
            return _refused(
                "Send a JSON array of events ({“email”, “app”, “timestamp”, “events”}), or a usage export as the "
                "multipart field “file”."
            )
        format = request.data.get("format") or "generic"
        if format not in USAGE_FORMATS:
            return _refused(f"Unknown usage format “{format}”. Known formats: {', '.join(sorted(USAGE_FORMATS))}.")
        return self._ingest(upload, name=upload.name or "upload.csv", format=format, user=request.user)

    def _ingest_events(self, events: list, user) -> Response:
        if not events:
            return _refused("The array is empty: send at least one event.")
        body = io.StringIO()
        writer = csv.writer(body)
        writer.writerow(EVENT_FIELDS)
        for position, event in enumerate(events, start=1):
            if not isinstance(event, dict):
                return _refused(f"Event {position} is not an object with “email”, “app” and “timestamp”.")
            writer.writerow([_cell(event.get(field)) for field in EVENT_FIELDS])
        response = self._ingest(io.BytesIO(body.getvalue().encode()), name="activity.csv", format="generic", user=user)
        for error in response.data.get("errors", []):
            error["row"] -= 1  # the CSV's header is row 1: the first event is row 2
        return response

    def _ingest(self, fileobj, *, name: str, format: str, user) -> Response:
        importer = get_importer("usage", format)()
        try:
            result = import_file(
                importer=importer, fileobj=fileobj, name=name, mode=ImportMode.ALL_OR_NOTHING, user=user
            )
        except ImportFileError as exc:
            return _refused(str(exc))
        data = result.to_dict()
        return Response(data, status=status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_200_OK)


def _cell(value) -> str:
    # Anything but text and numbers (a list, an object) is written as it is; the import then says which cell is wrong.
    return "" if value is None else str(value)


def _refused(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)
