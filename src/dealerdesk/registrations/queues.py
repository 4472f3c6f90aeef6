"""Registrations due today or overdue, counted in the clerk's navigation (accounts.queues)."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.queues import Queue, register_queue
from dealerdesk.sales.choices import OrderStatus
from dealerdesk.sales.models import Order

from .choices import LIVE_STATUSES, OPEN_STATUSES
from .models import Registration
from .selectors import local_today


def _due(user, store_ids) -> int | None:
    ids = store_ids("paperwork.manage")
    if not ids:
        return None
    due = Q(pk__in=[])
    for store in Store.objects.filter(pk__in=ids):  # each store judged by its own calendar day
        due |= Q(store_id=store.pk, target_on__lte=local_today(store))
    return Registration.objects.filter(due, status__in=sorted(OPEN_STATUSES), by_customer=False).count()


def _to_open(user, store_ids) -> int | None:
    """Cars handed over whose registration nobody has opened yet: the delivery's hand-off to the clerk."""
    ids = store_ids("paperwork.manage")
    if not ids:
        return None
    live = Registration.objects.filter(order_id=OuterRef("pk"), status__in=sorted(LIVE_STATUSES))
    return Order.objects.filter(store_id__in=ids, status=OrderStatus.DELIVERED).filter(~Exists(live)).count()


def register() -> None:
    register_queue(Queue("registrations_due", _("Registrations due today or overdue"), "registration_list", _due))
    register_queue(
        Queue("registrations_to_open", _("Handed-over cars without a registration"), "registration_list", _to_open)
    )
