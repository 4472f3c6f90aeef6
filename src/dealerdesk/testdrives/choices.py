"""Vocabularies of test drives and the booking's allowed moves (DESIGN §5.4, §6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TestDriveStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    PREPARED = "prepared", _("Prepared")
    IN_PROGRESS = "in_progress", _("Driving")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


TESTDRIVE_MOVES: dict[str, frozenset[str]] = {
    TestDriveStatus.REQUESTED: frozenset({TestDriveStatus.CONFIRMED, TestDriveStatus.CANCELLED}),
    TestDriveStatus.CONFIRMED: frozenset(
        {TestDriveStatus.PREPARED, TestDriveStatus.CANCELLED, TestDriveStatus.NO_SHOW}
    ),
    TestDriveStatus.PREPARED: frozenset(
        {TestDriveStatus.IN_PROGRESS, TestDriveStatus.CANCELLED, TestDriveStatus.NO_SHOW}
    ),
    TestDriveStatus.IN_PROGRESS: frozenset({TestDriveStatus.COMPLETED}),
    TestDriveStatus.COMPLETED: frozenset(),
    TestDriveStatus.CANCELLED: frozenset(),
    TestDriveStatus.NO_SHOW: frozenset(),
}

# A booking in one of these holds its demo car and its consultant (the overlap invariant applies).
ACTIVE_STATUSES = (
    TestDriveStatus.REQUESTED,
    TestDriveStatus.CONFIRMED,
    TestDriveStatus.PREPARED,
    TestDriveStatus.IN_PROGRESS,
)
# A booking may be moved to another time, car or consultant while it has not started.
RESCHEDULABLE = frozenset({TestDriveStatus.REQUESTED, TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED})


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    ONLINE = "online", _("Public booking page")


STAFF_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.WECHAT)


class LicenceClass(models.TextChoices):
    A1 = "A1", _("A1 (large bus)")
    A2 = "A2", _("A2 (tractor-trailer)")
    B1 = "B1", _("B1 (medium bus)")
    B2 = "B2", _("B2 (large truck)")
    C1 = "C1", _("C1 (small car, manual or automatic)")
    C2 = "C2", _("C2 (small car, automatic only)")
    D = "D", _("D (motorcycle)")
    E = "E", _("E (two-wheeled motorcycle)")
    F = "F", _("F (light motorcycle)")


class Transmission(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic")
    MANUAL = "manual", _("Manual")


# Which transmissions of a small passenger car each licence class may drive (GA/T 1047 quasi-driving classes):
# C2 is automatic only; C1 covers both; the large-vehicle classes A1/A2/B1/B2 include C1;
# the motorcycle classes D/E/F allow no car.
LICENCE_COVERS: dict[str, frozenset[str]] = {
    LicenceClass.C2: frozenset({Transmission.AUTOMATIC}),
    LicenceClass.C1: frozenset({Transmission.AUTOMATIC, Transmission.MANUAL}),
    LicenceClass.A1: frozenset({Transmission.AUTOMATIC, Transmission.MANUAL}),
    LicenceClass.A2: frozenset({Transmission.AUTOMATIC, Transmission.MANUAL}),
    LicenceClass.B1: frozenset({Transmission.AUTOMATIC, Transmission.MANUAL}),
    LicenceClass.B2: frozenset({Transmission.AUTOMATIC, Transmission.MANUAL}),
    LicenceClass.D: frozenset(),
    LicenceClass.E: frozenset(),
    LicenceClass.F: frozenset(),
}


class FirstDriver(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    CONSULTANT = "consultant", _("The consultant (ride first)")


class BriefingItem(models.TextChoices):
    CONTROLS = "controls", _("Controls explained (seat, mirrors, gear selector, brakes)")
    ASSISTANCE = "assistance", _("Driver-assistance systems explained")
    ROUTE = "route", _("Route walked through")
    SAFETY = "safety", _("Safety rules (seat belts, speed limits, phone away)")


class FeedbackChannel(models.TextChoices):
    DESK = "desk", _("At the desk")
    LINK = "link", _("Through the link sent by message")


class OdometerSource(models.TextChoices):
    TEST_DRIVE = "test_drive", _("Test drive")
    CHECK = "check", _("Fleet check")
    CORRECTION = "correction", _("Correction by the fleet manager")


class FleetAlertKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance expiring")
