"""Background tasks of the kernel, run by the worker (`dealerdesk db_worker`)."""

from django.tasks import task


@task()
def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox message now; a failure is rescheduled by the outbox itself."""
    from .services import notification_deliver

    notification = notification_deliver(notification_id)
    return notification.status if notification else "skipped"
