"""Fixes of the security review of test drives: the public rate limit is keyed on the visitor's real address and
counts a mobile's bookings only when made; the public answer does not tell whether a mobile is a known customer's;
feedback comments stay out of the audit trail; odometer readings are plausible (a fleet manager corrects a wrong
one); the public slots fragment is closed with the booking page."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from dealerdesk.core.models import AuditEntry
from dealerdesk.customers.privacy import customer_erase
from dealerdesk.testdrives import fleet, services, throttle
from dealerdesk.testdrives.models import OdometerReading, TestDrive, TestDriveSettings
from dealerdesk.testdrives.services import SlotTaken
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import accept_agreement, at, book, drive_to_completed, prepare, start

pytestmark = pytest.mark.django_db

API_BOOK = "/api/v1/public/test-drives/book/"
KNOWN_MOBILE = "13911112222"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈晓明", mobile="+86" + KNOWN_MOBILE)


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=1000)


@pytest.fixture
def other_car(store_a):
    """A demo car of another series: the consultant's other drives, never a candidate for the public booking."""
    return DemoCarFactory(store_a, odometer_km=1000)


def _payload(store, car, *, mobile: str, days: int = 1, hour: int = 15) -> dict:
    return {
        "store": store.code,
        "series": car.trim.series_id,
        "start": at(store, days, hour).isoformat(),
        "name": "赵六",
        "mobile": mobile,
        "notice_accepted": True,
    }


def _behind_proxy(api, address: str):
    """A request as nginx forwards it (docs/deploy.md): REMOTE_ADDR is the proxy, X-Real-IP the visitor."""
    api.defaults["REMOTE_ADDR"] = "127.0.0.1"
    api.defaults["HTTP_X_REAL_IP"] = address
    return api


def _public(store, car, mobile: str, days: int = 1, hour: int = 15) -> TestDrive:
    return services.public_book(
        store=store,
        series=car.trim.series,
        start=at(store, days, hour),
        name="访客",
        mobile=mobile,
        notice_accepted=True,
    )


# ---------------------------------------------------------------- 1. the public rate limit


def test_client_ip_is_the_proxys_real_ip_header(rf):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert throttle.client_ip(request) == "203.0.113.7"
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="198.51.100.2")) == "198.51.100.2"


def test_behind_the_proxy_each_visitor_has_their_own_limit(api, store_a, car):
    # twelve visitors through nginx: all of them book (one shared 127.0.0.1 allowed only ten for the whole public)
    for i in range(12):
        r = _behind_proxy(api, f"203.0.113.{i + 1}").post(
            API_BOOK, _payload(store_a, car, mobile=f"139000000{i:02d}", days=1 + i), format="json"
        )
        assert r.status_code == 201, r.content
    # one visitor who keeps trying is still stopped after ten attempts within the hour
    codes = [
        _behind_proxy(api, "198.51.100.9")
        .post(API_BOOK, _payload(store_a, car, mobile=f"137000000{i:02d}", days=20 + i), format="json")
        .status_code
        for i in range(11)
    ]
    assert codes == [201] * 10 + [429]


