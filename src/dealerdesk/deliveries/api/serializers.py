"""Shapes of the deliveries and gifts API. Input serializers only parse; the services validate and answer with
messages keyed by these field names. Codes (status, document kinds …) travel as strings listed in the help text."""

from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from .. import selectors
from ..choices import DeliveryStatus, DocumentKind, ExplanationItem
from ..models import Delivery, DeliveryDocument, DeliveryGift, GiftItem, HandoverPhoto, PdiCheck, PromisedGift

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


def _codes(choices) -> str:
    return ", ".join(f"`{value}`" for value in choices.values)


class PdiCheckSerializer(serializers.ModelSerializer):
    """One PDI item: `result` is `pending`, `passed` or `failed` (with a note)."""

    result = serializers.CharField(read_only=True, help_text="`pending`, `passed` or `failed`")
    checked_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = PdiCheck
        fields = ["code", "label", "result", "note", "checked_by", "checked_at"]
        read_only_fields = fields


class DeliveryDocumentSerializer(serializers.ModelSerializer):
    """One document or item of the pack; `holder` is `store`, `lender` or `carmaker`."""

    kind = serializers.CharField(read_only=True, help_text=_codes(DocumentKind))
    label = serializers.CharField(source="get_kind_display", read_only=True)
    holder = serializers.CharField(read_only=True, help_text="`store`, `lender` or `carmaker`")
    received_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = DeliveryDocument
        fields = ["kind", "label", "quantity", "holder", "holder_name", "promised_on", "received_at", "received_by"]
        read_only_fields = fields


class DeliveryGiftSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="gift.name", read_only=True)

    class Meta:
        model = DeliveryGift
        fields = ["gift", "name", "quantity", "handed_over_at"]
        read_only_fields = fields


class PromisedGiftSerializer(serializers.ModelSerializer):
    """A gift the contract promised: `pending`, `handed_over` or `substituted` (with what was given and why)."""

    status = serializers.CharField(read_only=True, help_text="`pending`, `handed_over` or `substituted`")
    recorded_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = PromisedGift
        fields = ["id", "item", "source", "status", "gift", "substitute", "reason", "recorded_by", "recorded_at"]
        read_only_fields = fields


class PromisedGiftHandOverSerializer(Serializer):
    gift = f.IdField(required=False, allow_null=True, default=None, help_text="The store's gift item, if from stock.")


class PromisedGiftSubstituteSerializer(Serializer):
    substitute = f.CharField(max_length=100, help_text="What was given instead.")
    reason = f.CharField(max_length=200, help_text="Why; the customer accepts it by signing the confirmation.")
    gift = f.IdField(required=False, allow_null=True, default=None, help_text="The store's gift item, if from stock.")


class DeliverySerializer(serializers.ModelSerializer):
    """A delivery with its PDI checklist, document pack, gifts and what is still missing before `prepared`."""

    status = serializers.CharField(read_only=True, help_text=_codes(DeliveryStatus))
    origin = serializers.CharField(read_only=True, help_text="`domestic` or `imported`")
    origin_source = serializers.CharField(read_only=True, help_text="`vin` (from the WMI) or `override`")
    vin = serializers.CharField(source="vehicle.vin", read_only=True)
    trim = serializers.CharField(source="vehicle.trim", read_only=True)
    consultant = serializers.StringRelatedField(read_only=True)
    consultant_signed_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    explained = serializers.ListField(child=serializers.CharField(), read_only=True, help_text=_codes(ExplanationItem))
    pdi = PdiCheckSerializer(source="pdi_checks", many=True, read_only=True)
    documents = DeliveryDocumentSerializer(many=True, read_only=True)
    gifts = DeliveryGiftSerializer(many=True, read_only=True)
    promised_gifts = PromisedGiftSerializer(many=True, read_only=True)
    missing = serializers.SerializerMethodField(help_text="What `prepare` would report as missing.")
    confirmation_pdf = serializers.SerializerMethodField(help_text="Where the signed confirmation PDF is, once signed.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "number",
            "store",
            "order",
            "customer",
            "consultant",
            "status",
            "scheduled_at",
            "ends_at",
            "bay",
            "vin",
            "trim",
            "origin",
            "origin_source",
            "origin_note",
            "invoice_number",
            "invoice_date",
            "prepared_at",
            "explained",
            "odometer_km",
            "odometer_warning",
            "handover_note",
            "customer_signed_name",
            "customer_signed_at",
            "consultant_signed_by",
            "consultant_signed_at",
            "handed_over_at",
            "confirmation_sha256",
            "confirmation_pdf",
            "pdi",
            "documents",
            "gifts",
            "promised_gifts",
            "missing",
        ]
        read_only_fields = fields

    def get_missing(self, obj: Delivery) -> list[str]:
        if obj.status != DeliveryStatus.SCHEDULED:
            return []
        return selectors.preparation_missing(obj, list(obj.pdi_checks.all()), list(obj.documents.all()))

    def get_confirmation_pdf(self, obj: Delivery) -> str | None:
        return f"/api/v1/deliveries/{obj.pk}/confirmation.pdf" if obj.confirmation_sha256 else None


class HandoverAnswerSerializer(DeliverySerializer):
    """The delivery after the handover was recorded, with warnings (e.g. the odometer above the limit)."""

    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class ScheduleSerializer(Serializer):
    """Book the handover of a signed, paid order (or one with an approved loan)."""

    order = f.IdField()
    scheduled_at = serializers.DateTimeField()
    bay = serializers.CharField(max_length=40, allow_blank=True)
    origin = serializers.CharField(
        required=False, allow_blank=True, help_text="Override the VIN's origin: `domestic` or `imported`."
    )
    origin_note = f.TextField(required=False, allow_blank=True, max_length=200)


