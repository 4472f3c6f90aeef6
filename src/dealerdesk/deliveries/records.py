"""The customer's deliveries on the customer card (customers.records)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dealerdesk.core.audit import register_target_url
from dealerdesk.customers.records import RECORDS_PER_SOURCE, CustomerRecord

from .selectors import delivery_visible_to, handover_date_note

register_target_url("deliveries.delivery", "delivery_detail")  # timeline entries link to the record


def delivery_records(user, customer) -> list[CustomerRecord]:
    deliveries = (
        delivery_visible_to(user)
        .filter(customer=customer)
        .select_related("vehicle", "store")
        .order_by("-scheduled_at", "-id")[:RECORDS_PER_SOURCE]
    )
    return [
        CustomerRecord(
            kind=_("Delivery"),
            number=d.number,
            url=reverse("delivery_detail", args=[d.pk]),
            status=d.get_status_display(),
            status_code=d.status,
            # the real handover once it happened (it may be another day than booked), the appointment before
            when=d.handed_over_at or d.scheduled_at,
            summary=" · ".join(p for p in (d.vehicle.vin, handover_date_note(d) if d.handed_over_at else "") if p),
        )
        for d in deliveries
    ]
