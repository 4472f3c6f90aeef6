"""Registration API shapes. Choice fields are inline enums (no shared component names to clash)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer
from dealerdesk.customers.privacy import masked_id_number

from .. import selectors
from ..choices import DocumentHolder, DocumentKind, OwnerKind, RegistrationStatus
from ..models import Registration, RegistrationDocument


def _inline_enum(choices) -> type[serializers.ChoiceField]:
    """A ChoiceField documented as an inline string enum."""

    @extend_schema_field({"type": "string", "enum": list(choices.values)})
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices.choices, **kwargs)

    return Field


StatusField = _inline_enum(RegistrationStatus)
KindField = _inline_enum(DocumentKind)
HolderField = _inline_enum(DocumentHolder)
OwnerKindField = _inline_enum(OwnerKind)


class RegistrationDocumentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="The document's code, as in the `documents` action.")
    label = serializers.CharField(source="get_kind_display", read_only=True)
    holder = serializers.CharField(read_only=True, help_text="customer, store or lender; empty until received")
    received_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = RegistrationDocument
        fields = ["kind", "label", "holder", "received_at", "received_by", "note"]


class RegistrationSerializer(serializers.ModelSerializer):
    status = StatusField(read_only=True)
    status_label = serializers.CharField(source="status_display", read_only=True)
    owner_kind = OwnerKindField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    id_number_masked = serializers.SerializerMethodField(help_text="The owner's resident ID, masked (4 + 4).")
    vin = serializers.CharField(source="stock_vehicle.vin", read_only=True, default="")
    vehicle = serializers.SerializerMethodField()
    clerk_name = serializers.StringRelatedField(source="clerk", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    documents = RegistrationDocumentSerializer(many=True, read_only=True)
    missing_documents = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "number",
            "store",
            "order",
            "order_number",
            "customer",
            "customer_name",
            "id_number_masked",
            "stock_vehicle",
            "vin",
            "vehicle",
            "status",
            "status_label",
            "by_customer",
            "owner_kind",
            "company_name",
            "is_local",
            "financed",
            "imported",
            "new_energy",
            "clerk",
            "clerk_name",
            "target_on",
            "target_from_delivery",
            "overdue",
            "office",
            "opened_at",
            "submitted_at",
            "plate_issued_at",
            "completed_at",
            "cancelled_at",
            "cancel_reason",
            "plate",
            "licence_issued_on",
            "note",
            "documents",
            "missing_documents",
        ]
        read_only_fields = fields

    def get_id_number_masked(self, obj: Registration) -> str:
        return masked_id_number(obj.customer)

    def get_vehicle(self, obj: Registration) -> str:
        return str(obj.stock_vehicle.trim) if obj.stock_vehicle_id else ""

    def get_overdue(self, obj: Registration) -> bool:
        return selectors.is_overdue(obj)

    def get_missing_documents(self, obj: Registration) -> list[str]:
        return [d.kind for d in selectors.missing_documents(obj)]


class RegistrationOpenSerializer(Serializer):
    order = f.IdField(help_text="The signed or delivered order.")
    by_customer = serializers.BooleanField(
        default=False, help_text="The customer registers the car themselves: only the plate they report is recorded."
    )
    owner_kind = OwnerKindField(default=OwnerKind.INDIVIDUAL)
    company_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    local = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Empty: judged from the customer's city."
    )
    clerk = f.IdField(required=False, allow_null=True, default=None)
    note = f.TextField(max_length=300, required=False, allow_blank=True, default="")


class RegistrationCaseSerializer(Serializer):
    owner_kind = OwnerKindField(required=False)
    company_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    local = serializers.BooleanField(required=False)


class RegistrationDocumentReceiveSerializer(Serializer):
    kind = KindField()
    holder = HolderField()
    note = f.TextField(max_length=200, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="With `owner_id`: the number on the card, written to the customer's record (encrypted)",
    )


class RegistrationSubmitSerializer(Serializer):
    office = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class RegistrationPlateSerializer(Serializer):
    plate = serializers.CharField(max_length=20, help_text="e.g. 粤B12345, or 粤BD12345 for a new-energy vehicle")
    licence_issued_on = serializers.DateField()


class RegistrationAssignSerializer(Serializer):
    clerk = f.IdField()


class RegistrationCancelSerializer(Serializer):
    reason = f.TextField(max_length=300, error_messages={"blank": _("Say why the registration is cancelled.")})
