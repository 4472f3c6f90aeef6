"""Shapes of the showroom API. Input serializers only parse; the services validate (their ValidationError dicts come
back keyed by field)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import QuerySerializer, Serializer
from dealerdesk.customers.choices import ConsentPurpose

from ..choices import (
    BodyType,
    DecisionMaker,
    EnergyType,
    PaymentMethod,
    ReasonKind,
    Timeframe,
    Usage,
    VisitKind,
)
from ..models import NeedsAssessment, Visit

# ---------------------------------------------------------------- visits


class VisitSerializer(serializers.ModelSerializer):
    """A showroom visit. `visitor` is the linked customer's name (masked for a consultant who does not serve them)."""

    visitor = serializers.SerializerMethodField(help_text=_("The linked customer's name, masked where not yours."))
    consultant_name = serializers.SerializerMethodField()
    waiting_minutes = serializers.SerializerMethodField(help_text=_("Arrival until a consultant took over."))
    duration_minutes = serializers.SerializerMethodField(help_text=_("Arrival until departure."))

    class Meta:
        model = Visit
        fields = [
            "id",
            "store",
            "status",
            "arrived_at",
            "party_size",
            "kind",
            "source",
            "customer",
            "visitor",
            "consultant",
            "consultant_name",
            "assigned_at",
            "assign_method",
            "waiting_minutes",
            "refreshments_offered",
            "refreshment",
            "rest_area",
            "left_at",
            "duration_minutes",
            "notes",
        ]
        read_only_fields = fields

    def get_visitor(self, visit: Visit) -> str:
        from ..selectors import masked_name, sees_visitor_names

        if not visit.customer_id:
            return ""
        user = self.context["request"].user
        name = visit.customer.name
        if sees_visitor_names(user, visit.store_id) or user.pk in (visit.consultant_id, visit.customer.owner_id):
            return name
        return masked_name(name)

    def get_consultant_name(self, visit: Visit) -> str:
        return str(visit.consultant) if visit.consultant_id else ""

    def get_waiting_minutes(self, visit: Visit) -> int | None:
        return None if visit.waiting_seconds is None else visit.waiting_seconds // 60

    def get_duration_minutes(self, visit: Visit) -> int | None:
        return None if visit.duration_seconds is None else visit.duration_seconds // 60


class VisitArriveSerializer(Serializer):
    store = f.IdField(required=False, help_text=_("Store id; may be left out when you work in one store only."))
    party_size = serializers.IntegerField(label=_("party size"), required=False, default=1)
    kind = serializers.ChoiceField(label=_("visit type"), choices=VisitKind.choices, required=False, default="first")
    source = serializers.CharField(
        label=_("heard of us through"),
        required=False,
        allow_blank=True,
        default="",
        max_length=20,
        help_text=_("The code of one of the group's active lead sources (GET /api/v1/lead-sources/)."),
    )
    customer = f.IdField(
        required=False, allow_null=True, help_text=_("Customer id when the visitor is known; else anonymous.")
    )
    notes = f.TextField(required=False, allow_blank=True, default="", max_length=200)


class VisitAssignSerializer(Serializer):
    consultant = f.IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("User id of the consultant; leave out for the next one up in the store's rotation."),
    )


class VisitLinkCustomerSerializer(Serializer):
    """Either an existing customer's id, or name + mobile (+ consents) to quick-register (dedup by mobile)."""

    customer = f.IdField(required=False, allow_null=True, default=None)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    mobile = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    consents = serializers.ListField(
        child=serializers.ChoiceField(choices=ConsentPurpose.choices), required=False, default=list
    )


class VisitLinkResultSerializer(serializers.Serializer):
    visit = VisitSerializer()
    customer = serializers.IntegerField()
    created = serializers.BooleanField(help_text=_("True when a new customer was registered."))


class BoardRowSerializer(serializers.Serializer):
    visit = VisitSerializer()
    visitor = serializers.CharField()
    waiting_minutes = serializers.IntegerField(allow_null=True)
    minutes_in_showroom = serializers.IntegerField()
    needs_taken = serializers.BooleanField()


class BoardSerializer(serializers.Serializer):
    store = serializers.IntegerField(source="store.pk")
    day = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    waiting = BoardRowSerializer(many=True)
    with_consultant = BoardRowSerializer(many=True)
    left = BoardRowSerializer(many=True)


