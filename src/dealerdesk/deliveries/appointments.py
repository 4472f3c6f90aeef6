"""Tells reception which handovers are booked for today, so the desk checks the customers in."""

from django.utils.translation import gettext

from dealerdesk.showroom.appointments import Appointment

from .choices import OPEN_STATUSES
from .models import Delivery


def todays_deliveries(store, start, end) -> list[Appointment]:
    """The store's open handover appointments in the window (one query)."""
    rows = (
        Delivery.objects.filter(store=store, scheduled_at__gte=start, scheduled_at__lt=end, status__in=OPEN_STATUSES)
        .select_related("customer", "consultant")
        .order_by("scheduled_at", "pk")[:100]
    )
    return [
        Appointment(
            kind="delivery",
            label=gettext("Handover (%(bay)s)") % {"bay": d.bay},
            starts_at=d.scheduled_at,
            customer=d.customer,
            consultant=d.consultant,
            url=f"/deliveries/{d.pk}/",
        )
        for d in rows
    ]
