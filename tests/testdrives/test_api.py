"""The test-drive API: the booking JSON, every step as an action, 409 with next free slots, files, scoping,
the public endpoints with their throttle, and query-count guards."""

import datetime
import subprocess

import pytest
import time_machine
from django.utils import timezone

from dealerdesk.testdrives import services
from dealerdesk.testdrives.choices import BriefingItem
from dealerdesk.testdrives.models import TestDrive
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory, TestDriveFactory
from tests.testdrives.helpers import VALID_LICENCE, at, book, licence_consent, route

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈晓明")


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=500)


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_booking_json_has_the_issue_names(api, store_a, consultant, customer, car):
    start = at(store_a, 1, 10)
    response = as_user(api, consultant).post(
        "/api/v1/test-drives/",
        {
            "customer": customer.pk,
            "demo_car": car.pk,
            "consultant": consultant.pk,
            "start": start.isoformat(),
            "end": (start + datetime.timedelta(hours=1)).isoformat(),
            "channel": "phone",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"customer", "demo_car", "consultant", "start", "end", "route", "channel", "status"} <= set(body)
    assert body["status"] == "requested" and body["demo_car"] == car.pk
    assert datetime.datetime.fromisoformat(body["start"]) == start


def test_taken_slot_answers_409_with_next_free(api, store_a, consultant, customer, car):
    book(consultant, store_a, customer, car)
    start = at(store_a, 1, 10, 30)
    response = as_user(api, consultant).post(
        "/api/v1/test-drives/",
        {"customer": customer.pk, "demo_car": car.pk, "start": start.isoformat(), "channel": "walk_in"},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_taken" and body["next_free"] and body["detail"]


def test_bad_input_answers_400_per_field(api, store_a, consultant, customer, car):
    start = at(store_a, -1, 10)
    response = as_user(api, consultant).post(
        "/api/v1/test-drives/",
        {"customer": customer.pk, "demo_car": car.pk, "start": start.isoformat(), "channel": "walk_in"},
        format="json",
    )
    assert response.status_code == 400
    assert "已过" in response.json()["start"][0]  # "the slot is in the past", in the user's language (Chinese)
    assert not TestDrive.objects.exists()


def test_every_step_through_the_api(api, store_a, consultant, customer, car):
    client = as_user(api, consultant)
    td = book(consultant, store_a, customer, car)
    url = f"/api/v1/test-drives/{td.pk}"
    assert client.post(f"{url}/confirm/", {}, format="json").json()["status"] == "confirmed"
    r = client.post(f"{url}/prepare/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "testdrive_not_ready"
    r = client.post(
        f"{url}/checklist/",
        {
            "clean": True,
            "energy_percent": 90,
            "no_warning_lights": True,
            "equipment_present": True,
            "route": route(store_a).pk,
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    r = client.post(
        f"{url}/licence/", {"number": VALID_LICENCE, "licence_class": "C1", "expires_on": "2035-01-01"}, format="json"
    )
    assert r.status_code == 400 and r.json()["code"] == "no_licence_consent"
    licence_consent(customer)
    r = client.post(
        f"{url}/licence/", {"number": VALID_LICENCE, "licence_class": "C1", "expires_on": "2035-01-01"}, format="json"
    )
    assert r.json()["licence"]["number"] != VALID_LICENCE and r.json()["licence"]["licence_class"] == "C1"
    assert client.post(f"{url}/prepare/", {}, format="json").json()["status"] == "prepared"
    r = client.post(
        f"{url}/start/",
        {
            "odometer_out": 500,
            "first_driver": "customer",
            "briefing": list(BriefingItem.values),
            "precautions_acknowledged": True,
        },
        format="json",
    )
    # today, a day before its slot, the drive cannot start at all: the consultant is told to reschedule first
    assert r.status_code == 409 and r.json()["code"] == "testdrive_outside_slot"
    assert TestDrive.objects.get(pk=td.pk).status == "prepared"
    assert client.post(f"{url}/agreement/", {}, format="json").status_code == 200
    pdf = client.get(f"{url}/agreement.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "试乘试驾协议" in text and "陈晓明" in text
    r = client.post(f"{url}/accept-agreement/", {"typed_name": "陈晓明"}, format="json")
    assert r.status_code == 200
    # the drive happens in its slot (tomorrow): the clock goes there
    with time_machine.travel(td.start_at + datetime.timedelta(minutes=2), tick=True) as traveller:
        r = client.post(
            f"{url}/start/",
            {
                "odometer_out": 500,
                "first_driver": "customer",
                "briefing": list(BriefingItem.values),
                "precautions_acknowledged": True,
            },
            format="json",
        )
        assert r.json()["status"] == "in_progress"
        traveller.shift(datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES + 5))
        r = client.post(f"{url}/complete/", {"odometer_in": 499}, format="json")
        assert r.status_code == 400 and "odometer_in" in r.json()
        r = client.post(f"{url}/complete/", {"odometer_in": 515}, format="json")
        assert r.json()["status"] == "completed" and r.json()["distance_km"] == 15
    r = client.post(
        f"{url}/check/",
        {"damage": False, "energy_percent": 70, "clean": True, "equipment_returned": True},
        format="json",
    )
    assert r.status_code == 200
    r = client.post(f"{url}/feedback/", {"drive_rating": 5, "consultant_rating": 5, "comment": "好"}, format="json")
    assert r.json()["drive_rating"] == 5
    r = client.post(f"{url}/debrief/", {"impression": "满意", "next_step": "报价", "grade": "A"}, format="json")
    assert r.status_code == 200, r.content
    ics = client.get(f"{url}/calendar.ics")
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content


def test_cancel_reschedule_and_no_show_actions(api, store_a, consultant, customer, car):
    client = as_user(api, consultant)
    td = book(consultant, store_a, customer, car)
    r = client.post(
        f"/api/v1/test-drives/{td.pk}/reschedule/",
        {"start": at(store_a, 2, 14).isoformat(), "reason": "改期"},
        format="json",
    )
    assert r.status_code == 200 and datetime.datetime.fromisoformat(r.json()["start"]) == at(store_a, 2, 14)
    r = client.post(f"/api/v1/test-drives/{td.pk}/no-show/", {"reason": "未到"}, format="json")
    assert r.status_code == 409  # a requested booking cannot be a no-show
    r = client.post(f"/api/v1/test-drives/{td.pk}/cancel/", {"reason": "客户取消"}, format="json")
    assert r.json()["status"] == "cancelled"
    r = client.post(
        f"/api/v1/test-drives/{td.pk}/start/",
        {"odometer_out": 1, "first_driver": "customer", "briefing": [], "precautions_acknowledged": True},
        format="json",
    )
    assert r.status_code == 409 and r.json()["code"] == "testdrive_transition_refused"


def test_availability_lists_free_and_taken_slots(api, store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10)
    day = at(store_a, 1).date().isoformat()
    r = as_user(api, consultant).get(f"/api/v1/test-drives/availability/?store={store_a.pk}&day={day}")
    assert r.status_code == 200
    slots = {datetime.datetime.fromisoformat(s["start"]).hour: s["free"] for s in r.json()[0]["slots"]}
    # 09:00–10:00 plus the 15-minute buffer runs into the 10:00 drive; 11:00 is in its buffer
    assert slots[9] is False and slots[10] is False and slots[11] is False and slots[12] is True


def test_other_store_cannot_see_or_act(api, store_a, store_b, make_staff, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    outsider = make_staff("consultant", store_b)
    assert as_user(api, outsider).get(f"/api/v1/test-drives/{td.pk}/").status_code == 404
    assert api.post(f"/api/v1/test-drives/{td.pk}/cancel/", {"reason": "x"}, format="json").status_code == 404


def test_demo_car_fleet_actions(api, store_a, consultant, manager, car):
    r = as_user(api, consultant).post(
        f"/api/v1/demo-cars/{car.pk}/status/", {"demo_status": "maintenance"}, format="json"
    )
    assert r.status_code == 403
    r = as_user(api, manager).post(f"/api/v1/demo-cars/{car.pk}/status/", {"demo_status": "maintenance"}, format="json")
    assert r.json()["demo_status"] == "maintenance"
    r = api.post(f"/api/v1/demo-cars/{car.pk}/odometer/", {"odometer_km": 400}, format="json")
    assert r.status_code == 400
    r = api.post(
        f"/api/v1/demo-cars/{car.pk}/insurance/",
        {"insurance_expires_on": (timezone.localdate() + datetime.timedelta(days=365)).isoformat()},
        format="json",
    )
    assert r.status_code == 200
    r = api.get(f"/api/v1/demo-cars/utilisation/?store={store_a.pk}")
    assert r.status_code == 200 and r.json()[0]["demo_car"] == car.pk


def test_public_booking_and_its_throttle(api, store_a, car):
    payload = {
        "store": store_a.code,
        "series": car.trim.series_id,
        "start": at(store_a, 1, 15).isoformat(),
        "name": "赵六",
        "mobile": "13912345678",
        "notice_accepted": True,
    }
    r = api.post("/api/v1/public/test-drives/book/", payload, format="json")
    assert r.status_code == 201 and r.json()["status"] == "requested"
    codes = []
    for i in range(12):
        other = {**payload, "mobile": f"139000000{i:02d}", "start": at(store_a, 2 + i, 15).isoformat()}
        codes.append(api.post("/api/v1/public/test-drives/book/", other, format="json").status_code)
    assert codes == [201] * 9 + [429] * 3 and r.json()["number"].startswith("SJ")
    assert TestDrive.objects.count() == 10  # the eleventh and later from the same address were refused
    same_mobile = {**payload, "start": at(store_a, 20, 15).isoformat()}
    api.defaults["REMOTE_ADDR"] = "10.0.0.9"
    assert api.post("/api/v1/public/test-drives/book/", same_mobile, format="json").status_code == 201
    same_mobile["start"] = at(store_a, 21, 15).isoformat()
    assert api.post("/api/v1/public/test-drives/book/", same_mobile, format="json").status_code == 201
    same_mobile["start"] = at(store_a, 22, 15).isoformat()
    r = api.post("/api/v1/public/test-drives/book/", same_mobile, format="json")
    assert r.status_code == 429 and "手机号" in r.json()["detail"]  # in the user's language: Chinese


def test_list_and_detail_query_guards(api, store_a, consultant, django_assert_max_num_queries):
    for _ in range(5):
        TestDriveFactory(customer=CustomerFactory(store=store_a))
    client = as_user(api, consultant)
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/v1/test-drives/").json()["results"]) == 5
    td = TestDrive.objects.first()
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/v1/test-drives/{td.pk}/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/demo-cars/").status_code == 200


def test_public_slots_endpoint(api, store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10)
    day = at(store_a, 1).date().isoformat()
    r = api.get(f"/api/v1/public/test-drives/slots/?store={store_a.code}&series={car.trim.series_id}&day={day}")
    assert r.status_code == 200
    free = {datetime.datetime.fromisoformat(x["start"]).hour: x["free"] for x in r.json()}
    assert free[10] is False and free[14] is True
    assert api.get(f"/api/v1/public/test-drives/slots/?store=nope&series=1&day={day}").status_code == 400