class BoardQuerySerializer(QuerySerializer):
    store = f.IdField(required=False, help_text=_("Store id; optional when you see one store."))


class VisitListQuerySerializer(QuerySerializer):
    store = f.IdField(required=False)
    date = serializers.DateField(required=False, help_text=_("Local day of arrival; default today."))
    status = serializers.CharField(required=False)
    consultant = f.IdField(required=False)
    customer = f.IdField(required=False)


# ---------------------------------------------------------------- needs


class _NeedsFieldsSerializer(Serializer):
    budget_min = f.MoneyField(required=False, allow_null=True)
    budget_max = f.MoneyField(required=False, allow_null=True)
    body_type = serializers.ChoiceField(choices=BodyType.choices, required=False, allow_blank=True, default="")
    seats = serializers.IntegerField(required=False, allow_null=True)
    energy_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[c for c in EnergyType.choices if c[0]]), required=False, default=list
    )
    usage = serializers.ChoiceField(choices=Usage.choices, required=False, allow_blank=True, default="")
    annual_km = serializers.IntegerField(required=False, allow_null=True)
    home_charging = serializers.BooleanField(required=False, allow_null=True, default=None)
    timeframe = serializers.ChoiceField(choices=Timeframe.choices, required=False, allow_blank=True, default="")
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, allow_blank=True, default=""
    )
    trade_in = serializers.BooleanField(required=False, default=False)


class NeedsAssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = NeedsAssessment
        fields = [
            "id",
            "store",
            "customer",
            "visit",
            "consultant",
            "budget_min",
            "budget_max",
            "body_type",
            "seats",
            "energy_types",
            "usage",
            "annual_km",
            "home_charging",
            "timeframe",
            "payment_method",
            "trade_in",
            "trade_in_vehicle",
            "must_have",
            "competitors",
            "decision_maker",
            "notes",
            "proposed_grade",
            "confirmed_grade",
            "created_at",
        ]
        read_only_fields = fields


class NeedsAssessmentCreateSerializer(_NeedsFieldsSerializer):
    customer = f.IdField()
    visit = f.IdField(required=False, allow_null=True, default=None)
    trade_in_vehicle = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    must_have = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    competitors = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    decision_maker = serializers.ChoiceField(
        choices=DecisionMaker.choices, required=False, allow_blank=True, default=""
    )
    notes = f.TextField(required=False, allow_blank=True, default="")


class NeedsAssessmentQuerySerializer(QuerySerializer):
    customer = f.IdField(required=False)


# ---------------------------------------------------------------- recommendations


class RecommendationRequestSerializer(_NeedsFieldsSerializer):
    """The needs form's names; `store` may be left out when you sell in one store only."""

    store = f.IdField(required=False)
    must_have = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class RecommendationReasonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ReasonKind.choices,
        help_text=_("fit: a reason for; trade_off: a reason against; info: good to know."),
    )
    code = serializers.CharField()
    text = serializers.CharField(help_text=_("The reason as a sentence in the caller's language."))


class RankedTrimSerializer(serializers.Serializer):
    trim = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.IntegerField(help_text=_("Fit score 0–100."))
    meets_needs = serializers.BooleanField(help_text=_("False when a hard need (seats, body, budget) is missed."))
    availability = serializers.ChoiceField(
        choices=[("in_stock", "in_stock"), ("in_transit", "in_transit"), ("orderable", "orderable")]
    )
    in_stock = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text=_("Marked price in force (CNY)."))
    price_basis = serializers.ChoiceField(choices=[("marked", "marked"), ("msrp", "msrp")])
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    net_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    reasons = RecommendationReasonSerializer(many=True)
    order_reason = serializers.CharField(
        help_text=_(
            "Why the trim is listed above a higher score further down (hard needs met, sooner to hand over); "
            "empty when it is not."
        )
    )


class RecommendationResponseSerializer(serializers.Serializer):
    store = serializers.IntegerField()
    promotions_applied = serializers.BooleanField(
        help_text=_("False: prices are marked prices before promotions (the offers engine is not available).")
    )
    considered = serializers.IntegerField(help_text=_("How many trims of the store were scored."))
    results = RankedTrimSerializer(many=True)
