"""A drive starts only near its slot and lasts a plausible time (issue #10.6, docs/decisions/0016-dates-and-one-
truth.md): from an hour before the slot until its end on the booked local day; completed at the earliest
MIN_DRIVE_MINUTES after it started. The same rule answers the page and the API, at every instant of the clock."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dealerdesk.core.errors import TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.testdrives import services
from dealerdesk.testdrives.choices import BriefingItem
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import accept_agreement, at, book, prepare, start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]

START = {
    "odometer_out": 1000,
    "first_driver": "customer",
    "briefing": list(BriefingItem.values),
    "precautions_acknowledged": True,
}


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def drive(store_a, consultant):
    """A drive booked for tomorrow 11:00–12:00, prepared, its agreement accepted: ready to start."""
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈晓明")
    car = DemoCarFactory(store_a, odometer_km=1000)
    td = prepare(consultant, book(consultant, store_a, customer, car, days=1, hour=11, consultant=consultant))
    accept_agreement(consultant, td)
    return td


def test_a_drive_booked_for_tomorrow_cannot_start_today(drive, consultant):
    # given a drive booked for tomorrow 11:00, when the consultant starts it now (today)
    with pytest.raises(TransitionRefused) as refused:
        services.testdrive_start(actor=consultant, test_drive=drive, **START)
    # then it is refused with the way out, and nothing is written
    assert refused.value.code == "testdrive_outside_slot"
    assert "改期" in str(refused.value.message) or "Reschedule" in str(refused.value.message)
    drive.refresh_from_db()
    assert drive.status == "prepared" and drive.started_at is None
    assert not AuditEntry.objects.filter(action="testdrive.started").exists()


@pytest.mark.parametrize(
    ("minutes_from_start", "allowed"),
    [(-61, False), (-60, True), (0, True), (59, True), (60, True), (61, False), (60 * 24, False)],
)
def test_the_start_window_is_an_hour_before_until_the_end_of_the_slot(drive, consultant, minutes_from_start, allowed):
    when = drive.start_at + datetime.timedelta(minutes=minutes_from_start)
    if allowed:
        started = services.testdrive_start(actor=consultant, test_drive=drive, now=when, **START)
        assert started.status == "in_progress" and started.started_at == when
    else:
        with pytest.raises(TransitionRefused) as refused:
            services.testdrive_start(actor=consultant, test_drive=drive, now=when, **START)
        assert refused.value.code == "testdrive_outside_slot"


def test_a_drive_on_another_local_day_is_refused_even_within_the_hour(store_a, consultant):
    # given a drive at 00:30 tomorrow would be within the hour at 23:45 today; the store is open round the clock
    from dealerdesk.testdrives.models import TestDrive

    customer = CustomerFactory(store=store_a, owner=consultant)
    car = DemoCarFactory(store_a)
    td = TestDrive(store=store_a, customer=customer, demo_car=car, start_at=at(store_a, 1, 0, 30))
    td.end_at = td.start_at + datetime.timedelta(minutes=60)
    # when the rule is asked at 23:45 the day before (Shanghai time, not UTC)
    refusal = services.start_refusal(td, now=at(store_a, 0, 23, 45))
    # then it refuses: the slot is on another local day
    assert refusal and "00:00" in refusal
    assert services.start_refusal(td, now=at(store_a, 1, 0, 5)) is None


def test_a_drive_is_completed_at_the_earliest_ten_minutes_after_it_started(drive, consultant):
    td = start(consultant, drive)
    with pytest.raises(TransitionRefused) as refused:
        services.testdrive_complete(
            actor=consultant,
            test_drive=td,
            odometer_in=1010,
            now=td.started_at + datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES - 1),
        )
    assert refused.value.code == "testdrive_too_short"
    td.refresh_from_db()
    assert td.status == "in_progress" and td.ended_at is None
    when = td.started_at + datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES)
    done = services.testdrive_complete(actor=consultant, test_drive=td, odometer_in=1010, now=when)
    assert done.status == "completed" and done.ended_at == when


def test_the_api_refuses_a_start_far_from_the_slot_and_a_zero_minute_drive(drive, consultant, shanghai_clock):
    api = APIClient()
    api.force_authenticate(consultant)
    url = f"/api/v1/test-drives/{drive.pk}"
    r = api.post(f"{url}/start/", START, format="json")
    assert r.status_code == 409 and r.json()["code"] == "testdrive_outside_slot"
    shanghai_clock.traveller.move_to(drive.start_at - datetime.timedelta(minutes=5))
    r = api.post(f"{url}/start/", START, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = api.post(f"{url}/complete/", {"odometer_in": 1012}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "testdrive_too_short"
    shanghai_clock.traveller.shift(datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES))
    r = api.post(f"{url}/complete/", {"odometer_in": 1012}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "completed"


def test_the_page_says_to_reschedule_instead_of_offering_the_start(client, drive, consultant):
    client.force_login(consultant)
    url = reverse("testdrive_detail", args=[drive.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="start-refusal"' in html and 'data-testid="start"' not in html
    assert "改期" in html
    r = client.post(
        reverse("testdrive_step", args=[drive.pk, "start"]),
        {**START, "briefing": START["briefing"], "precautions_acknowledged": "on"},
        follow=True,
    )
    assert "改期" in r.content.decode()
    drive.refresh_from_db()
    assert drive.status == "prepared"
