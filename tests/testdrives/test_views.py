"""Test-drive pages: day view lanes, booking form with 409 and next free slots, the steps on the booking page,
the fleet, my day, the public booking and feedback pages, and query-count guards."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from dealerdesk.customers.models import Customer
from dealerdesk.testdrives import services
from dealerdesk.testdrives.models import TestDrive
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory, TestDriveFactory
from tests.testdrives.helpers import at, book, drive_to_completed, route

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈晓明")


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=100)


@pytest.mark.usefixtures("shanghai_clock")
def test_day_view_shows_a_lane_per_car_and_consultant(
    client, store_a, consultant, customer, car, django_assert_max_num_queries
):
    td = book(consultant, store_a, customer, car, consultant=consultant)
    client.force_login(consultant)
    day = at(store_a, 1).date().isoformat()
    with django_assert_max_num_queries(20):
        response = client.get(reverse("testdrive_day") + f"?day={day}")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"lane-car-{car.pk}" in html and f"lane-consultant-{consultant.pk}" in html
    assert reverse("testdrive_detail", args=[td.pk]) in html


def test_booking_form_books_and_shows_next_free_when_taken(client, store_a, consultant, customer, car):
    client.force_login(consultant)
    day = at(store_a, 1).date().isoformat()
    data = {
        "store": store_a.code,
        "customer": customer.pk,
        "demo_car": car.pk,
        "consultant": consultant.pk,
        "day": day,
        "start_time": "10:00",
        "end_time": "11:00",
        "channel": "phone",
    }
    response = client.post(reverse("testdrive_new"), data)
    assert response.status_code == 302
    td = TestDrive.objects.get()
    response = client.post(reverse("testdrive_new"), {**data, "start_time": "10:30", "end_time": "11:30"})
    assert response.status_code == 409
    assert 'data-testid="next-free"' in response.content.decode()
    response = client.post(reverse("testdrive_new"), {**data, "start_time": "07:00", "end_time": "08:00"})
    assert response.status_code == 400 and "营业时间内" in response.content.decode()
    assert TestDrive.objects.count() == 1 and td.channel == "phone"


def test_steps_on_the_booking_page(client, store_a, consultant, customer, car, django_assert_max_num_queries):
    td = book(consultant, store_a, customer, car, consultant=consultant)
    client.force_login(consultant)
    url = reverse("testdrive_detail", args=[td.pk])
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
    step = lambda name, **data: client.post(reverse("testdrive_step", args=[td.pk, name]), data)  # noqa: E731
    assert step("confirm").status_code == 302
    r = step("checklist", clean="on", energy_percent="150", no_warning_lights="on", equipment_present="on")
    assert r.status_code == 400 and "0–100" in r.content.decode()
    step(
        "checklist",
        clean="on",
        energy_percent="80",
        no_warning_lights="on",
        equipment_present="on",
        route=route(store_a).pk,
    )
    step("consent")
    r = step("licence", number="11010519491231002X", licence_class="C2", expires_on="2020-01-01")
    assert r.status_code == 400 and "早于试驾日期" in r.content.decode()
    step("licence", number="11010519491231002X", licence_class="C2", expires_on="2035-01-01")
    step("prepare")
    step("agreement")
    r = step("accept", typed_name="陈晓明")
    assert r.status_code == 302
    # the drive happens in its slot (tomorrow): the clock goes there
    with time_machine.travel(td.start_at + datetime.timedelta(minutes=2), tick=True) as traveller:
        client.force_login(consultant)  # a day later the idle logout has ended yesterday's session
        step(
            "start",
            odometer_out="100",
            first_driver="customer",
            briefing=["controls", "assistance", "route", "safety"],
            precautions_acknowledged="on",
        )
        traveller.shift(datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES + 5))
        r = step("complete", odometer_in="90")
        assert r.status_code == 400
        step("complete", odometer_in="111")
    td.refresh_from_db()
    assert td.status == "completed" and td.distance_km == 11
    pdf = client.get(reverse("testdrive_agreement_pdf", args=[td.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    step("feedback", drive_rating="5", consultant_rating="4", comment="不错")
    html = client.get(url).content.decode()
    assert 'data-testid="feedback"' in html and "5/5" in html


def test_refused_step_shows_the_reason(client, store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    client.force_login(consultant)
    r = client.post(reverse("testdrive_step", args=[td.pk, "prepare"]), follow=True)
    assert "不能变为" in r.content.decode()


def test_other_store_gets_404(client, store_b, make_staff, store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    client.force_login(make_staff("consultant", store_b))
    assert client.get(reverse("testdrive_detail", args=[td.pk])).status_code == 404


def test_fleet_page_and_my_day(client, store_a, make_staff, consultant, customer, car, django_assert_max_num_queries):
    manager = make_staff("sales_manager", store_a)
    DemoCarFactory(store_a, insurance_expires_on=at(store_a, 5).date())
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        html = client.get(reverse("demo_car_list")).content.decode()
    assert 'data-testid="insurance-alert"' in html and 'data-testid="utilisation"' in html
    r = client.post(reverse("demo_car_status", args=[car.pk]), {"demo_status": "maintenance"})
    assert r.status_code == 302
    car.refresh_from_db()
    assert car.demo_status == "maintenance"
    TestDriveFactory(customer=customer, consultant=consultant, start_at=at(store_a, 0, 23, 0))
    client.force_login(consultant)
    html = client.get(reverse("testdrive_my_day")).content.decode()
    assert customer.name in html
    assert reverse("testdrive_my_day") in client.get(reverse("my_day")).content.decode()


def test_public_booking_page(client, store_a, car):
    url = reverse("testdrive_public_book", args=[store_a.code])
    page = client.get(url)
    assert page.status_code == 200 and str(car.trim.series) in page.content.decode()
    slots = client.get(
        reverse("testdrive_public_slots", args=[store_a.code]),
        {"series": car.trim.series_id, "day": at(store_a, 1).date().isoformat()},
    )
    assert 'data-testid="slot-15:00"' in slots.content.decode()
    assert " checked" not in slots.content.decode()
    # a repeated refresh of the same day keeps the slot the customer already chose
    day, start = at(store_a, 1).date().isoformat(), at(store_a, 1, 15).isoformat()
    chosen = client.get(
        reverse("testdrive_public_slots", args=[store_a.code]),
        {"series": car.trim.series_id, "day": day, "start": start},
    ).content.decode()
    assert re.search(r'value="[^"]+" autocomplete="off" checked>\s*<label [^>]*data-testid="slot-15:00"', chosen)
    data = {
        "series": car.trim.series_id,
        "day": at(store_a, 1).date().isoformat(),
        "start": at(store_a, 1, 15).isoformat(),
        "name": "赵六",
        "mobile": "13912345678",
        "notice": "on",
    }
    r = client.post(url, data)
    assert r.status_code == 200 and 'data-testid="public-booked"' in r.content.decode()
    assert Customer.objects.get(mobile="+8613912345678").source == "website"
    r = client.post(url, {**data, "notice": ""})
    assert r.status_code == 400
    for _ in range(10):
        r = client.post(url, {**data, "mobile": "13700000000"})
    assert r.status_code == 429


def test_public_feedback_page_and_calendar(client, store_a, consultant, customer, car):
    td = drive_to_completed(
        consultant, book(consultant, store_a, customer, car, consultant=consultant), odometer_out=100, odometer_in=110
    )
    url = reverse("testdrive_public_feedback", args=[services.feedback_token(td)])
    assert client.get(url).status_code == 200
    r = client.post(url, {"drive_rating": "5", "consultant_rating": "5", "comment": "好"})
    assert 'data-testid="feedback-thanks"' in r.content.decode()
    assert client.get(reverse("testdrive_public_feedback", args=["forged"])).status_code == 404
    ics = client.get(reverse("testdrive_public_calendar", args=[services.calendar_token(td)]))
    assert ics.status_code == 200 and b"DTSTART" in ics.content


def test_settings_page_for_managers_only(client, store_a, make_staff, consultant):
    manager = make_staff("sales_manager", store_a)
    url = reverse("testdrive_settings", args=[store_a.code])
    client.force_login(consultant)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200
    r = client.post(url, {"form": "route", "name": "城市环线", "distance_km": "12", "duration_minutes": "30"})
    assert r.status_code == 302
    r = client.post(
        url,
        {
            "form": "settings",
            "slot_minutes": "30",
            "buffer_minutes": "10",
            "max_minutes": "20",
            "min_energy_percent": "40",
            "reminder_hour": "9",
            "agreement_template": "协议",
            "public_notice": "须知",
            "public_booking_enabled": "on",
        },
    )
    assert r.status_code == 400 and 'data-testid="error-max_minutes"' in r.content.decode()


def test_picking_a_suggested_slot_keeps_the_route_and_notes_entered(client, store_a, consultant, customer, car):
    # given a slot already taken, and a second booking with a route and notes that runs into it
    client.force_login(consultant)
    day = at(store_a, 1).date().isoformat()
    drive_route = route(store_a)
    book(consultant, store_a, CustomerFactory(store=store_a, owner=consultant), car, hour=10, consultant=consultant)
    data = {
        "store": store_a.code,
        "customer": customer.pk,
        "demo_car": car.pk,
        "consultant": consultant.pk,
        "route": drive_route.pk,
        "day": day,
        "start_time": "10:30",
        "end_time": "11:30",
        "channel": "phone",
        "notes": "客户想试高速路段",
    }
    refused = client.post(reverse("testdrive_new"), data)
    assert refused.status_code == 409
    pick = re.search(r'name="pick_slot" value="([^"]+)"', refused.content.decode()).group(1)
    # when a suggested slot is picked
    picked = client.post(reverse("testdrive_new"), {**data, "pick_slot": pick})
    # then the form comes back with the new car and time and everything else as entered, nothing booked yet
    assert picked.status_code == 200 and TestDrive.objects.count() == 1
    values = picked.context["values"]
    car_id, pick_day, start, end = pick.split("|")
    assert (values["demo_car"], values["day"], values["start_time"], values["end_time"]) == (
        car_id,
        pick_day,
        start,
        end,
    )
    assert values["route"] == str(drive_route.pk) and values["notes"] == "客户想试高速路段"
    assert values["customer"] == str(customer.pk) and values["channel"] == "phone"
    # and booking it keeps them
    booked = client.post(
        reverse("testdrive_new"), {**data, **{k: values[k] for k in ("demo_car", "day", "start_time", "end_time")}}
    )
    assert booked.status_code == 302
    td = TestDrive.objects.latest("pk")
    assert td.route_id == drive_route.pk and td.notes == "客户想试高速路段"
