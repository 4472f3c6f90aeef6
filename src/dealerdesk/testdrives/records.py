"""The customer's test drives on the customer card (customers.records)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dealerdesk.core.audit import register_target_url
from dealerdesk.customers.records import RECORDS_PER_SOURCE, CustomerRecord

from .selectors import testdrive_visible_to

register_target_url("testdrives.testdrive", "testdrive_detail")  # timeline entries link to the record


def test_drive_records(user, customer) -> list[CustomerRecord]:
    drives = (
        testdrive_visible_to(user)
        .filter(customer=customer)
        .select_related("demo_car__trim__series__brand")
        .order_by("-start_at", "-id")[:RECORDS_PER_SOURCE]
    )
    return [
        CustomerRecord(
            kind=_("Test drive"),
            number=td.number,
            url=reverse("testdrive_detail", args=[td.pk]),
            status=td.get_status_display(),
            status_code=td.status,
            when=td.start_at,
            summary=str(td.demo_car.trim.series),
        )
        for td in drives
    ]