class RescheduleSerializer(Serializer):
    scheduled_at = serializers.DateTimeField()
    bay = serializers.CharField(max_length=40, allow_blank=True)


class OriginSerializer(Serializer):
    origin = serializers.CharField(help_text="`domestic` or `imported`")
    note = f.TextField(allow_blank=True, max_length=200, help_text="Why the VIN's origin is overridden.")


class PdiInputSerializer(Serializer):
    item = serializers.CharField(max_length=40, help_text="The item's code, e.g. `exterior`.")
    passed = serializers.BooleanField()
    note = f.TextField(required=False, allow_blank=True, max_length=300, help_text="Required on failure.")


class DocumentInputSerializer(Serializer):
    """`receive` a document (keys with `quantity`, the invoice with `invoice_date`), or record its `holder`."""

    kind = serializers.CharField(help_text=_codes(DocumentKind))
    action = serializers.CharField(required=False, default="receive", help_text="`receive` (default) or `holder`")
    quantity = serializers.IntegerField(required=False, allow_null=True)
    invoice_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    invoice_date = serializers.DateField(required=False, allow_null=True)
    note = f.TextField(required=False, allow_blank=True, max_length=200)
    holder = serializers.CharField(required=False, help_text="`store`, `lender` or `carmaker`")
    holder_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    promised_on = serializers.DateField(required=False, allow_null=True)


class GiftChoiceSerializer(Serializer):
    gift = f.IdField()
    quantity = serializers.IntegerField(help_text="0 takes the gift off the delivery.")


class HandoverInputSerializer(Serializer):
    explained = serializers.ListField(child=serializers.CharField(), help_text=_codes(ExplanationItem))
    odometer_km = serializers.IntegerField()
    note = f.TextField(required=False, allow_blank=True, max_length=300)


class ConfirmInputSerializer(Serializer):
    customer_name = serializers.CharField(max_length=60, allow_blank=True, help_text="Typed by the customer.")
    signature = serializers.CharField(
        required=False, allow_blank=True, help_text="Optional drawn signature: a PNG data URL or base64."
    )


# ---------------------------------------------------------------- handover photos


class HandoverPhotoSerializer(serializers.ModelSerializer):
    """A handover photo as stored: re-encoded, without EXIF; `url` and `thumbnail_url` need the caller's login."""

    taken_by = serializers.StringRelatedField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The photo (at most 2048 px on the long side).")
    thumbnail_url = serializers.SerializerMethodField(help_text="A JPEG thumbnail (at most 320 px).")

    class Meta:
        model = HandoverPhoto
        fields = [
            "id",
            "caption",
            "content_type",
            "width",
            "height",
            "size",
            "sha256",
            "original_name",
            "taken_by",
            "created_at",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_url(self, obj: HandoverPhoto) -> str:
        return f"/api/v1/deliveries/{obj.delivery_id}/photos/{obj.pk}/"

    def get_thumbnail_url(self, obj: HandoverPhoto) -> str:
        return f"/api/v1/deliveries/{obj.delivery_id}/photos/{obj.pk}/thumbnail/"


class PhotoUploadSerializer(Serializer):
    """multipart/form-data: one or more `files` (JPEG, PNG or WebP, at most 10 MB each, 12 per delivery)."""

    # Each file is judged by the service (kept or listed under `rejected` with its reason), none here.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="Repeat the field for several photos.",
    )
    caption = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PhotoRefusalSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The uploaded file's name.")
    code = serializers.CharField(
        help_text="`photo_not_image`, `photo_too_large`, `photo_too_many_pixels`, `photo_empty` or `photo_limit`"
    )
    detail = serializers.CharField()


class PhotoUploadAnswerSerializer(serializers.Serializer):
    """The photos kept, and each refused file with the reason (the good ones are kept even when others fail)."""

    photos = HandoverPhotoSerializer(many=True)
    rejected = PhotoRefusalSerializer(many=True)


# ---------------------------------------------------------------- gifts


class GiftSerializer(serializers.ModelSerializer):
    unit_value = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = GiftItem
        fields = ["id", "store", "name", "unit_value", "stock", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class GiftCreateSerializer(Serializer):
    store = f.IdField()
    name = serializers.CharField(max_length=100, allow_blank=True)
    unit_value = f.MoneyField(required=False)
    stock = serializers.IntegerField(required=False, default=0)


class RestockSerializer(Serializer):
    change = serializers.IntegerField(help_text="How many to add; negative to write off (with a reason).")
    reason = f.TextField(required=False, allow_blank=True, max_length=200)


class GiftRuleInputSerializer(Serializer):
    quantity = serializers.IntegerField(required=False, default=1)
    trim = f.IdField(required=False, allow_null=True)
    promotion = f.IdField(required=False, allow_null=True)
    min_order_total = f.MoneyField(required=False, allow_null=True)


class GiftRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gift = serializers.IntegerField(source="gift_id")
    quantity = serializers.IntegerField()
    trim = serializers.IntegerField(source="trim_id", allow_null=True)
    promotion = serializers.IntegerField(source="promotion_id", allow_null=True)
    min_order_total = serializers.DecimalField(allow_null=True, **MONEY)
