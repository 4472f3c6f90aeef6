"""Writes of the kernel: the notification outbox."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .errors import TransitionRefused
from .models import Notification
from .transports import DeliveryFailed, deliver

logger = logging.getLogger(__name__)


def notification_queue(
    *,
    channel: str,
    subject: str,
    body: str,
    recipient: str = "",
    recipient_user=None,
    store=None,
    kind: str = "",
) -> Notification:
    """Put a message in the outbox; the worker picks it up once the current transaction commits."""
    now = timezone.now()
    notification = Notification.objects.create(
        channel=channel,
        subject=subject[:200],
        body=body,
        recipient=recipient,
        recipient_user=recipient_user,
        store=store,
        kind=kind,
        next_attempt_at=now,
        status=Notification.Status.SENT if channel == Notification.Channel.IN_APP else Notification.Status.PENDING,
        sent_at=now if channel == Notification.Channel.IN_APP else None,
    )
    if notification.status == Notification.Status.PENDING:
        from .tasks import deliver_notification

        transaction.on_commit(lambda: deliver_notification.enqueue(notification.pk))
    return notification


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def notification_deliver(notification_id: int, *, now: datetime | None = None) -> Notification | None:
    """Try to send one pending message that is due. Returns it, or None when another worker has it.

    The claim and the result are two short transactions, so no lock is held while the gateway answers.
    """
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.NOTIFICATION_WEBHOOK_TIMEOUT * 3)
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return None
    notification = Notification.objects.get(pk=notification_id)
    try:
        deliver(notification)
    except DeliveryFailed as exc:
        notification.attempts += 1
        notification.last_error = str(exc)[:500]
        if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
            notification.next_attempt_at = None
        else:
            notification.next_attempt_at = now + _backoff(notification.attempts)
        logger.warning("notification %s attempt %s failed: %s", notification.pk, notification.attempts, exc)
    else:
        notification.attempts += 1
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.next_attempt_at = None
        notification.last_error = ""
    notification.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"])
    return notification


def notifications_deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Deliver every pending message whose attempt is due (the periodic safety net for the worker)."""
    now = now or timezone.now()
    due_ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due_ids if notification_deliver(pk, now=now) is not None)


@transaction.atomic
def notification_retry(*, actor, notification: Notification) -> Notification:
    """Send a failed message again from the start (a person fixed the gateway or the address)."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.status != Notification.Status.FAILED:
        raise TransitionRefused(code="notification_not_failed")
    notification.status = Notification.Status.PENDING
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(actor=actor, action="notification.retried", target=notification)
    from .tasks import deliver_notification

    transaction.on_commit(lambda: deliver_notification.enqueue(notification.pk))
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread in-app message of a staff member as read."""
    return Notification.objects.filter(
        recipient_user=user, channel=Notification.Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


def notification_mark_read(*, user, notification_ids: list[int]) -> int:
    """Mark a staff member's in-app messages as read."""
    return Notification.objects.filter(recipient_user=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget the API's idempotency keys older than 24 hours (a periodic duty)."""
    from .api import IDEMPOTENCY_TTL
    from .models import IdempotencyKey

    cutoff = (now or timezone.now()) - timedelta(seconds=IDEMPOTENCY_TTL)
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
