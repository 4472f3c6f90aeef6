"""Visitors waiting at reception, counted in the navigation (accounts.queues)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import VisitStatus
from .models import Visit
from .selectors import OPEN_VISIT_HOURS


def _waiting(user, store_ids) -> int | None:
    ids = store_ids("visits.log")
    if not ids:
        return None
    since = timezone.now() - datetime.timedelta(hours=OPEN_VISIT_HOURS)  # the board's "still in the showroom"
    return Visit.objects.filter(store_id__in=ids, status=VisitStatus.ARRIVED, arrived_at__gte=since).count()


def register() -> None:
    register_queue(Queue("visitors_waiting", _("Visitors waiting"), "reception_desk", _waiting))
