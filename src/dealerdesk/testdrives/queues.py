"""A consultant's test drives of today, counted in the navigation (accounts.queues)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import ACTIVE_STATUSES
from .models import TestDrive


def _mine_today(user, store_ids) -> int | None:
    if not store_ids("sales.sell"):
        return None
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return TestDrive.objects.filter(
        consultant=user,
        status__in=ACTIVE_STATUSES,
        start_at__gte=start,
        start_at__lt=start + datetime.timedelta(days=1),
    ).count()


def register() -> None:
    register_queue(Queue("my_test_drives_today", _("Your test drives today"), "testdrive_day", _mine_today))
