"""The kernel's own periodic duties."""

from datetime import datetime, timedelta

from django.contrib.sessions.models import Session

from .periodic import duty
from .services import idempotency_keys_purge, notifications_deliver_due


@duty("notifications.deliver_due", every=timedelta(minutes=1))
def deliver_due_notifications(now: datetime) -> int:
    return notifications_deliver_due(now=now)


@duty("sessions.clear_expired", every=timedelta(hours=6))
def clear_expired_sessions(now: datetime) -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


@duty("idempotency_keys.purge", every=timedelta(hours=1))
def purge_idempotency_keys(now: datetime) -> int:
    return idempotency_keys_purge(now=now)
