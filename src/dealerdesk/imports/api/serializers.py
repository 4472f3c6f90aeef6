from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from ..models import ImportJob, ImportRowError


class ImportJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    created_by = serializers.StringRelatedField(read_only=True)
    headers = serializers.ListField(child=serializers.CharField(), read_only=True)
    mapping = serializers.DictField(child=serializers.CharField(allow_null=True), read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("Progress of the current run, 0–100."))

    class Meta:
        model = ImportJob
        fields = [
            "id", "store", "kind", "status", "status_display", "original_name", "size", "encoding", "headers",
            "mapping", "total", "created", "updated", "merged", "unchanged", "rejected", "warned", "skipped_empty",
            "progress", "percent", "error_code", "error_summary", "created_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ImportUploadSerializer(Serializer):
    store = f.PrimaryKeyRelatedField(label=_("store"), queryset=store_visible_to(None))
    # Plain text, not an enum: the kinds are registered by apps at start-up (unknown ones are refused with a 400).
    kind = serializers.CharField(label=_("what the file holds"), default="customers", help_text=_("e.g. customers"))
    file = serializers.FileField(label=_("file"), help_text=_("CSV (UTF-8 or GBK) or XLSX, at most 20 MB."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["store"].queryset = store_visible_to(getattr(request, "user", None))


class ImportMappingSerializer(Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True),
        help_text=_("File column → field name, or null to ignore the column."),
    )


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["id", "row_number", "column", "reason"]
        read_only_fields = fields
