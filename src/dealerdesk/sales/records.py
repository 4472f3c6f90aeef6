"""The customer's orders on the customer card (customers.records)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dealerdesk.core.audit import register_target_url
from dealerdesk.customers.records import RECORDS_PER_SOURCE, CustomerRecord

from .selectors import order_visible_to

register_target_url("sales.order", "order_detail")  # timeline entries link to the record


def order_records(user, customer) -> list[CustomerRecord]:
    orders = (
        order_visible_to(user)
        .filter(customer=customer)
        .select_related("trim__series__brand")
        .order_by("-created_at", "-id")[:RECORDS_PER_SOURCE]
    )
    return [
        CustomerRecord(
            kind=_("Order"),
            number=order.number,
            url=reverse("order_detail", args=[order.pk]),
            status=order.get_status_display(),
            status_code=order.status,
            when=order.created_at,
            summary=str(order.trim),
        )
        for order in orders
    ]
