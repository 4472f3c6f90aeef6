"""The care desk's queue in the navigation (accounts.queues): calls due today or overdue."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .selectors import calls_due_count


def _calls_due(user, store_ids) -> int | None:
    ids = store_ids("care.manage")
    if not ids:
        return None
    return calls_due_count(user, ids)


def register() -> None:
    register_queue(Queue("care_calls", _("Care calls due today or overdue"), "care_day", _calls_due))
