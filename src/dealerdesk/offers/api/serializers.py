"""Shapes of the promotions and offers API. Input serializers only parse; the services validate and answer with
messages keyed by these field names. Amounts travel as decimal strings."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from .. import engine
from ..choices import LineKind, OfferStatus, PromotionKind, ServiceKind
from ..models import Offer, Promotion

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


# ---------------------------------------------------------------- promotions


class PromotionSerializer(serializers.ModelSerializer):
    """A promotion. `store` is null for a group-wide promotion."""

    amount = serializers.DecimalField(allow_null=True, read_only=True, **MONEY)
    budget_remaining = serializers.DecimalField(allow_null=True, read_only=True, **MONEY)
    cities = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Promotion
        fields = [
            "id",
            "group",
            "store",
            "name",
            "description",
            "kind",
            "amount",
            "percentage",
            "gift_description",
            "brand",
            "series",
            "trim",
            "min_stock_age_days",
            "starts_on",
            "ends_on",
            "requires_trade_in",
            "requires_loan",
            "requires_first_car",
            "cities",
            "exclusive",
            "stacking_group",
            "budget_remaining",
            "quantity_remaining",
            "needs_approval",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PromotionWriteSerializer(Serializer):
    """Promotion fields as given; the service checks the window, the amounts and the stacking rules."""

    store = f.IdField(
        required=False, allow_null=True, help_text=_("The store; null for a group-wide promotion (group admins).")
    )
    name = serializers.CharField(max_length=100, allow_blank=True)
    description = f.TextField(max_length=300, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PromotionKind.choices)
    amount = f.MoneyField(required=False, allow_null=True)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    gift_description = f.TextField(max_length=200, required=False, allow_blank=True)
    brand = f.IdField(required=False, allow_null=True)
    series = f.IdField(required=False, allow_null=True)
    trim = f.IdField(required=False, allow_null=True)
    min_stock_age_days = serializers.IntegerField(required=False, allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    requires_trade_in = serializers.BooleanField(required=False, default=False)
    requires_loan = serializers.BooleanField(required=False, default=False)
    requires_first_car = serializers.BooleanField(required=False, default=False)
    cities = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    exclusive = serializers.BooleanField(required=False, default=False)
    stacking_group = serializers.CharField(max_length=40, required=False, allow_blank=True)
    budget_remaining = f.MoneyField(required=False, allow_null=True)
    quantity_remaining = serializers.IntegerField(required=False, allow_null=True)
    needs_approval = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)


class PromotionChangeSerializer(PromotionWriteSerializer):
    """The fields of a promotion that can change: all but its store (it stays where it was made)."""

    store = serializers.IntegerField(read_only=True, help_text=_("Set when the promotion is made; not changed."))


# ---------------------------------------------------------------- offers


class ServiceInputSerializer(Serializer):
    """An optional service the customer chose, with its price."""

    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    amount = f.MoneyField()
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OfferInputSerializer(Serializer):
    """What to offer. Without `promotions` the engine picks the best legal combination; `[]` applies none."""

    trim = f.IdField()
    colour = f.IdField(required=False, allow_null=True)
    options = serializers.ListField(child=f.IdField(), required=False)
    services = ServiceInputSerializer(many=True, required=False)
    extra_discount = f.MoneyField(
        required=False, allow_null=True, help_text=_("The consultant's extra discount (CNY).")
    )
    promotions = serializers.ListField(
        child=f.IdField(),
        required=False,
        allow_null=True,
        help_text=_("Promotion ids to apply; leave out for the best combination."),
    )
    trade_in = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Default: from the customer's current needs.")
    )
    loan = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Default: from the customer's current needs.")
    )
    first_car = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Default: true when no vehicle of the customer is on record."),
    )
    city = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=60, help_text=_("Default: the customer's city.")
    )
    stock_vehicle = f.IdField(
        required=False, allow_null=True, help_text=_("A stock vehicle of the trim (its stock age counts).")
    )
    note = f.TextField(required=False, allow_blank=True, max_length=300)


class OfferCreateSerializer(OfferInputSerializer):
    customer = f.IdField()


class DecisionSerializer(Serializer):
    note = f.TextField(required=False, allow_blank=True, max_length=300)


class LineSerializer(serializers.Serializer):
    """One line of the price breakdown; discounts are negative, a gift is 0 with its `value`."""

    kind = serializers.ChoiceField(choices=LineKind.choices)
    label = serializers.CharField(source="text", help_text=_("In the caller's language."))
    amount = serializers.DecimalField(**MONEY)
    value = serializers.DecimalField(allow_null=True, **MONEY)
    optional = serializers.BooleanField(help_text=_("An optional service the customer may decline."))
    promotion = serializers.IntegerField(source="promotion_id", allow_null=True)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    """A promotion considered for the offer: eligible or not, with the reasons, and whether it was applied."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=PromotionKind.choices)
    eligible = serializers.BooleanField()
    chosen = serializers.BooleanField()
    benefit = serializers.DecimalField(**MONEY)
    needs_approval = serializers.BooleanField()
    exclusive = serializers.BooleanField()
    stacking_group = serializers.CharField()
    reasons = ReasonSerializer(many=True)


