from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dealerdesk.core.api import FormParser, JSONParser, MultiPartParser, no_input
from dealerdesk.core.pagination import KeysetPagination

from .. import selectors, services
from ..models import ImportRowError
from ..views import XLSX
from .serializers import ImportJobSerializer, ImportMappingSerializer, ImportRowErrorSerializer, ImportUploadSerializer


class RowErrorPagination(KeysetPagination):
    """Rejected rows in file order."""

    ordering = "id"


@extend_schema(tags=["imports"])
class ImportJobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Spreadsheet imports of the caller's stores: upload, map columns, dry run, import, rejected rows."""

    serializer_class = ImportJobSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.import_job_visible_to(self.request.user).order_by("-id")

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportJobSerializer,
            400: OpenApiResponse(description="unreadable file: `code` says why, `job_id` is the failed job"),
            403: OpenApiResponse(description="not allowed to import into this store"),
        },
    )
    def create(self, request, *args, **kwargs):
        """Upload a CSV or XLSX file; the job suggests a mapping of its columns."""
        data = ImportUploadSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job = services.import_upload(actor=request.user, upload=data.validated_data.pop("file"), **data.validated_data)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportMappingSerializer, responses={200: ImportJobSerializer, 400: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def mapping(self, request, pk=None):
        """Set the field of each file column (null = ignore); possible until the import starts."""
        job = self.get_object()
        data = ImportMappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_set_mapping(actor=request.user, job=job, mapping=data.validated_data["mapping"])
        return Response(ImportJobSerializer(job).data)

    @extend_schema(request=None, responses={202: ImportJobSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        """Check every row in the background without writing; poll the job for progress and counts."""
        no_input(request)
        job = services.import_start(actor=request.user, job=self.get_object(), dry_run=True)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportJobSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Import the file in the background, batch by batch; poll the job for progress and counts."""
        no_input(request)
        job = services.import_start(actor=request.user, job=self.get_object(), dry_run=False)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ImportRowErrorSerializer(many=True))
    @action(
        detail=True, methods=["get"], pagination_class=RowErrorPagination, serializer_class=ImportRowErrorSerializer
    )
    def errors(self, request, pk=None):
        """Why rows were rejected: row number as the spreadsheet shows it, file column, reason."""
        job = self.get_object()
        page = self.paginate_queryset(ImportRowError.objects.filter(job=job))
        return self.get_paginated_response(ImportRowErrorSerializer(page, many=True).data)

    @extend_schema(
        responses={(200, XLSX): OpenApiTypes.BINARY, 404: OpenApiResponse(description="no such import")},
        operation_id="imports_errors_xlsx",
    )
    def errors_xlsx(self, request, pk=None):
        """The rejected rows with their original columns and an error column, as an Excel workbook."""
        job = self.get_object()
        response = HttpResponse(services.import_error_report(actor=request.user, job=job), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
        return response
