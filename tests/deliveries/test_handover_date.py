"""A handover on another day than booked (issue #10.6): the real day is recorded everywhere (the delivery, the
warranty, the registration page, the customer's timeline) and said so (before signing, on the signed record, on the
confirmation PDF, in the audit). Days are the store's local days (Asia/Shanghai), at every instant of the clock."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.models import AuditEntry
from dealerdesk.customers.records import customer_records
from dealerdesk.deliveries import selectors, services
from dealerdesk.deliveries.models import Delivery, WarrantyClock
from dealerdesk.registrations import services as registration_services
from tests.deliveries.factories import explained, slot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def _sign(delivery: Delivery, consultant) -> Delivery:
    return services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)


def test_an_early_handover_records_the_real_day_everywhere_and_says_so(store_a, consultant, clerk, shanghai_clock):
    # given a delivery booked for 12 days ahead, ready; the invoice date left open (the warranty then runs from
    # the handover)
    delivery = explained(store_a, consultant, clerk, when=slot(days=12, store=store_a))
    Delivery.objects.filter(pk=delivery.pk).update(invoice_date=None)
    booked_on = (shanghai_clock.today + datetime.timedelta(days=12)).isoformat()
    today = timezone.localdate(timezone.now(), store_a.tz)
    note = f"交车日期与预约不同：预约 {booked_on}，实际 {today.isoformat()}。"
    # the page warns before signing
    consultant_client = _client(consultant)
    html = consultant_client.get(reverse("delivery_detail", args=[delivery.pk])).content.decode()
    assert 'data-testid="handover-date-warning"' in html and note in html
    # when it is signed today
    delivery = _sign(delivery, consultant)
    # then the real day is the handover's, the warranty's and the owned car's
    assert timezone.localtime(delivery.handed_over_at, store_a.tz).date() == today
    assert set(WarrantyClock.objects.filter(delivery=delivery).values_list("starts_on", flat=True)) == {today}
    assert delivery.customer.vehicles.get().purchase_date == today
    # and it is said: in the audit, on the signed record and in the PDF
    entry = AuditEntry.objects.get(action="delivery.handed_over")
    assert entry.diff["handover_date"] == [booked_on, today.isoformat()]
    html = consultant_client.get(reverse("delivery_detail", args=[delivery.pk])).content.decode()
    assert 'data-testid="handover-date-note"' in html and note in html
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=bytes(delivery.confirmation_pdf), capture_output=True, check=True
    ).stdout.decode()
    assert booked_on in text and today.isoformat() in text and "交车日期与预约不同" in text
    # the customer's timeline shows the delivery at its real time with the note
    record = next(r for r in customer_records(consultant, delivery.customer) if r.number == delivery.number)
    assert record.when == delivery.handed_over_at and "交车日期与预约不同" in record.summary
    # the registration page gives the real delivery day, not the appointment
    registration = registration_services.registration_open(actor=clerk, order=delivery.order)
    html = _client(clerk).get(reverse("registration_detail", args=[registration.pk])).content.decode()
    shown = html.split('data-testid="registration-delivery"', 1)[1][:600]
    assert today.isoformat() in shown and "registration-delivery-note" in shown and booked_on in shown


def test_a_handover_on_the_booked_day_carries_no_note(store_a, consultant, clerk, shanghai_clock):
    # given a delivery booked for today (at whatever hour the clock says: the day is what counts)
    when = shanghai_clock.start.replace(hour=10, minute=0)
    delivery = explained(store_a, consultant, clerk, when=slot(days=3, store=store_a))
    Delivery.objects.filter(pk=delivery.pk).update(scheduled_at=when, ends_at=when + datetime.timedelta(hours=1))
    delivery.refresh_from_db()
    assert selectors.handover_date_note(delivery) == ""
    delivery = _sign(delivery, consultant)
    assert "handover_date" not in AuditEntry.objects.get(action="delivery.handed_over").diff
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=bytes(delivery.confirmation_pdf), capture_output=True, check=True
    ).stdout.decode()
    assert "交车日期与预约不同" not in text


def test_the_days_compared_are_shanghai_days_not_utc_days(store_a, consultant, clerk):
    # 00:30 Shanghai is still the previous day in UTC; 23:30 Shanghai is the same day in UTC: neither is a change
    delivery = Delivery(store=store_a, scheduled_at=datetime.datetime(2026, 12, 20, 0, 30, tzinfo=store_a.tz))
    assert selectors.handover_dates(delivery, now=datetime.datetime(2026, 12, 20, 23, 30, tzinfo=store_a.tz)) == (
        datetime.date(2026, 12, 20),
        datetime.date(2026, 12, 20),
    )
    assert "预约 2026-12-20，实际 2026-12-08" in selectors.handover_date_note(
        delivery, now=datetime.datetime(2026, 12, 8, 0, 5, tzinfo=store_a.tz)
    )


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