class _PriceSerializer(serializers.Serializer):
    lines = LineSerializer(many=True)
    vehicle_price = serializers.DecimalField(**MONEY)
    discount_total = serializers.DecimalField(**MONEY)
    extra_discount = serializers.DecimalField(**MONEY)
    services_total = serializers.DecimalField(**MONEY)
    gift_value = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    eligible_promotions = EligibilitySerializer(many=True)
    approval_reasons = serializers.ListField(child=serializers.CharField())


class QuoteSerializer(_PriceSerializer):
    """An offer computed but not saved."""

    status = serializers.ChoiceField(
        choices=OfferStatus.choices, help_text=_("The status it would get if saved: draft or pending_approval.")
    )


# Answers with hundreds of promotions are built as plain data (the serializers above describe them for the
# schema): DRF's field-by-field serializing would cost more than computing the offer.


def _money(value) -> str | None:
    return None if value is None else str(engine.money(value))


def lines_payload(lines) -> list[dict]:
    """Breakdown lines (engine lines or saved ones) as LineSerializer describes them."""
    return [
        {
            "kind": line.kind,
            "label": line.text,
            "amount": _money(line.amount),
            "value": _money(line.value),
            "optional": line.optional,
            "promotion": line.promotion_id,
        }
        for line in lines
    ]


def eligibility_payload(rows: list[dict]) -> list[dict]:
    """Eligibility rows as EligibilitySerializer describes them, reasons in the caller's language."""
    keys = ("id", "name", "kind", "eligible", "chosen", "needs_approval", "exclusive", "stacking_group", "reasons")
    return [
        {**{k: row.get(k) for k in keys}, "benefit": _money(Decimal(row["benefit"]))}
        for row in engine.eligibility_display(rows)
    ]


def quote_data(quote: engine.Quote) -> dict:
    """A computed offer as QuoteSerializer describes it."""
    b = quote.breakdown
    return {
        "lines": lines_payload(b.lines),
        "vehicle_price": _money(b.vehicle_price),
        "discount_total": _money(b.discount_total),
        "extra_discount": _money(b.extra_discount),
        "services_total": _money(b.services_total),
        "gift_value": _money(b.gift_value),
        "total": _money(b.total),
        "eligible_promotions": eligibility_payload(engine.eligibility_rows(quote.judgements, quote.combination.ids)),
        "approval_reasons": [str(r) for r in quote.approval_reasons],
        "status": OfferStatus.PENDING_APPROVAL if quote.approval_reasons else OfferStatus.DRAFT,
    }


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class OfferSerializer(serializers.ModelSerializer):
    """A saved offer with its current version's lines and the promotions it considered."""

    customer = CustomerRefSerializer()
    consultant = serializers.IntegerField(source="consultant_id")
    version = serializers.IntegerField(source="current.number")
    trim = serializers.IntegerField(source="current.trim_id")
    colour = serializers.IntegerField(source="current.colour_id", allow_null=True)
    lines = serializers.SerializerMethodField()
    vehicle_price = serializers.DecimalField(source="current.vehicle_price", **MONEY)
    discount_total = serializers.DecimalField(source="current.discount_total", **MONEY)
    extra_discount = serializers.DecimalField(source="current.extra_discount", **MONEY)
    services_total = serializers.DecimalField(source="current.services_total", **MONEY)
    gift_value = serializers.DecimalField(source="current.gift_value", **MONEY)
    total = serializers.DecimalField(source="current.total", **MONEY)
    marked_price = serializers.IntegerField(source="current.marked_price_id", help_text=_("The marked price record."))
    eligible_promotions = serializers.SerializerMethodField()
    approval_reasons = serializers.ListField(source="current.approval_reasons", child=serializers.CharField())
    decision = serializers.CharField(source="current.decision")
    decision_note = serializers.CharField(source="current.decision_note")

    class Meta:
        model = Offer
        fields = [
            "id",
            "number",
            "store",
            "customer",
            "consultant",
            "status",
            "version",
            "valid_until",
            "trim",
            "colour",
            "marked_price",
            "lines",
            "vehicle_price",
            "discount_total",
            "extra_discount",
            "services_total",
            "gift_value",
            "total",
            "eligible_promotions",
            "approval_reasons",
            "decision",
            "decision_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @staticmethod
    def _lines(offer: Offer) -> list:
        lines = getattr(offer.current, "ordered_lines", None)
        return lines if lines is not None else list(offer.current.lines.order_by("position"))

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, offer: Offer) -> list[dict]:
        return lines_payload(self._lines(offer))

    @extend_schema_field(EligibilitySerializer(many=True))
    def get_eligible_promotions(self, offer: Offer) -> list[dict]:
        return eligibility_payload(offer.current.eligibility)
