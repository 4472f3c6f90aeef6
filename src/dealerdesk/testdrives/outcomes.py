"""Tells the showroom which visits ended with a test drive (a drive of the visitor that started while they were
here)."""

from collections.abc import Sequence

from dealerdesk.showroom.outcomes import TEST_DRIVE, register_outcome, visit_window

from .models import TestDrive


def visits_with_test_drive(visits: Sequence) -> set[int]:
    """Visit ids whose customer started a test drive between arrival and departure (one query)."""
    windows = {v.pk: visit_window(v) for v in visits if v.customer_id}
    if not windows:
        return set()
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    customer_ids = {v.customer_id for v in visits if v.customer_id}
    started: dict[int, list] = {}
    for customer_id, at in TestDrive.objects.filter(
        customer_id__in=customer_ids, started_at__gte=start, started_at__lte=end
    ).values_list("customer_id", "started_at"):
        started.setdefault(customer_id, []).append(at)
    return {
        visit.pk
        for visit in visits
        if visit.pk in windows
        and any(windows[visit.pk][0] <= at <= windows[visit.pk][1] for at in started.get(visit.customer_id, ()))
    }


def register() -> None:
    from dealerdesk.showroom.appointments import register_appointment_source

    register_outcome(TEST_DRIVE, visits_with_test_drive)
    register_appointment_source(todays_test_drives)


def todays_test_drives(store, start, end) -> list:
    """The store's booked test drives in the window, for reception to check the customers in (one query)."""
    from django.utils.translation import gettext

    from dealerdesk.showroom.appointments import Appointment

    from .choices import TestDriveStatus

    drives = (
        TestDrive.objects.filter(
            store=store,
            start_at__gte=start,
            start_at__lt=end,
            status__in=[TestDriveStatus.REQUESTED, TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED],
        )
        .select_related("customer", "consultant", "trim__series")
        .order_by("start_at", "pk")[:100]
    )
    return [
        Appointment(
            kind="test_drive",
            label=gettext("Test drive: %(series)s") % {"series": td.trim.series.name if td.trim_id else ""},
            starts_at=td.start_at,
            customer=td.customer,
            consultant=td.consultant,
            url=f"/test-drives/{td.pk}/",
        )
        for td in drives
    ]
