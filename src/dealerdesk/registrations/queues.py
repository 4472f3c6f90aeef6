"""Registrations due today or overdue, counted in the clerk's navigation (accounts.queues)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.queues import Queue, register_queue

from .choices import OPEN_STATUSES
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


def register() -> None:
    register_queue(Queue("registrations_due", _("Registrations due today or overdue"), "registration_list", _due))
