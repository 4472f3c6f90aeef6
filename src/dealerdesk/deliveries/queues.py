"""Handovers of today, counted in the navigation (accounts.queues): a consultant's own, the whole store's for the
clerk who prepares them."""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import OPEN_STATUSES
from .models import Delivery


def _today(user, store_ids) -> int | None:
    prepare = store_ids("paperwork.manage")
    sell = store_ids("sales.sell")
    if not (prepare or sell):
        return None
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Delivery.objects.filter(
        Q(store_id__in=prepare) | Q(store_id__in=sell, consultant=user),
        status__in=sorted(OPEN_STATUSES),
        scheduled_at__gte=start,
        scheduled_at__lt=start + datetime.timedelta(days=1),
    ).count()


def register() -> None:
    register_queue(Queue("deliveries_today", _("Handovers today"), "delivery_calendar", _today))
