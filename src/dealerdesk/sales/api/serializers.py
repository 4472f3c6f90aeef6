"""Shapes of the orders, contracts and payments API. Input serializers only parse; the services validate and
answer with messages keyed by these field names. Amounts travel as decimal strings."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from ..choices import (
    ContractStatus,
    DepositDecision,
    LoanStatus,
    OrderStatus,
    PaymentChannel,
    PaymentKind,
    PaymentMethod,
    SignatureParty,
)
from ..contract_text import masked_body
from ..models import Contract, Order, Payment
from ..selectors import order_delivery_blocker

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class OrderSerializer(serializers.ModelSerializer):
    """An order: the vehicle and prices copied from the accepted offer, payments so far, the contract in force."""

    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, read_only=True)
    loan_status = serializers.ChoiceField(choices=LoanStatus.choices, read_only=True)
    deposit_decision = serializers.ChoiceField(choices=DepositDecision.choices, read_only=True, allow_blank=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    trim_label = serializers.CharField(source="trim.__str__", read_only=True)
    vin = serializers.SerializerMethodField()
    marked_price_amount = serializers.DecimalField(read_only=True, **MONEY)
    total = serializers.DecimalField(read_only=True, **MONEY)
    deposit_amount = serializers.DecimalField(read_only=True, **MONEY)
    amount_paid = serializers.DecimalField(read_only=True, **MONEY)
    balance_due = serializers.DecimalField(read_only=True, **MONEY)
    options = serializers.JSONField(read_only=True)
    services = serializers.JSONField(read_only=True)
    price_lines = serializers.JSONField(read_only=True)
    delivery_blocker = serializers.SerializerMethodField(
        help_text=_("Why the car cannot be delivered yet; null when it can.")
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "store",
            "customer",
            "customer_name",
            "consultant",
            "status",
            "offer",
            "offer_version",
            "trim",
            "trim_label",
            "exterior",
            "interior",
            "options",
            "services",
            "price_lines",
            "marked_price_amount",
            "total",
            "deposit_amount",
            "payment_method",
            "loan_status",
            "amount_paid",
            "balance_due",
            "stock_vehicle",
            "vin",
            "factory_order_ref",
            "planned_delivery_on",
            "delivery_place",
            "contract",
            "signed_at",
            "delivered_at",
            "cancelled_at",
            "cancel_reason",
            "deposit_decision",
            "delivery_blocker",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_vin(self, order: Order) -> str | None:
        return order.stock_vehicle.vin if order.stock_vehicle_id else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_delivery_blocker(self, order: Order) -> str | None:
        return order_delivery_blocker(order)


class OrderTermsSerializer(Serializer):
    """Terms of a draft order; only the fields given change."""

    planned_delivery_on = serializers.DateField(required=False, allow_null=True)
    delivery_place = serializers.CharField(required=False, allow_blank=True, max_length=120)
    deposit_amount = f.MoneyField(required=False)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)


class OrderCreateSerializer(OrderTermsSerializer):
    """The accepted offer, and a stock vehicle (default: the longest-standing match) or a factory order."""

    offer = f.IdField()
    stock_vehicle = f.IdField(required=False, allow_null=True)
    factory_order_ref = serializers.CharField(required=False, allow_blank=True, max_length=40)


class AllocateSerializer(Serializer):
    stock_vehicle = f.IdField(required=False, allow_null=True)
    factory_order_ref = serializers.CharField(required=False, allow_blank=True, max_length=40)


class LoanSerializer(Serializer):
    loan_status = serializers.ChoiceField(choices=[c for c in LoanStatus.choices if c[0] != LoanStatus.NONE])


class CancelSerializer(Serializer):
    reason = f.TextField(allow_blank=True, max_length=300)
    deposit_decision = serializers.ChoiceField(choices=DepositDecision.choices, required=False, allow_blank=True)


class ContractListSerializer(serializers.ModelSerializer):
    """A contract in a list: who signed and when, and once signed the SHA-256 of the stored PDF; without the text
    (open one contract for it)."""

    status = serializers.ChoiceField(choices=ContractStatus.choices, read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    total = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    deposit_amount = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    amendment_changes = serializers.JSONField(read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "status",
            "version",
            "order",
            "order_number",
            "customer",
            "amends",
            "template_version",
            "total",
            "deposit_amount",
            "sha256",
            "filled_at",
            "submitted_at",
            "customer_signed_name",
            "customer_signed_at",
            "consultant_signed_by",
            "consultant_signed_at",
            "manager_signed_by",
            "manager_signed_at",
            "signed_at",
            "amendment_reason",
            "amendment_changes",
            "pdf_url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_pdf_url(self, contract: Contract) -> str | None:
        if contract.status != ContractStatus.SIGNED:
            return None
        return reverse("api-contract-pdf", kwargs={"pk": contract.pk})


class ContractSerializer(ContractListSerializer):
    """A contract: its filled text, who signed and when, and once signed the SHA-256 of the stored PDF.

    The text shows the customer's mobile and any ID number masked; the signed PDF holds them in full."""

    body = serializers.SerializerMethodField(
        help_text=_("The contract text, with the customer's mobile and ID numbers masked.")
    )

    class Meta(ContractListSerializer.Meta):
        fields = [*ContractListSerializer.Meta.fields[:9], "body", *ContractListSerializer.Meta.fields[9:]]
        read_only_fields = fields

    def get_body(self, contract: Contract) -> str:
        return masked_body(contract)


class ContractCreateSerializer(Serializer):
    order = f.IdField()


class SignSerializer(Serializer):
    party = serializers.ChoiceField(choices=SignatureParty.choices)
    typed_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    signature_png = serializers.CharField(
        required=False, allow_blank=True, help_text=_("The customer's drawn signature: a PNG as base64 or a data: URL.")
    )


class AmendSerializer(OrderTermsSerializer):
    reason = f.TextField(allow_blank=True, max_length=300)


class DiscardSerializer(Serializer):
    reason = f.TextField(required=False, allow_blank=True, max_length=300)


class PaymentSerializer(serializers.ModelSerializer):
    """A payment of an order: money received (deposit, balance) or paid back (refund)."""

    kind = serializers.ChoiceField(choices=PaymentKind.choices, read_only=True)
    method = serializers.ChoiceField(choices=PaymentChannel.choices, read_only=True)
    amount = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = Payment
        fields = ["id", "order", "kind", "method", "receipt_number", "amount", "received_at", "note", "recorded_by"]
        read_only_fields = fields


class PaymentCreateSerializer(Serializer):
    order = f.IdField()
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    method = serializers.ChoiceField(choices=PaymentChannel.choices)
    receipt_number = serializers.CharField(allow_blank=True, max_length=40)
    amount = f.MoneyField()
    received_at = serializers.DateTimeField(required=False)
    note = f.TextField(required=False, allow_blank=True, max_length=200)
