"""The customer's registrations (上牌) on the customer card (customers.records)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dealerdesk.core.audit import register_target_url
from dealerdesk.customers.records import RECORDS_PER_SOURCE, CustomerRecord

from .selectors import registration_visible_to

register_target_url("registrations.registration", "registration_detail")  # timeline entries link to the record


def registration_records(user, customer) -> list[CustomerRecord]:
    registrations = (
        registration_visible_to(user).filter(customer=customer).order_by("-opened_at", "-id")[:RECORDS_PER_SOURCE]
    )
    return [
        CustomerRecord(
            kind=_("Registration"),
            number=r.number,
            url=reverse("registration_detail", args=[r.pk]),
            status=r.get_status_display(),
            status_code=r.status,
            when=r.opened_at,
            summary=r.plate,
        )
        for r in registrations
    ]
