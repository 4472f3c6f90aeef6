"""The care desk's vocabularies: the kinds of call, each with its own script."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallType(models.TextChoices):
    DELIVERY_D1 = "delivery_d1", _("Day 1 after delivery")
    DELIVERY_D3 = "delivery_d3", _("Day 3 after delivery")
    DELIVERY_D7 = "delivery_d7", _("Day 7 after delivery")
    DELIVERY_D30 = "delivery_d30", _("Day 30 after delivery")
    AFTER_TEST_DRIVE = "after_test_drive", _("After a test drive")
    GENERAL = "general", _("General follow-up")


# a post-delivery call's day after handover → its script: the store may plan other days (1–365), each takes the
# script of the nearest standard day at or above it (day 2 → day 3's, day 60 → day 30's)
DELIVERY_DAY_TYPES: tuple[tuple[int, int | None, str], ...] = (
    (0, 1, CallType.DELIVERY_D1),
    (2, 3, CallType.DELIVERY_D3),
    (4, 7, CallType.DELIVERY_D7),
    (8, None, CallType.DELIVERY_D30),
)


def delivery_call_type(day: int) -> str:
    """The call type of a post-delivery call on `day` after the handover."""
    for low, high, call_type in DELIVERY_DAY_TYPES:
        if day >= low and (high is None or day <= high):
            return call_type
    return CallType.DELIVERY_D1


class Due(models.TextChoices):
    ALL = "all", _("Due today and overdue")
    OVERDUE = "overdue", _("Overdue")
    TODAY = "today", _("Due today")
