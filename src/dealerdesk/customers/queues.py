"""The customers app's queues in the navigation (accounts.queues): the team's overdue follow-ups and the lost-prospect
requests for a manager, a consultant's follow-ups due today."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import FollowUpStatus
from .models import FollowUp, LossRequest


def _team_overdue(user, store_ids) -> int | None:
    ids = store_ids("customers.assign")
    if not ids:
        return None
    return FollowUp.objects.filter(store_id__in=ids, status=FollowUpStatus.OPEN, due_at__lt=timezone.now()).count()


def _loss_requests(user, store_ids) -> int | None:
    ids = store_ids("customers.approve_lost")
    return LossRequest.objects.filter(store_id__in=ids, status="pending").count() if ids else None


def _my_followups(user, store_ids) -> int | None:
    if not store_ids("sales.sell"):
        return None
    end_of_today = timezone.localtime().replace(hour=23, minute=59, second=59, microsecond=999999)
    return FollowUp.objects.filter(assignee=user, status=FollowUpStatus.OPEN, due_at__lte=end_of_today).count()


def register() -> None:
    register_queue(Queue("team_overdue", _("Overdue follow-ups of the team"), "manager_desk", _team_overdue))
    register_queue(Queue("loss_requests", _("Lost-prospect requests to decide"), "manager_desk", _loss_requests))
    register_queue(Queue("my_followups", _("Follow-ups due today or overdue"), "my_day", _my_followups))
