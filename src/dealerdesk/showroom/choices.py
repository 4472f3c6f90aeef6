"""Showroom vocabularies and the allowed visit moves (DESIGN §6: `arrived → with_consultant → left`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dealerdesk.customers.choices import BodyType, EnergyType, PaymentMethod, Source, Timeframe

__all__ = [
    "GRADE_BY_TIMEFRAME",
    "VISIT_MOVES",
    "BodyType",
    "DecisionMaker",
    "EnergyType",
    "Material",
    "PaymentMethod",
    "ReasonKind",
    "Refreshment",
    "Source",
    "Timeframe",
    "Usage",
    "VisitKind",
    "VisitStatus",
    "WalkaroundPoint",
]


class VisitStatus(models.TextChoices):
    ARRIVED = "arrived", _("Waiting")
    WITH_CONSULTANT = "with_consultant", _("With a consultant")
    LEFT = "left", _("Left")


# from → allowed next statuses. A visitor may leave before anyone served them; nobody comes back from `left`
# (a later return is a new visit).
VISIT_MOVES: dict[str, set[str]] = {
    VisitStatus.ARRIVED: {VisitStatus.WITH_CONSULTANT, VisitStatus.LEFT},
    VisitStatus.WITH_CONSULTANT: {VisitStatus.LEFT},
    VisitStatus.LEFT: set(),
}

IN_SHOWROOM = (VisitStatus.ARRIVED, VisitStatus.WITH_CONSULTANT)


class VisitKind(models.TextChoices):
    FIRST = "first", _("First visit")
    RETURN = "return", _("Return visit")
    APPOINTMENT = "appointment", _("Appointment")


class AssignMethod(models.TextChoices):
    ROTATION = "rotation", _("Next up in the rotation")
    PICKED = "picked", _("Picked by reception")
    SELF = "self", _("Taken by the consultant")


class Refreshment(models.TextChoices):
    NONE = "", _("Nothing")
    WATER = "water", _("Water")
    TEA = "tea", _("Tea")
    COFFEE = "coffee", _("Coffee")
    JUICE = "juice", _("Juice")
    OTHER = "other", _("Other")


class Usage(models.TextChoices):
    UNKNOWN = "", _("Not said")
    COMMUTE = "commute", _("Daily commute")
    FAMILY = "family", _("Family car")
    BUSINESS = "business", _("Business / reception")
    LONG_TRIPS = "long_trips", _("Long trips")
    LEISURE = "leisure", _("Weekend and leisure")
    RIDE_HAILING = "ride_hailing", _("Ride-hailing")


class DecisionMaker(models.TextChoices):
    UNKNOWN = "", _("Not said")
    SELF = "self", _("The customer")
    SPOUSE = "spouse", _("Spouse / partner")
    FAMILY = "family", _("Family together")
    PARENTS = "parents", _("Parents")
    COMPANY = "company", _("The company")


class WalkaroundPoint(models.TextChoices):
    """The six positions of the walkaround (六方位绕车), in the order they are presented."""

    FRONT = "front", _("Front")
    DRIVER_SIDE = "driver_side", _("Driver side")
    REAR = "rear", _("Rear")
    PASSENGER_SIDE = "passenger_side", _("Passenger side")
    INTERIOR = "interior", _("Interior")
    ENGINE_BAY = "engine_bay", _("Engine / motor bay")


class Material(models.TextChoices):
    BROCHURE = "brochure", _("Brochure")
    SPEC_SHEET = "spec_sheet", _("Specification sheet")
    COMPARISON = "comparison", _("Trim comparison")
    PRICE_LIST = "price_list", _("Price list")
    FINANCE_PLAN = "finance_plan", _("Finance plan")
    BUSINESS_CARD = "business_card", _("Business card")
    GIFT = "gift", _("Small gift")


class ReasonKind(models.TextChoices):
    """How a recommendation reason counts: for the trim, against it, or good to know."""

    FIT = "fit", _("Fits the needs")
    TRADE_OFF = "trade_off", _("Trade-off")
    INFO = "info", _("Good to know")


# The intent grade proposed from the purchase timeframe (the consultant confirms it).
GRADE_BY_TIMEFRAME: dict[str, str] = {
    Timeframe.WEEK: "H",
    Timeframe.MONTH: "A",
    Timeframe.QUARTER: "B",
    Timeframe.LATER: "C",
}
