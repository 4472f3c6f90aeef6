"""Catalogue vocabularies."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dealerdesk.customers.choices import BodyType, EnergyType  # one vocabulary for needs and trims

__all__ = [
    "DEMO_MOVES",
    "RECEIVABLE_STATUSES",
    "STOCK_MOVES",
    "BodyType",
    "CertificateHolder",
    "ColourKind",
    "DemoStatus",
    "Drive",
    "EnergyType",
    "Origin",
    "StockStatus",
]


class Drive(models.TextChoices):
    FWD = "fwd", _("Front-wheel drive")
    RWD = "rwd", _("Rear-wheel drive")
    AWD = "awd", _("All-wheel drive")


class Origin(models.TextChoices):
    DOMESTIC = "domestic", _("Made in China")
    IMPORTED = "imported", _("Imported")


class ColourKind(models.TextChoices):
    EXTERIOR = "exterior", _("Exterior")
    INTERIOR = "interior", _("Interior")


class StockStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    IN_STOCK = "in_stock", _("In stock")
    RESERVED = "reserved", _("Reserved")
    SOLD = "sold", _("Sold")
    DELIVERED = "delivered", _("Delivered")


STOCK_MOVES: dict[str, set[str]] = {
    StockStatus.IN_TRANSIT: {StockStatus.IN_STOCK},
    StockStatus.IN_STOCK: {StockStatus.RESERVED, StockStatus.SOLD},
    StockStatus.RESERVED: {StockStatus.IN_STOCK, StockStatus.SOLD},
    StockStatus.SOLD: {StockStatus.DELIVERED, StockStatus.IN_STOCK},
    StockStatus.DELIVERED: set(),
}


class DemoStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


class CertificateHolder(models.TextChoices):
    STORE = "store", _("The store")
    LENDER = "lender", _("The lender (financed stock)")
    CARMAKER = "carmaker", _("The carmaker")


# A demo car in use (available or in maintenance) moves between those two; retiring it is final.
DEMO_MOVES: dict[str, set[str]] = {
    DemoStatus.AVAILABLE: {DemoStatus.MAINTENANCE, DemoStatus.RETIRED},
    DemoStatus.MAINTENANCE: {DemoStatus.AVAILABLE, DemoStatus.RETIRED},
    DemoStatus.RETIRED: set(),
}

# Statuses a vehicle may be received in; reserving and selling happen afterwards through the moves above.
RECEIVABLE_STATUSES = (StockStatus.IN_TRANSIT, StockStatus.IN_STOCK)
