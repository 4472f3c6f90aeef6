"""Writes of orders: each in one transaction, permission re-checked, audited."""

from django.db import transaction
from django.utils import timezone

from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import TransitionRefused

from . import selectors
from .choices import OrderStatus
from .models import Order


@transaction.atomic
def order_mark_delivered(*, actor, order: Order) -> Order:
    """The car was handed over: the order is delivered. Called by the deliveries app inside its handover."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    blocker = selectors.order_delivery_blocker(order)
    if blocker:
        raise TransitionRefused(blocker, code="order_not_ready")
    order.status = OrderStatus.DELIVERED
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_at", "updated_at"])
    audit_record(
        actor=actor, action="order.delivered", target=order, diff={"status": [OrderStatus.SIGNED, order.status]}
    )
    return order