def test_failed_attempts_with_a_mobile_do_not_block_its_owner(api, store_a, car):
    victim = "13812345678"
    # someone who knows the mobile posts from three addresses: refused input and a clash with a taken slot
    _behind_proxy(api, "203.0.113.1").post(
        API_BOOK, {**_payload(store_a, car, mobile=victim), "name": ""}, format="json"
    )
    _public(store_a, car, "13700000001", days=2)
    for address in ("203.0.113.2", "203.0.113.3", "203.0.113.4"):
        r = _behind_proxy(api, address).post(API_BOOK, _payload(store_a, car, mobile=victim, days=2), format="json")
        assert r.status_code == 409
    # the owner of the mobile still books, three times a day, and no more
    codes = [
        _behind_proxy(api, "198.51.100.7")
        .post(API_BOOK, _payload(store_a, car, mobile=victim, days=3 + i), format="json")
        .status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert TestDrive.objects.filter(customer__mobile="+86" + victim).count() == 3


def test_booking_page_counts_a_mobile_only_for_bookings_made(client, store_a, car):
    url = reverse("testdrive_public_book", args=[store_a.code])
    victim = "13812345678"
    data = {"series": car.trim.series_id, "day": at(store_a, 1).date().isoformat(), "name": "赵六", "mobile": victim}
    for i in range(4):  # the notice not accepted: refused, each from its own address
        r = client.post(url, {**data, "start": at(store_a, 1, 15).isoformat()}, HTTP_X_REAL_IP=f"203.0.113.{i + 1}")
        assert r.status_code == 400
    statuses = [
        client.post(
            url, {**data, "start": at(store_a, 2 + i, 15).isoformat(), "notice": "on"}, HTTP_X_REAL_IP="198.51.100.7"
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert TestDrive.objects.count() == 3


def test_booking_page_limits_each_real_address(client, store_a, car):
    url = reverse("testdrive_public_book", args=[store_a.code])
    data = {"series": car.trim.series_id, "day": at(store_a, 1).date().isoformat(), "name": "赵六", "notice": "on"}
    for i in range(10):
        r = client.post(
            url,
            {**data, "start": at(store_a, 1 + i, 15).isoformat(), "mobile": f"139000000{i:02d}"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP="203.0.113.1",
        )
        assert r.status_code == 200
    blocked = {**data, "start": at(store_a, 12, 15).isoformat(), "mobile": "13900000099"}
    assert client.post(url, blocked, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.1").status_code == 429
    assert client.post(url, blocked, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.2").status_code == 200


def test_feedback_limit_is_per_real_address(api, store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant), 1000, 1010)
    bad = {"token": services.feedback_token(td), "drive_rating": 9, "consultant_rating": 9}
    for _ in range(10):
        assert (
            _behind_proxy(api, "203.0.113.1")
            .post("/api/v1/public/test-drives/feedback/", bad, format="json")
            .status_code
            == 400
        )
    assert (
        _behind_proxy(api, "203.0.113.1").post("/api/v1/public/test-drives/feedback/", bad, format="json").status_code
        == 429
    )
    assert (
        _behind_proxy(api, "203.0.113.2").post("/api/v1/public/test-drives/feedback/", bad, format="json").status_code
        == 400
    )


# ---------------------------------------------------------------- 2. no answer tells a known mobile


def test_a_busy_owner_does_not_turn_the_public_booking_down(store_a, make_staff, consultant, customer, car, other_car):
    book(consultant, store_a, CustomerFactory(store=store_a), other_car, hour=15, consultant=consultant)
    # the known customer books online at a time their consultant is busy: booked, the consultant left to staff
    td = _public(store_a, car, KNOWN_MOBILE, hour=15)
    assert td.customer_id == customer.pk and td.status == "requested" and td.consultant_id is None
    # at a time the consultant is free, the booking goes to them as before
    later = _public(store_a, car, KNOWN_MOBILE, hour=17)
    assert later.consultant_id == consultant.pk
    # the booking left without a consultant is confirmed by staff with whoever is free, as any requested booking
    colleague = make_staff("consultant", store_a, full_name="李娜")
    confirmed = services.testdrive_confirm(actor=colleague, test_drive=td)
    assert confirmed.status == "confirmed" and confirmed.consultant_id == colleague.pk


def test_public_answer_is_the_same_for_a_known_and_an_unknown_mobile(
    api, store_a, consultant, customer, car, other_car
):
    book(consultant, store_a, CustomerFactory(store=store_a), other_car, hour=15, consultant=consultant)
    known = api.post(API_BOOK, _payload(store_a, car, mobile=KNOWN_MOBILE, hour=15), format="json")
    unknown = api.post(API_BOOK, _payload(store_a, car, mobile="13700000005", hour=15, days=2), format="json")
    assert known.status_code == unknown.status_code == 201
    assert set(known.json()) == set(unknown.json())


def test_a_car_clash_answers_the_same_next_free_slots_for_any_mobile(store_a, consultant, customer, car, other_car):
    # the only car of the series is taken at 15:00 (free again at 17:00, after the buffer); the known customer's
    # consultant is busy at 17:00 elsewhere, which the next free slots offered to the public must not reflect
    book(consultant, store_a, CustomerFactory(store=store_a), car, hour=15)
    book(consultant, store_a, CustomerFactory(store=store_a), other_car, hour=17, consultant=consultant)
    refusals = []
    for mobile in (KNOWN_MOBILE, "13700000006"):
        with pytest.raises(SlotTaken) as refused:
            _public(store_a, car, mobile, hour=15)
        refusals.append((refused.value.status, refused.value.message, refused.value.extra["next_free"]))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == 409 and refusals[0][2][0]["start"] == at(store_a, 1, 17).isoformat()


def test_an_owner_ineligible_to_drive_is_not_a_refusal(store_a, make_staff, car):
    receptionist = make_staff("receptionist", store_a)
    CustomerFactory(store=store_a, owner=receptionist, mobile="+8613911113333")
    td = _public(store_a, car, "13911113333", hour=15)
    assert td.consultant_id is None


def test_a_lost_race_on_the_owners_schedule_books_without_them(
    monkeypatch, store_a, consultant, customer, car, other_car
):
    """The owner was booked by another transaction after the check. SQLite cannot get there: every transaction takes
    the write lock at BEGIN (IMMEDIATE), so check and insert are never apart. On PostgreSQL the exclusion
    constraint refuses the insert and the booking is made without a consultant instead of a 409 about them."""
    if connection.vendor == "sqlite":
        assert connection.transaction_mode == "IMMEDIATE"
        return
    book(consultant, store_a, CustomerFactory(store=store_a), other_car, hour=15, consultant=consultant)
    monkeypatch.setattr(services, "_consultant_busy", lambda *args, **kwargs: False)
    td = _public(store_a, car, KNOWN_MOBILE, hour=15)
    assert td.pk and td.consultant_id is None


# ---------------------------------------------------------------- 3. feedback comments stay out of the audit trail


def _audit_text(customer) -> str:
    return json.dumps([e.diff for e in AuditEntry.objects.filter(customer_id=customer.pk)], ensure_ascii=False)


def test_link_feedback_comment_is_not_in_the_audit_trail_and_erasure_leaves_no_trace(
    store_a, consultant, manager, customer, car
):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant), 1000, 1010)
    comment = "试驾员态度很好，我住在幸福小区"
    services.feedback_from_link(token=services.feedback_token(td), drive_rating=5, consultant_rating=4, comment=comment)
    entry = AuditEntry.objects.get(action="testdrive.feedback_received", target_id=str(td.pk))
    assert entry.diff["comment"] == [None, "(given)"] and entry.diff["comment_length"] == [None, len(comment)]
    assert entry.diff["drive_rating"] == [None, 5]
    assert "幸福小区" not in _audit_text(customer)
    customer_erase(actor=manager, customer=customer, reason="PIPL-2026-07")
    td.refresh_from_db()
    assert td.feedback_comment == ""
    assert "幸福小区" not in _audit_text(customer)


def test_desk_feedback_without_a_comment_records_none(store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant), 1000, 1010)
    services.feedback_record(actor=consultant, test_drive=td, drive_rating=4, consultant_rating=5, comment="  ")
    entry = AuditEntry.objects.get(action="testdrive.feedback_received", target_id=str(td.pk))
    assert entry.diff["comment"] == [None, None] and entry.diff["comment_length"] == [None, 0]


# ---------------------------------------------------------------- 4. plausible odometer readings


def test_a_consultant_cannot_jump_the_odometer_far_ahead(store_a, consultant, car):
    with pytest.raises(ValidationError) as refused:
        fleet.demo_car_record_odometer(actor=consultant, vehicle=car, odometer_km=3001)
    assert "fleet manager" in refused.value.message_dict["odometer_km"][0]
    car.refresh_from_db()
    assert car.odometer_km == 1000 and not OdometerReading.objects.filter(vehicle=car).exists()
    fleet.demo_car_record_odometer(actor=consultant, vehicle=car, odometer_km=3000)  # exactly the limit: fine
    car.refresh_from_db()
    assert car.odometer_km == 3000


def test_a_fleet_manager_records_a_big_jump(store_a, manager, car):
    fleet.demo_car_record_odometer(actor=manager, vehicle=car, odometer_km=25_000)
    car.refresh_from_db()
    assert car.odometer_km == 25_000


def test_a_fleet_manager_corrects_a_wrong_reading_downward_with_a_reason(store_a, consultant, manager, car):
    fleet.demo_car_record_odometer(actor=manager, vehicle=car, odometer_km=2900)  # the typo (should be 1900)
    with pytest.raises(ValidationError) as refused:
        fleet.demo_car_record_odometer(actor=consultant, vehicle=car, odometer_km=1900, reason="录错")
    assert "fleet manager" in refused.value.message_dict["odometer_km"][0]
    with pytest.raises(ValidationError) as refused:
        fleet.demo_car_record_odometer(actor=manager, vehicle=car, odometer_km=1900, reason="  ")
    assert "reason" in refused.value.message_dict
    car.refresh_from_db()
    assert car.odometer_km == 2900
    fleet.demo_car_record_odometer(actor=manager, vehicle=car, odometer_km=1900, reason="多输了一位，实际 1900")
    car.refresh_from_db()
    assert car.odometer_km == 1900
    latest = OdometerReading.objects.filter(vehicle=car).latest("id")
    assert (latest.km, latest.source, latest.note, latest.recorded_by) == (
        1900,
        "correction",
        "多输了一位，实际 1900",
        manager,
    )
    entry = AuditEntry.objects.get(action="demo_car.odometer_corrected", target_id=str(car.pk))
    assert entry.diff == {"odometer_km": [2900, 1900], "reason": [None, "多输了一位，实际 1900"]}
    assert entry.actor == manager


def test_odometer_rules_through_the_api(api, store_a, consultant, manager, car):
    api.force_authenticate(consultant)
    r = api.post(f"/api/v1/demo-cars/{car.pk}/odometer/", {"odometer_km": 1_999_999}, format="json")
    assert r.status_code == 400 and "odometer_km" in r.json()
    api.force_authenticate(manager)
    r = api.post(f"/api/v1/demo-cars/{car.pk}/odometer/", {"odometer_km": 900}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(f"/api/v1/demo-cars/{car.pk}/odometer/", {"odometer_km": 900, "reason": "初始读数录错"}, format="json")
    assert r.status_code == 200 and r.json()["odometer_km"] == 900


def test_the_drives_odometer_out_has_the_same_limit(store_a, consultant, manager, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    accept_agreement(consultant, td)
    with pytest.raises(ValidationError) as refused:
        start(consultant, td, odometer_out=3001)
    assert "fleet manager" in refused.value.message_dict["odometer_out"][0]
    assert start(consultant, td, odometer_out=3000).odometer_out == 3000


def test_a_fleet_manager_may_start_a_drive_past_the_jump(store_a, manager, customer, car):
    td = prepare(manager, book(manager, store_a, customer, car, consultant=manager))
    accept_agreement(manager, td)
    assert start(manager, td, odometer_out=9000).odometer_out == 9000


def test_a_drive_of_more_than_1000_km_is_refused_as_a_typo(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    accept_agreement(consultant, td)
    td = start(consultant, td, odometer_out=1000)
    later = td.started_at + datetime.timedelta(minutes=40)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_complete(actor=consultant, test_drive=td, odometer_in=2001, now=later)
    assert "odometer_in" in refused.value.message_dict
    car.refresh_from_db()
    assert car.odometer_km == 1000
    done = services.testdrive_complete(actor=consultant, test_drive=td, odometer_in=2000, now=later)
    assert done.distance_km == 1000


# ---------------------------------------------------------------- 5. the public slots fragment


def test_public_slots_fragment_is_closed_with_the_booking_page(client, store_a, car):
    url = reverse("testdrive_public_slots", args=[store_a.code])
    params = {"series": car.trim.series_id, "day": at(store_a, 1).date().isoformat()}
    assert client.get(url, params).status_code == 200
    TestDriveSettings.objects.update_or_create(store=store_a, defaults={"public_booking_enabled": False})
    assert client.get(url, params).status_code == 404
    assert client.get(reverse("testdrive_public_book", args=[store_a.code])).status_code == 404
    assert client.get(reverse("testdrive_public_slots", args=["nope"]), params).status_code == 404
