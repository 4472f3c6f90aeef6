"""Reads of orders, scoped to the user."""

from django.utils.translation import gettext as _

from .choices import LoanStatus, OrderStatus
from .models import Order


def order_delivery_blocker(order: Order) -> str | None:
    """Why the order cannot go to delivery yet (translated), or None when it can: signed, and paid or loan approved."""
    if order.status != OrderStatus.SIGNED:
        return _("The order must be signed before the car is delivered (it is: %(status)s).") % {
            "status": order.get_status_display()
        }
    if order.amount_paid >= order.total or order.loan_status == LoanStatus.APPROVED:
        return None
    return _("The order is not paid: %(due)s CNY is still due and no loan is approved.") % {"due": order.balance_due}
