"""Test drives through the services: booking and the overlap invariant, every step of the drive, refused moves and
bad input, after-drive work, the public page and the periodic duties."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dealerdesk.catalog.choices import DemoStatus
from dealerdesk.core.errors import DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.choices import FollowUpPurpose
from dealerdesk.customers.models import Customer, FollowUp
from dealerdesk.showroom.outcomes import TEST_DRIVE, outcomes_for
from dealerdesk.testdrives import fleet, selectors, services
from dealerdesk.testdrives.models import FleetAlert, OdometerReading, TestDrive, TestDriveChange, TestDriveSettings
from dealerdesk.testdrives.services import SlotTaken
from tests.catalog.factories import SeriesFactory, TrimFactory
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import (
    VALID_LICENCE,
    accept_agreement,
    at,
    book,
    drive_to_completed,
    licence_consent,
    prepare,
    route,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def consultant2(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="李娜")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈晓明")


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=1000)


# ---------------------------------------------------------------- booking


def test_booking_is_requested_audited_and_on_the_customer_timeline(store_a, consultant, customer, car):
    # given a free demo car; when the consultant books it for tomorrow 10:00
    td = book(consultant, store_a, customer, car, consultant=consultant, channel="phone")
    # then the booking holds the car until the end plus the store's buffer
    assert td.status == "requested"
    assert td.blocked_until == td.end_at + datetime.timedelta(minutes=15)
    entry = AuditEntry.objects.get(action="testdrive.booked")
    assert entry.customer_id == customer.pk


def test_same_car_overlapping_is_refused_with_next_free_slots(store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10)
    other = CustomerFactory(store=store_a, owner=consultant)
    with pytest.raises(SlotTaken) as refused:
        book(consultant, store_a, other, car, hour=10, minutes=30)
    assert refused.value.status == 409
    nxt = refused.value.extra["next_free"]
    assert nxt and datetime.datetime.fromisoformat(nxt[0]["start"]) >= at(store_a, 1, 11, 15)


def test_buffer_after_a_drive_blocks_the_car_but_not_the_consultant(store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10, consultant=consultant)  # 10:00–11:00, car until 11:15
    other = CustomerFactory(store=store_a, owner=consultant)
    with pytest.raises(SlotTaken):
        book(consultant, store_a, other, car, hour=11)  # in the buffer
    second_car = DemoCarFactory(store_a)
    td = book(consultant, store_a, other, second_car, hour=11, consultant=consultant)  # consultant free at 11:00
    assert td.pk
    start_at = at(store_a, 1, 11, 15)
    third = services.testdrive_book(
        actor=consultant,
        store=store_a,
        customer=other,
        demo_car=car,
        start=start_at,
        end=start_at + datetime.timedelta(minutes=30),
    )
    assert third.start_at == start_at


def test_consultant_double_booking_is_refused(store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10, consultant=consultant)
    with pytest.raises(SlotTaken) as refused:
        book(consultant, store_a, customer, DemoCarFactory(store_a), hour=10, minutes=30, consultant=consultant)
    assert "consultant" in str(refused.value.message)


def test_cancelled_booking_frees_the_slot(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    services.testdrive_cancel(actor=consultant, test_drive=td, reason="客户临时有事")
    assert book(consultant, store_a, customer, car).pk != td.pk
    assert selectors.overlap_violations() == 0


def test_booking_by_series_picks_a_free_car_then_refuses(store_a, consultant, customer):
    series = SeriesFactory()
    first, second = (DemoCarFactory(store_a, trim=TrimFactory(series=series)) for _ in range(2))
    start_at = at(store_a, 1, 14)
    kwargs = {"actor": consultant, "store": store_a, "customer": customer, "series": series, "start": start_at}
    a = services.testdrive_book(**kwargs)
    b = services.testdrive_book(**kwargs)
    assert {a.demo_car_id, b.demo_car_id} == {first.pk, second.pk}
    with pytest.raises(SlotTaken):
        services.testdrive_book(**kwargs)


@pytest.mark.parametrize(
    ("when", "field", "text"),
    [
        (lambda s: (at(s, -1, 10), at(s, -1, 11)), "start", "past"),
        (lambda s: (at(s, 1, 11), at(s, 1, 10)), "end", "end after"),
        (lambda s: (at(s, 1, 7), at(s, 1, 8)), "start", "opening hours"),
        (lambda s: (at(s, 1, 17, 30), at(s, 1, 18, 30)), "start", "opening hours"),
        (lambda s: (at(s, 1, 9), at(s, 1, 12)), "end", "at most 120 minutes"),
    ],
)
@pytest.mark.usefixtures("shanghai_clock")
def test_bad_slots_are_refused_with_a_specific_message(store_a, consultant, customer, car, when, field, text):
    start_at, end_at = when(store_a)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_book(
            actor=consultant, store=store_a, customer=customer, demo_car=car, start=start_at, end=end_at
        )
    assert text in " ".join(refused.value.message_dict[field])
    assert not AuditEntry.objects.filter(action="testdrive.booked").exists()


@pytest.mark.usefixtures("shanghai_clock")
def test_closed_day_is_refused(store_a, consultant, customer, car):
    day = at(store_a, 1).date()
    store_a.opening_hours = {
        k: v
        for k, v in store_a.opening_hours.items()
        if k != ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.weekday()]
    }
    store_a.save()
    with pytest.raises(ValidationError) as refused:
        book(consultant, store_a, customer, car)
    assert "closed" in refused.value.message_dict["start"][0]


@pytest.mark.usefixtures("shanghai_clock")
def test_car_in_maintenance_or_with_expired_insurance_cannot_be_booked(store_a, consultant, customer):
    broken = DemoCarFactory(store_a, demo_status=DemoStatus.MAINTENANCE)
    with pytest.raises(ValidationError) as refused:
        book(consultant, store_a, customer, broken)
    assert "maintenance" in refused.value.message_dict["demo_car"][0]
    lapsing = DemoCarFactory(store_a, insurance_expires_on=timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        book(consultant, store_a, customer, lapsing, days=2)
    assert "insurance" in refused.value.message_dict["demo_car"][0]


def test_care_specialist_may_not_book(store_a, make_staff, customer, car):
    care = make_staff("care_specialist", store_a)
    with pytest.raises(NotPermitted):
        book(care, store_a, customer, car)


def test_longer_store_settings_allow_longer_drives(store_a, consultant, customer, car):
    TestDriveSettings.objects.create(store=store_a, max_minutes=180, slot_minutes=60)
    assert book(consultant, store_a, customer, car, hour=9, minutes=180).pk


# ---------------------------------------------------------------- confirmation and moves


def test_confirm_sends_time_place_licence_and_calendar_link(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    td = services.testdrive_confirm(actor=consultant, test_drive=td)
    assert td.status == "confirmed" and td.consultant == consultant
    sms = Notification.objects.get(kind="testdrive.confirmed", channel="sms")
    assert sms.recipient == customer.mobile
    assert "licence" in sms.body and ".ics" in sms.body
    token = sms.body.rsplit("/calendar/", 1)[1].split(".ics")[0]
    assert services.read_token(token, services.CALENDAR_SALT) == td.pk


def test_confirm_twice_is_refused(store_a, consultant, customer, car):
    td = services.testdrive_confirm(actor=consultant, test_drive=book(consultant, store_a, customer, car))
    with pytest.raises(TransitionRefused):
        services.testdrive_confirm(actor=consultant, test_drive=td)


def test_receptionist_confirm_needs_a_consultant(store_a, make_staff, customer, car):
    reception = make_staff("receptionist", store_a)
    td = book(reception, store_a, customer, car)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_confirm(actor=reception, test_drive=td)
    assert "consultant" in refused.value.message_dict


def test_reschedule_keeps_history_and_unprepares(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    assert td.status == "prepared"
    moved = services.testdrive_reschedule(
        actor=consultant, test_drive=td, start=at(store_a, 2, 15), reason="客户改时间"
    )
    assert moved.status == "confirmed"
    assert moved.start_at == at(store_a, 2, 15) and moved.end_at == at(store_a, 2, 16)
    change = TestDriveChange.objects.get(test_drive=td)
    assert change.old_start_at == at(store_a, 1, 10) and change.reason == "客户改时间"


def test_reschedule_into_a_taken_slot_is_refused_and_nothing_changes(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car, hour=10)
    book(consultant, store_a, CustomerFactory(store=store_a), car, hour=14)
    with pytest.raises(SlotTaken):
        services.testdrive_reschedule(actor=consultant, test_drive=td, start=at(store_a, 1, 14))
    td.refresh_from_db()
    assert td.start_at == at(store_a, 1, 10)
    assert not TestDriveChange.objects.exists()


def test_no_show_before_the_start_is_refused_then_allowed(store_a, consultant, customer, car):
    td = services.testdrive_confirm(actor=consultant, test_drive=book(consultant, store_a, customer, car))
    with pytest.raises(TransitionRefused):
        services.testdrive_no_show(actor=consultant, test_drive=td, reason="未到店")
    later = td.start_at + datetime.timedelta(minutes=20)
    assert services.testdrive_no_show(actor=consultant, test_drive=td, reason="未到店", now=later).status == "no_show"


def test_cancel_needs_a_reason(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_cancel(actor=consultant, test_drive=td, reason=" ")
    assert "reason" in refused.value.message_dict


# ---------------------------------------------------------------- preparation


def test_prepare_is_refused_until_checklist_and_licence(store_a, consultant, customer, car):
    td = services.testdrive_confirm(
        actor=consultant, test_drive=book(consultant, store_a, customer, car, consultant=consultant)
    )
    with pytest.raises(TransitionRefused) as refused:
        services.testdrive_prepare(actor=consultant, test_drive=td)
    assert "clean" in str(refused.value.message) and refused.value.extra["missing"]
    services.preparation_save(
        actor=consultant,
        test_drive=td,
        clean=True,
        energy_percent=10,
        no_warning_lights=True,
        equipment_present=True,
        route=route(store_a),
    )
    with pytest.raises(TransitionRefused) as refused:
        services.testdrive_prepare(actor=consultant, test_drive=td)
    assert "30%" in str(refused.value.message) and "licence" in str(refused.value.message)


def test_licence_needs_consent_and_is_encrypted(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    kwargs = {
        "actor": consultant,
        "test_drive": td,
        "number": VALID_LICENCE,
        "licence_class": "C1",
        "expires_on": timezone.localdate() + datetime.timedelta(days=400),
    }
    with pytest.raises(DomainError) as refused:
        services.licence_record(**kwargs)
    assert refused.value.code == "no_licence_consent"
    licence_consent(customer)
    licence = services.licence_record(**kwargs)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM testdrives_driverlicence WHERE id = %s", [licence.pk])
        stored = cursor.fetchone()[0]
    assert VALID_LICENCE not in stored
    assert services.mask_licence(licence.number) != VALID_LICENCE
    assert AuditEntry.objects.get(action="testdrive.licence_recorded").diff["number"] == ["***", "***"]


def test_erasing_the_customer_erases_the_licence_number(store_a, consultant, customer, car, make_staff):
    from dealerdesk.customers.privacy import customer_erase
    from dealerdesk.testdrives.models import DriverLicence

    # given a booking with the customer's licence on record
    td = book(consultant, store_a, customer, car)
    licence_consent(customer)
    services.licence_record(
        actor=consultant,
        test_drive=td,
        number=VALID_LICENCE,
        licence_class="C1",
        expires_on=timezone.localdate() + datetime.timedelta(days=400),
    )
    # when a manager erases the customer on request
    customer_erase(actor=make_staff("sales_manager", store_a), customer=customer, reason="PIPL-2026-001")
    # then the licence number and its lookup index are gone, the booking stays
    licence = DriverLicence.objects.get(customer=customer)
    assert licence.number == "" and licence.number_index == ""
    assert TestDrive.objects.filter(pk=td.pk).exists()


@pytest.mark.parametrize(
    ("cls", "days", "field", "text"),
    [
        ("D", 400, "licence_class", "does not allow"),
        ("C2", 0, "expires_on", "before the drive"),
        ("X", 400, "licence_class", "class"),
    ],
)
def test_bad_licences_are_refused(store_a, consultant, customer, car, cls, days, field, text):
    td = book(consultant, store_a, customer, car, days=2)
    licence_consent(customer)
    with pytest.raises(ValidationError) as refused:
        services.licence_record(
            actor=consultant,
            test_drive=td,
            number=VALID_LICENCE,
            licence_class=cls,
            expires_on=timezone.localdate() + datetime.timedelta(days=days),
        )
    assert text in refused.value.message_dict[field][0]


def test_bad_licence_number_is_refused(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    licence_consent(customer)
    with pytest.raises(ValidationError) as refused:
        services.licence_record(
            actor=consultant,
            test_drive=td,
            number="12345",
            licence_class="C1",
            expires_on=timezone.localdate() + datetime.timedelta(days=400),
        )
    assert "number" in refused.value.message_dict


# ---------------------------------------------------------------- agreement and drive


def test_start_is_refused_without_the_accepted_agreement(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    with pytest.raises(TransitionRefused) as refused:
        start(consultant, td)
    assert refused.value.code == "agreement_not_accepted"
    services.agreement_generate(actor=consultant, test_drive=td)
    with pytest.raises(TransitionRefused):
        start(consultant, td)


def test_agreement_acceptance_checks_the_name_and_signature(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    draft = services.agreement_generate(actor=consultant, test_drive=td)
    assert bytes(draft.pdf).startswith(b"%PDF") and len(draft.sha256) == 64
    assert "陈晓明" in draft.text and car.plate in draft.text
    with pytest.raises(ValidationError) as refused:
        services.agreement_accept(actor=consultant, test_drive=td, typed_name="别人")
    assert "typed_name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.agreement_accept(
            actor=consultant, test_drive=td, typed_name="陈晓明", signature="data:image/png;base64,AAAA"
        )
    import base64
    import io

    from reportlab.graphics import renderPM  # noqa: F401  reportlab is installed; build a tiny PNG by hand

    png = base64.b64encode(_tiny_png()).decode()
    accepted = services.agreement_accept(
        actor=consultant, test_drive=td, typed_name="陈 晓明", signature=f"data:image/png;base64,{png}"
    )
    assert accepted.accepted_at and accepted.sha256 != draft.sha256
    assert bytes(accepted.signature_png) == _tiny_png()
    assert io.BytesIO(bytes(accepted.pdf)).read(4) == b"%PDF"
    with pytest.raises(TransitionRefused):
        services.agreement_generate(actor=consultant, test_drive=td)


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\xff\xff\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_full_drive_records_odometer_history(store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    assert td.status == "completed" and td.distance_km == 12
    car.refresh_from_db()
    assert car.odometer_km == 1012
    assert OdometerReading.objects.get(vehicle=car).km == 1012


def test_start_briefing_and_odometer_rules(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    accept_agreement(consultant, td)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_start(
            actor=consultant,
            test_drive=td,
            odometer_out=999,
            first_driver="",
            briefing=["controls"],
            precautions_acknowledged=False,
            now=td.start_at,
        )
    errors = refused.value.message_dict
    assert {"odometer_out", "first_driver", "briefing", "precautions_acknowledged"} <= set(errors)


def test_odometer_in_below_out_is_refused(store_a, consultant, customer, car):
    td = prepare(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    accept_agreement(consultant, td)
    td = start(consultant, td, 1000)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_complete(
            actor=consultant, test_drive=td, odometer_in=990, now=td.started_at + datetime.timedelta(minutes=30)
        )
    assert "below the odometer out" in refused.value.message_dict["odometer_in"][0]
    td.refresh_from_db()
    assert td.status == "in_progress"


def test_a_cancelled_booking_cannot_be_started(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    td = services.testdrive_cancel(actor=consultant, test_drive=td, reason="取消")
    with pytest.raises(TransitionRefused) as refused:
        start(consultant, td)
    assert "Cancelled" in str(refused.value.message) and refused.value.code == "testdrive_transition_refused"


# ---------------------------------------------------------------- after the drive


def test_damage_sends_the_car_to_maintenance_and_flags_next_bookings(store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    later = book(consultant, store_a, CustomerFactory(store=store_a), car, days=2, consultant=consultant)
    services.testdrive_check_after(
        actor=consultant,
        test_drive=td,
        damage=True,
        damage_notes="右后门划痕",
        energy_percent=60,
        clean=True,
        equipment_returned=True,
    )
    car.refresh_from_db()
    later.refresh_from_db()
    assert car.demo_status == DemoStatus.MAINTENANCE
    assert "maintenance" in later.needs_attention
    assert Notification.objects.filter(kind="testdrive.flagged", recipient_user=consultant).exists()


def test_feedback_through_the_link_and_the_debrief(store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    link = services.feedback_request_send(actor=consultant, test_drive=td)
    token = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(DomainError):
        services.feedback_from_link(token=token + "x", drive_rating=5, consultant_rating=5)
    with pytest.raises(ValidationError):
        services.feedback_from_link(token=token, drive_rating=6, consultant_rating=5)
    done = services.feedback_from_link(token=token, drive_rating=5, consultant_rating=4, comment="很满意")
    assert done.feedback_channel == "link" and done.drive_rating == 5
    assert AuditEntry.objects.filter(action="testdrive.feedback_received", customer_id=customer.pk).exists()
    with pytest.raises(TransitionRefused):
        services.feedback_from_link(token=token, drive_rating=5, consultant_rating=5)
    services.debrief_record(actor=consultant, test_drive=td, impression="很喜欢加速", next_step="报价", grade="H")
    follow_up = FollowUp.objects.get(customer=customer, purpose=FollowUpPurpose.AFTER_TEST_DRIVE)
    assert timezone.localtime(follow_up.due_at, store_a.tz).date() == timezone.localdate(
        timezone.now(), store_a.tz
    ) + datetime.timedelta(days=1)
    customer.refresh_from_db()
    assert customer.intent_grade == "H"


def test_feedback_before_the_drive_is_refused(store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car)
    with pytest.raises(TransitionRefused):
        services.feedback_record(actor=consultant, test_drive=td, drive_rating=5, consultant_rating=5)


def test_showroom_outcome_counts_visits_with_a_test_drive(store_a, consultant, customer, car):
    from dealerdesk.showroom.models import Visit

    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    visit = Visit.objects.create(
        store=store_a, customer=customer, arrived_at=td.started_at - datetime.timedelta(minutes=30)
    )
    assert TEST_DRIVE in outcomes_for([visit])[visit.pk]


# ---------------------------------------------------------------- public page


def test_public_booking_creates_a_lead_and_a_requested_drive(store_a, car):
    td = services.public_book(
        store=store_a,
        series=car.trim.series,
        start=at(store_a, 1, 15),
        name="赵六",
        mobile="13912345678",
        notice_accepted=True,
    )
    assert td.status == "requested" and td.channel == "online" and td.demo_car == car
    lead = Customer.objects.get(pk=td.customer_id)
    assert lead.stage == "lead" and lead.source == "website" and lead.mobile == "+8613912345678"
    again = services.public_book(
        store=store_a,
        series=car.trim.series,
        start=at(store_a, 2, 15),
        name="赵六",
        mobile="139 1234 5678",
        notice_accepted=True,
    )
    assert again.customer_id == lead.pk


def test_public_booking_bad_input(store_a, car):
    with pytest.raises(ValidationError) as refused:
        services.public_book(
            store=store_a, series=None, start=at(store_a), name="", mobile="123", notice_accepted=False
        )
    assert {"series", "name", "mobile", "notice"} <= set(refused.value.message_dict)
    assert not Customer.objects.exists()


# ---------------------------------------------------------------- fleet and duties


def test_fleet_status_needs_fleet_manage_and_flags_bookings(store_a, consultant, manager, customer, car):
    td = book(consultant, store_a, customer, car)
    with pytest.raises(NotPermitted):
        fleet.demo_car_set_status(actor=consultant, vehicle=car, demo_status="maintenance")
    fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="maintenance", reason="保养")
    td.refresh_from_db()
    assert td.needs_attention
    with pytest.raises(TransitionRefused):
        fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="maintenance")


@pytest.mark.usefixtures("shanghai_clock")
def test_insurance_alerts_are_sent_once(store_a, manager):
    DemoCarFactory(store_a, insurance_expires_on=timezone.localdate() + datetime.timedelta(days=10))
    DemoCarFactory(store_a, insurance_expires_on=timezone.localdate() + datetime.timedelta(days=100))
    assert fleet.insurance_alerts_send() == 1
    assert fleet.insurance_alerts_send() == 0
    assert FleetAlert.objects.count() == 1
    assert Notification.objects.filter(kind="demo_car.insurance_expiring", recipient_user=manager).count() == 1


@pytest.mark.usefixtures("shanghai_clock")
def test_reminder_goes_the_day_before_once(store_a, consultant, customer, car):
    td = services.testdrive_confirm(actor=consultant, test_drive=book(consultant, store_a, customer, car, days=2))
    day_before = at(store_a, 1, 9)
    assert services.reminders_send_due(now=day_before) == 0  # before the reminder hour (10:00)
    assert services.reminders_send_due(now=at(store_a, 1, 10, 5)) == 1
    assert services.reminders_send_due(now=at(store_a, 1, 11)) == 0
    td.refresh_from_db()
    assert td.reminder_sent_at is not None


@pytest.mark.usefixtures("shanghai_clock")
def test_utilisation_counts_booked_hours(store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=10, minutes=120)
    day = at(store_a, 1).date()
    report = selectors.utilisation(store_a, fleet.week_start(day))
    row = next(r for r in report["rows"] if r["car"].pk == car.pk)
    assert row["booked_hours"] == 2.0 and row["open_hours"] == 63.0 and row["drives"] == 1


def test_database_guard_behind_the_service_check(store_a, consultant, customer, car):
    """PostgreSQL refuses an overlapping insert that slipped past the check (a lost race) with the same 409;
    on SQLite the check itself runs under the write lock, and it sees the clash."""
    from django.db import connection

    from dealerdesk.testdrives.models import TestDrive

    first = book(consultant, store_a, customer, car, consultant=consultant)
    clone = TestDrive(
        store=store_a,
        customer=customer,
        trim=first.trim,
        demo_car=car,
        consultant=consultant,
        start_at=first.start_at,
        end_at=first.end_at,
        blocked_until=first.blocked_until,
        channel="phone",
    )
    if connection.vendor == "postgresql":
        with pytest.raises(SlotTaken) as refused:
            services._save_guarded(clone, cars=[car])
        assert refused.value.status == 409 and refused.value.extra["next_free"]
    else:
        assert (
            services._clash(store_a.pk, car.pk, consultant.pk, clone.start_at, clone.end_at, clone.blocked_until)
            == "car"
        )


def test_confirming_a_public_lead_gives_it_to_the_consultant(store_a, consultant, car):
    td = services.public_book(
        store=store_a,
        series=car.trim.series,
        start=at(store_a, 1, 15),
        name="钱七",
        mobile="13812345678",
        notice_accepted=True,
    )
    assert td.customer.owner_id is None and td.consultant_id is None
    services.testdrive_confirm(actor=consultant, test_drive=td)
    td.customer.refresh_from_db()
    assert td.customer.owner == consultant


def test_settings_and_routes_need_fleet_manage_and_valid_values(store_a, consultant, manager):
    with pytest.raises(NotPermitted):
        services.testdrive_settings_update(actor=consultant, store=store_a, buffer_minutes=30)
    with pytest.raises(ValidationError) as refused:
        services.testdrive_settings_update(actor=manager, store=store_a, slot_minutes=90, max_minutes=60)
    assert "max_minutes" in refused.value.message_dict
    config = services.testdrive_settings_update(actor=manager, store=store_a, buffer_minutes=30, max_minutes=180)
    assert config.buffer_minutes == 30 and selectors.settings_for(store_a).max_minutes == 180
    assert AuditEntry.objects.filter(action="testdrive_settings.updated").exists()
    with pytest.raises(ValidationError) as refused:
        services.route_save(actor=manager, store=store_a, name="", distance_km="x", duration_minutes=1)
    assert set(refused.value.message_dict) >= {"name", "distance_km", "duration_minutes"}  # each field named
    r = services.route_save(actor=manager, store=store_a, name="滨海大道", distance_km="10.5", duration_minutes=30)
    assert r.distance_km == Decimal("10.5")
    with pytest.raises(ValidationError):
        services.route_save(actor=manager, store=store_a, name="滨海大道", distance_km="3", duration_minutes=10)
