"""Writes of test drives (standard ch. 4). Each service: one transaction, permission re-checked, every input
validated before anything is written, audited, messages queued in the outbox.

The overlap invariant (a demo car and a consultant are never in two overlapping active bookings) is checked here
before every insert or move, inside the transaction: on SQLite the IMMEDIATE write lock taken at BEGIN serialises
the check and the write; on PostgreSQL each writer first takes the car's and the consultant's locks in one sorted
order (`_hold_schedules`, core.locks), so racing bookings queue instead of deadlocking on each other's rows, and the
exclusion constraints of migration 0002 stay as the last word: a refused row becomes the same 409 with the next free
slots.
"""

import base64
import binascii
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import DemoStatus
from dealerdesk.catalog.models import Series, StockVehicle, Trim
from dealerdesk.core import validators as v
from dealerdesk.core.audit import access_record, audit_record
from dealerdesk.core.crypto import blind_index
from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.locks import hold_locks
from dealerdesk.core.services import notification_queue
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import ConsentPurpose, FollowUpPurpose, Source
from dealerdesk.customers.models import Consent, Customer
from dealerdesk.customers.selectors import customer_visible_to

from . import selectors
from .choices import (
    ACTIVE_STATUSES,
    LICENCE_COVERS,
    RESCHEDULABLE,
    STAFF_CHANNELS,
    TESTDRIVE_MOVES,
    BriefingItem,
    Channel,
    FeedbackChannel,
    FirstDriver,
    LicenceClass,
    OdometerSource,
    TestDriveStatus,
    Transmission,
)
from .models import DriverLicence, OdometerReading, Route, TestDrive, TestDriveAgreement, TestDriveChange

LICENCE_PURPOSE = "testdrives.licence_number"
FEEDBACK_SALT = "testdrives.feedback"
CALENDAR_SALT = "testdrives.calendar"
TOKEN_MAX_AGE = 60 * 60 * 24 * 30
MAX_SIGNATURE_BYTES = 200_000
MAX_ODOMETER = 2_000_000
# Plausibility of odometer readings: one wrong reading can never be undone by staff (readings never go down), so a
# reading far above the last one is left to the fleet manager, and a single drive cannot add more than a day's run.
ODOMETER_MAX_JUMP_KM = 2_000
DRIVE_MAX_KM = 1_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# When a drive may start (issue #10.6, docs/decisions/0016-dates-and-one-truth.md): on the booked local day, from an
# hour before the slot until its end. A customer who comes early is driven; one who comes on another day, or after
# the slot ended, is rescheduled first, so that the car's and the consultant's calendars and the agreement's printed
# time stay true.
START_EARLY_MINUTES = 60
# The shortest drive that is plausible: starting and completing in the same minute records a drive that never was.
MIN_DRIVE_MINUTES = 10
# Every passenger-car trim sold here is automatic (BEV, PHEV, EREV, HEV and the ICE trims of the catalogue all have
# automatic or single-speed gearboxes); the catalogue has no gearbox field, so this is the one place that says so.
PASSENGER_CAR_TRANSMISSION = Transmission.AUTOMATIC


class SlotTaken(Conflict):
    """The demo car or the consultant is already booked then; `next_free` lists the next free slots."""

    default_code = "slot_taken"


# ---------------------------------------------------------------- helpers


def odometer_jump_refusal(actor: User, car: StockVehicle, km: int) -> str | None:
    """Why `actor` may not record `km` on `car` as too far above its last reading, or None. A fleet manager may
    (and can correct a wrong reading downward on the fleet page). One typo must not spoil a demo car for ever,
    since readings never go down. The one rule for drive-out readings and fleet checks (issue #12.2)."""
    if km - car.odometer_km <= ODOMETER_MAX_JUMP_KM or user_can(actor, "fleet.manage", car):
        return None
    return _(
        "%(km)d km is more than %(limit)d km above the car's last reading (%(last)d km). If it is right, ask the "
        "fleet manager to record it."
    ) % {"km": km, "limit": ODOMETER_MAX_JUMP_KM, "last": car.odometer_km}


def _require(actor, perm: str, store_or_obj) -> None:
    if not user_can(actor, perm, store_or_obj):
        raise NotPermitted()


def _lock(td: TestDrive) -> TestDrive:
    """Lock the booking's row, then read it with its relations.

    The lock is taken without joins: on PostgreSQL a FOR UPDATE with joins re-checks the join against the row a
    concurrent transaction just changed (a rescheduled car) and could miss the row."""
    TestDrive.objects.select_for_update().filter(pk=td.pk).values_list("pk", flat=True).get()
    return TestDrive.objects.select_related(
        "store", "customer", "demo_car", "trim__series", "consultant", "route", "licence"
    ).get(pk=td.pk)


def _move(td: TestDrive, to: str) -> None:
    if to not in TESTDRIVE_MOVES[td.status]:
        raise TransitionRefused(
            _("A test drive that is “%(status)s” cannot become “%(to)s”.")
            % {"status": TestDriveStatus(td.status).label, "to": TestDriveStatus(to).label},
            code="testdrive_transition_refused",
        )


def _local(store: Store, at: datetime) -> datetime:
    return timezone.localtime(at, store.tz)


def _fmt(store: Store, at: datetime) -> str:
    return _local(store, at).strftime("%Y-%m-%d %H:%M")


def _as_datetime(value: Any, store: Store, field: str, errors: dict) -> datetime | None:
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            errors[field] = [_("Enter a date and time, e.g. 2026-05-01 10:00.")]
            return None
    if not isinstance(value, datetime):
        errors[field] = [_("Enter a date and time, e.g. 2026-05-01 10:00.")]
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=store.tz)
    return value


def _check_slot(store: Store, start: datetime, end: datetime, *, now: datetime, errors: dict) -> None:
    """The bad-input rules of a slot: past, order, opening hours, maximum length."""
    config = selectors.settings_for(store)
    if end <= start:
        errors["end"] = [_("The drive must end after it starts.")]
        return
    if start < now - timedelta(minutes=1):
        errors["start"] = [_("This slot is in the past; choose a later time.")]
    minutes = (end - start).total_seconds() / 60
    if minutes > config.max_minutes:
        errors["end"] = [
            _("A test drive lasts at most %(minutes)d minutes in this store.") % {"minutes": config.max_minutes}
        ]
    day = _local(store, start).date()
    hours = selectors.opening_hours_on(store, day)
    if hours is None:
        errors.setdefault("start", []).append(
            _("The store is closed on %(day)s; choose another day.") % {"day": day.isoformat()}
        )
    elif start < hours[0] or end > hours[1]:
        errors.setdefault("start", []).append(
            _("Test drives take place within opening hours (%(open)s–%(close)s).")
            % {"open": _local(store, hours[0]).strftime("%H:%M"), "close": _local(store, hours[1]).strftime("%H:%M")}
        )


def _car_refusal(car: StockVehicle, day: date) -> str | None:
    """Why this demo car cannot be booked for `day`, or None."""
    if not car.is_demo:
        return _("This vehicle is not a demo car.")
    if car.demo_status == DemoStatus.MAINTENANCE:
        return _("This demo car is in maintenance and cannot be booked.")
    if car.demo_status == DemoStatus.RETIRED:
        return _("This demo car is retired and cannot be booked.")
    if car.insurance_expires_on is not None and car.insurance_expires_on < day:
        return _("This demo car's insurance expires on %(date)s, before the drive; it cannot be booked.") % {
            "date": car.insurance_expires_on.isoformat()
        }
    return None


def _check_consultant(store: Store, consultant: User | None, errors: dict) -> None:
    if consultant is not None and not (
        user_can(consultant, "sales.sell", store) and user_can(consultant, "testdrives.book", store)
    ):
        errors["consultant"] = [_("The consultant must be sales staff of this store.")]


def _slot_data(slot: selectors.Slot) -> dict:
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "demo_car": slot.demo_car.pk,
        "demo_car_label": f"{slot.demo_car.plate} {slot.demo_car.trim.name}",
    }


def _slot_taken(store: Store, *, what: str, cars: list, start: datetime, end: datetime, consultant_id, exclude_pk):
    """The 409 of a taken slot, with the next free slots for the same cars (and consultant)."""
    nxt = selectors.free_slots(
        store, cars, start_from=start, duration=end - start, consultant_id=consultant_id, exclude_pk=exclude_pk
    )
    if what == "consultant":
        message = _("The consultant already has a test drive at that time.")
    else:
        message = _("The demo car is already booked at that time (including the buffer after each drive).")
    if nxt:
        message += " " + _("Next free: %(slots)s.") % {
            "slots": ", ".join(_fmt(store, s.start) + f" ({s.demo_car.plate})" for s in nxt)
        }
    return SlotTaken(message, field="start", extra={"next_free": [_slot_data(s) for s in nxt]})


def _active(store_id: int, exclude_pk=None):
    active = TestDrive.objects.filter(store_id=store_id, status__in=ACTIVE_STATUSES)
    return active.exclude(pk=exclude_pk) if exclude_pk else active


def _consultant_busy(store_id: int, consultant_id, start, end, exclude_pk=None) -> bool:
    return bool(consultant_id) and (
        _active(store_id, exclude_pk).filter(consultant_id=consultant_id, start_at__lt=end, end_at__gt=start).exists()
    )


def _clash(store_id: int, car_id: int, consultant_id, start, end, blocked_until, exclude_pk=None) -> str | None:
    """'car' or 'consultant' when an active booking overlaps, else None (the invariant's check)."""
    active = _active(store_id, exclude_pk)
    if active.filter(demo_car_id=car_id, start_at__lt=blocked_until, blocked_until__gt=start).exists():
        return "car"
    if _consultant_busy(store_id, consultant_id, start, end, exclude_pk):
        return "consultant"
    return None


def _save_guarded(td: TestDrive, *, cars: list, update_fields: list[str] | None = None) -> None:
    """Save inside a savepoint; PostgreSQL's exclusion constraint turns a lost race into the same 409."""
    try:
        with transaction.atomic():
            td.save(update_fields=update_fields)
    except IntegrityError as exc:
        text = str(exc)
        if "no_overlap" not in text:
            raise
        what = "consultant" if "consultant_no_overlap" in text else "car"
        raise _slot_taken(
            td.store,
            what=what,
            cars=cars,
            start=td.start_at,
            end=td.end_at,
            consultant_id=td.consultant_id,
            exclude_pk=td.pk,
        ) from None


def _pick_car(store, *, demo_car, trim, series, start, end, consultant_id, exclude_pk, errors) -> tuple:
    """(the car, the candidate cars) for a booking: the given car, or the first free one of the trim or series."""
    day = _local(store, start).date()
    if demo_car is not None:
        if demo_car.store_id != store.pk:
            errors["demo_car"] = [_("Choose a demo car of this store.")]
            return None, []
        refusal = _car_refusal(demo_car, day)
        if refusal:
            errors["demo_car"] = [refusal]
            return None, []
        if trim is not None and demo_car.trim_id != trim.pk:
            errors["demo_car"] = [_("This demo car is not of the chosen trim.")]
            return None, []
        return demo_car, [demo_car]
    if trim is None and series is None:
        errors["demo_car"] = [_("Choose a demo car, or the trim or series to drive.")]
        return None, []
    cars = list(
        selectors.bookable_cars(
            store, trim_id=trim.pk if trim else None, series_id=series.pk if series else None, day=day
        )
    )
    if not cars:
        field = "trim" if trim is not None else "series"
        errors[field] = [_("The store has no demo car of this model that can be booked for that day.")]
        return None, []
    config = selectors.settings_for(store)
    blocked = end + timedelta(minutes=config.buffer_minutes)
    return _first_free(store.pk, cars, start, end, blocked, exclude_pk), cars


def _first_free(store_id: int, cars: list, start, end, blocked_until, exclude_pk):
    """The first of `cars` without a clashing booking, else the first (the clash check that follows answers 409
    with the next free slots)."""
    for car in cars:
        if _clash(store_id, car.pk, None, start, end, blocked_until, exclude_pk) is None:
            return car
    return cars[0]


def _hold_schedules(cars: list, *consultant_ids) -> None:
    """Queue behind every concurrent write to the schedule of these cars and consultants (core.locks): on
    PostgreSQL two bookings otherwise deadlock while each checks the other's row against the car and the consultant
    exclusion constraints. Taken after the booking is validated and before the overlap check it protects."""
    hold_locks(
        *(f"testdrive.car:{car.pk}" for car in cars),
        *(f"testdrive.consultant:{pk}" for pk in consultant_ids if pk),
    )


def _customer_message(td: TestDrive, subject: str, body: str, kind: str) -> None:
    customer = td.customer
    if not customer.mobile:
        return
    notification_queue(channel="sms", recipient=customer.mobile, subject=subject, body=body, store=td.store, kind=kind)


def public_url(path: str) -> str:
    return getattr(django_settings, "DEALERDESK_PUBLIC_URL", "").rstrip("/") + path


def feedback_token(td: TestDrive) -> str:
    return signing.dumps({"td": td.pk}, salt=FEEDBACK_SALT, compress=True)


def calendar_token(td: TestDrive) -> str:
    return signing.dumps({"td": td.pk}, salt=CALENDAR_SALT, compress=True)


def read_token(token: str, salt: str) -> int | None:
    """The booking id in a signed link, or None when it is forged or too old."""
    try:
        data = signing.loads(token, salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("td") if isinstance(data, dict) else None


# ---------------------------------------------------------------- booking


@transaction.atomic
def testdrive_book(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    start: Any,
    end: Any = None,
    demo_car: StockVehicle | None = None,
    trim: Trim | None = None,
    series: Series | None = None,
    consultant: User | None = None,
    consultant_if_free: User | None = None,
    route: Route | None = None,
    channel: str = Channel.WALK_IN,
    notes: str = "",
    now: datetime | None = None,
) -> TestDrive:
    """Book a test drive (status `requested`). Refused with 409 and the next free slots when the car or the
    consultant is taken. `actor` None is the public booking page (see public_book).

    `consultant_if_free` (the public page: the customer's own consultant) becomes the consultant only when they
    may sell in the store and are free at the booked time; otherwise the booking is made without a consultant, for
    staff to assign at confirmation. It is never a reason to refuse, and it plays no part in choosing the car or
    in the next free slots of a 409, so the answer is the same for any mobile."""
    now = now or timezone.now()
    if actor is not None:
        _require(actor, "testdrives.book", store)
        if channel not in STAFF_CHANNELS:
            raise ValidationError({"channel": [_("Choose how the customer asked: walk-in, phone or WeChat.")]})
    if customer.store_id != store.pk or customer.merged_into_id:
        raise ValidationError({"customer": [_("Choose a customer of this store.")]})
    if customer.erased_at:
        raise DomainError(_("This customer's personal data was erased."), code="customer_erased")
    errors: dict[str, list[str]] = {}
    config = selectors.settings_for(store)
    start = _as_datetime(start, store, "start", errors)
    if start is not None and end in (None, ""):
        end = start + timedelta(minutes=config.slot_minutes)
    end = _as_datetime(end, store, "end", errors) if start is not None else None
    if start is not None and end is not None:
        _check_slot(store, start, end, now=now, errors=errors)
    _check_consultant(store, consultant, errors)
    if route is not None and (route.store_id != store.pk or not route.is_active):
        errors["route"] = [_("Choose one of the store's routes.")]
    if errors:
        raise ValidationError(errors)
    car, cars = _pick_car(
        store,
        demo_car=demo_car,
        trim=trim,
        series=series,
        start=start,
        end=end,
        consultant_id=consultant.pk if consultant else None,
        exclude_pk=None,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    blocked = end + timedelta(minutes=config.buffer_minutes)
    _hold_schedules(cars, consultant.pk if consultant else None, consultant_if_free.pk if consultant_if_free else None)
    if len(cars) > 1:  # chosen before the locks: a concurrent booking may have taken it meanwhile
        car = _first_free(store.pk, cars, start, end, blocked, None)
    clash = _clash(store.pk, car.pk, consultant.pk if consultant else None, start, end, blocked)
    if clash:
        raise _slot_taken(
            store,
            what=clash,
            cars=cars,
            start=start,
            end=end,
            consultant_id=consultant.pk if consultant else None,
            exclude_pk=None,
        )
    preferred = consultant is None and consultant_if_free is not None
    if preferred:
        eligible: dict[str, list[str]] = {}
        _check_consultant(store, consultant_if_free, eligible)
        if not eligible and not _consultant_busy(store.pk, consultant_if_free.pk, start, end):
            consultant = consultant_if_free
    td = TestDrive(
        store=store,
        customer=customer,
        trim_id=car.trim_id,
        demo_car=car,
        consultant=consultant,
        route=route,
        start_at=start,
        end_at=end,
        blocked_until=blocked,
        channel=channel,
        notes=(notes or "").strip()[:300],
        created_by=actor,
        created_at=now,
    )
    try:
        _save_guarded(td, cars=cars)
    except SlotTaken:
        if not (preferred and consultant is not None):
            raise
        # PostgreSQL: the preferred consultant was booked by a concurrent transaction after the check; the booking
        # goes without them, exactly as for any other mobile (a car clash still answers 409 on the retry)
        td.consultant = consultant = None
        _save_guarded(td, cars=cars)
    audit_record(
        actor=actor,
        action="testdrive.booked",
        target=td,
        diff={
            "status": [None, td.status],
            "start": [None, _fmt(store, start)],
            "end": [None, _fmt(store, end)],
            "demo_car": [None, car.plate],
            "consultant": [None, consultant.pk if consultant else None],
            "channel": [None, channel],
        },
    )
    if consultant is not None and consultant != actor:
        notification_queue(
            channel="in_app",
            recipient_user=consultant,
            store=store,
            subject=_("Test drive booked for you: %(customer)s at %(start)s")
            % {"customer": customer.name, "start": _fmt(store, start)},
            body=f"/test-drives/{td.pk}/",
            kind="testdrive.booked",
        )
    return td


def _confirmation_text(td: TestDrive) -> str:
    store = td.store
    text = _(
        "%(customer)s, your test drive of the %(vehicle)s is confirmed for %(start)s–%(end)s at %(store)s "
        "(%(address)s). Please bring your driver's licence. Add it to your calendar: %(ics)s"
    ) % {
        "customer": td.customer.name,
        "vehicle": str(td.trim),
        "start": _fmt(store, td.start_at),
        "end": _local(store, td.end_at).strftime("%H:%M"),
        "store": store.name,
        "address": store.address or store.city,
        "ics": public_url(f"/test-drives/calendar/{calendar_token(td)}.ics"),
    }
    return text


@transaction.atomic
def testdrive_confirm(*, actor: User, test_drive: TestDrive, consultant: User | None = None) -> TestDrive:
    """Confirm a requested booking with its consultant; the customer gets the time, place, what to bring and an
    .ics calendar link."""
    td = _lock(test_drive)
    _require(actor, "testdrives.book", td.store)
    _move(td, TestDriveStatus.CONFIRMED)
    if consultant is None and td.consultant is None and user_can(actor, "sales.sell", td.store):
        consultant = actor
    consultant = consultant or td.consultant
    errors: dict[str, list[str]] = {}
    if consultant is None:
        errors["consultant"] = [_("Choose the consultant who takes the customer on the drive.")]
    _check_consultant(td.store, consultant, errors)
    refusal = _car_refusal(td.demo_car, _local(td.store, td.start_at).date())
    if refusal:
        errors["demo_car"] = [refusal + " " + _("Reschedule the booking to another car.")]
    if errors:
        raise ValidationError(errors)
    before_consultant = td.consultant_id
    if consultant.pk != td.consultant_id:
        _hold_schedules([td.demo_car], consultant.pk)
    if consultant.pk != td.consultant_id and _clash(
        td.store_id, td.demo_car_id, consultant.pk, td.start_at, td.end_at, td.blocked_until, td.pk
    ):
        raise _slot_taken(
            td.store,
            what="consultant",
            cars=[td.demo_car],
            start=td.start_at,
            end=td.end_at,
            consultant_id=consultant.pk,
            exclude_pk=td.pk,
        )
    td.consultant = consultant
    td.status = TestDriveStatus.CONFIRMED
    # a lead from the public page (or a desk walk-in) goes to the consultant who takes them on the drive
    customer_services.customer_claim_unowned(
        actor=actor, customer=td.customer, consultant=consultant, reason=_("Takes the customer on a test drive.")
    )
    _save_guarded(td, cars=[td.demo_car], update_fields=["consultant", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="testdrive.confirmed",
        target=td,
        diff={"status": [TestDriveStatus.REQUESTED, td.status], "consultant": [before_consultant, consultant.pk]},
    )
    _customer_message(td, _("Your test drive is confirmed"), _confirmation_text(td), "testdrive.confirmed")
    if consultant != actor:
        notification_queue(
            channel="in_app",
            recipient_user=consultant,
            store=td.store,
            subject=_("Test drive confirmed: %(customer)s at %(start)s")
            % {"customer": td.customer.name, "start": _fmt(td.store, td.start_at)},
            body=f"/test-drives/{td.pk}/",
            kind="testdrive.confirmed",
        )
    return td


@transaction.atomic
def testdrive_reschedule(
    *,
    actor: User,
    test_drive: TestDrive,
    start: Any,
    end: Any = None,
    demo_car: StockVehicle | None = None,
    consultant: User | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> TestDrive:
    """Move a booking that has not started to another time, car or consultant; the old slot is kept as history.
    A prepared booking goes back to confirmed (its checklist was for the old slot)."""
    now = now or timezone.now()
    td = _lock(test_drive)
    _require(actor, "testdrives.book", td.store)
    if td.status not in RESCHEDULABLE:
        raise TransitionRefused(
            _("A test drive that is “%(status)s” cannot be rescheduled.") % {"status": td.get_status_display()},
            code="testdrive_not_reschedulable",
        )
    store = td.store
    config = selectors.settings_for(store)
    errors: dict[str, list[str]] = {}
    new_start = _as_datetime(start, store, "start", errors)
    if new_start is not None and end in (None, ""):
        end = new_start + (td.end_at - td.start_at)
    new_end = _as_datetime(end, store, "end", errors) if new_start is not None else None
    if new_start is not None and new_end is not None:
        _check_slot(store, new_start, new_end, now=now, errors=errors)
    consultant = consultant or td.consultant
    _check_consultant(store, consultant, errors)
    if errors:
        raise ValidationError(errors)
    car, cars = _pick_car(
        store,
        demo_car=demo_car or td.demo_car,
        trim=None,
        series=None,
        start=new_start,
        end=new_end,
        consultant_id=consultant.pk if consultant else None,
        exclude_pk=td.pk,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    blocked = new_end + timedelta(minutes=config.buffer_minutes)
    _hold_schedules(cars, consultant.pk if consultant else None)
    clash = _clash(store.pk, car.pk, consultant.pk if consultant else None, new_start, new_end, blocked, td.pk)
    if clash:
        raise _slot_taken(
            store,
            what=clash,
            cars=cars,
            start=new_start,
            end=new_end,
            consultant_id=consultant.pk if consultant else None,
            exclude_pk=td.pk,
        )
    TestDriveChange.objects.create(
        test_drive=td,
        store=store,
        old_start_at=td.start_at,
        old_end_at=td.end_at,
        old_demo_car_id=td.demo_car_id,
        old_consultant_id=td.consultant_id,
        reason=(reason or "").strip()[:200],
        changed_by=actor,
        changed_at=now,
    )
    diff = {
        "start": [_fmt(store, td.start_at), _fmt(store, new_start)],
        "end": [_fmt(store, td.end_at), _fmt(store, new_end)],
    }
    if car.pk != td.demo_car_id:
        diff["demo_car"] = [td.demo_car.plate, car.plate]
    if (consultant.pk if consultant else None) != td.consultant_id:
        diff["consultant"] = [td.consultant_id, consultant.pk if consultant else None]
    td.start_at, td.end_at, td.blocked_until = new_start, new_end, blocked
    td.demo_car, td.trim_id, td.consultant = car, car.trim_id, consultant
    td.needs_attention = ""
    td.reminder_sent_at = None
    if td.status == TestDriveStatus.PREPARED:
        diff["status"] = [td.status, TestDriveStatus.CONFIRMED]
        td.status = TestDriveStatus.CONFIRMED
        td.prepared_at = None
    _save_guarded(td, cars=cars)
    audit_record(actor=actor, action="testdrive.rescheduled", target=td, diff=diff)
    if td.status == TestDriveStatus.CONFIRMED:
        _customer_message(td, _("Your test drive was moved"), _confirmation_text(td), "testdrive.rescheduled")
    return td


def _close(*, actor, test_drive: TestDrive, to: str, reason: str, now: datetime | None) -> TestDrive:
    td = _lock(test_drive)
    _require(actor, "testdrives.book", td.store)
    _move(td, to)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    now = now or timezone.now()
    if to == TestDriveStatus.NO_SHOW and now < td.start_at:
        raise TransitionRefused(
            _("The customer can only be marked as not showing up once the drive was due to start (%(start)s).")
            % {"start": _fmt(td.store, td.start_at)},
            code="testdrive_not_due",
        )
    before = td.status
    td.status, td.status_reason = to, reason[:200]
    td.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=f"testdrive.{'cancelled' if to == TestDriveStatus.CANCELLED else 'no_show'}",
        target=td,
        diff={"status": [before, to], "reason": [None, reason[:200]]},
    )
    return td


@transaction.atomic
def testdrive_cancel(*, actor: User, test_drive: TestDrive, reason: str, now: datetime | None = None) -> TestDrive:
    """Cancel a booking that has not started, with the reason; the car and consultant are free again."""
    return _close(actor=actor, test_drive=test_drive, to=TestDriveStatus.CANCELLED, reason=reason, now=now)


@transaction.atomic
def testdrive_no_show(*, actor: User, test_drive: TestDrive, reason: str, now: datetime | None = None) -> TestDrive:
    """The customer did not come: recorded with the reason once the drive was due."""
    return _close(actor=actor, test_drive=test_drive, to=TestDriveStatus.NO_SHOW, reason=reason, now=now)


# ---------------------------------------------------------------- preparation (4.2)


def _require_seller(actor, td: TestDrive) -> None:
    if not (user_can(actor, "sales.sell", td.store) and user_can(actor, "testdrives.book", td.store)):
        raise NotPermitted(_("Only sales staff of the store run test drives."))


@transaction.atomic
def preparation_save(
    *,
    actor: User,
    test_drive: TestDrive,
    clean: bool,
    energy_percent: Any,
    no_warning_lights: bool,
    equipment_present: bool,
    route: Route | None = None,
) -> TestDrive:
    """Record the vehicle checklist and the route (any time before the drive starts)."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    if td.status not in (TestDriveStatus.REQUESTED, TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED):
        raise TransitionRefused(_("The preparation can no longer be changed."), code="testdrive_prep_closed")
    errors: dict[str, list[str]] = {}
    energy = None
    if energy_percent not in (None, ""):
        try:
            energy = int(energy_percent)
        except (TypeError, ValueError):
            energy = -1
        if not 0 <= energy <= 100:
            errors["energy_percent"] = [_("Enter the fuel or charge level in percent (0–100).")]
    if route is not None and (route.store_id != td.store_id or not route.is_active):
        errors["route"] = [_("Choose one of the store's routes.")]
    if errors:
        raise ValidationError(errors)
    before = {
        "clean": td.prep_clean,
        "energy": td.prep_energy_percent,
        "no_warning_lights": td.prep_no_warning_lights,
        "equipment": td.prep_equipment,
        "route": td.route_id,
    }
    td.prep_clean, td.prep_energy_percent = bool(clean), energy
    td.prep_no_warning_lights, td.prep_equipment = bool(no_warning_lights), bool(equipment_present)
    if route is not None:
        td.route = route
    td.save()
    after = {
        "clean": td.prep_clean,
        "energy": td.prep_energy_percent,
        "no_warning_lights": td.prep_no_warning_lights,
        "equipment": td.prep_equipment,
        "route": td.route_id,
    }
    audit_record(
        actor=actor,
        action="testdrive.checklist_saved",
        target=td,
        diff={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return td


def checklist_missing(td: TestDrive) -> list[str]:
    """What is still missing before the booking can be `prepared` (translated, empty when complete)."""
    config = selectors.settings_for(td.store_id)
    missing = []
    if not td.prep_clean:
        missing.append(_("The car is not marked clean."))
    if td.prep_energy_percent is None or td.prep_energy_percent < config.min_energy_percent:
        missing.append(_("Fuel or charge must be at least %(percent)d%%.") % {"percent": config.min_energy_percent})
    if not td.prep_no_warning_lights:
        missing.append(_("Check that no warning lights are on."))
    if not td.prep_equipment:
        missing.append(_("Check that the equipment is present."))
    refusal = _car_refusal(td.demo_car, _local(td.store, td.start_at).date())
    if refusal:
        missing.append(refusal)
    if td.route_id is None:
        missing.append(_("Choose the route."))
    return missing


def licence_problem(licence: DriverLicence | None, td: TestDrive) -> str | None:
    """Why the licence does not allow this drive, or None."""
    if licence is None:
        return _("Record the customer's driver's licence.")
    day = _local(td.store, td.start_at).date()
    if licence.expires_on < day:
        return _("The driver's licence expires on %(date)s, before the drive.") % {
            "date": licence.expires_on.isoformat()
        }
    if PASSENGER_CAR_TRANSMISSION not in LICENCE_COVERS.get(licence.licence_class, frozenset()):
        return _("A %(cls)s licence does not allow driving this car.") % {"cls": licence.licence_class}
    return None


def mask_licence(number: str) -> str:
    """The licence number masked like an ID number (first 4 and last 4 shown)."""
    if not number:
        return ""
    if len(number) == 18:
        return v.mask_resident_id(number)
    return number[:4] + "*" * max(len(number) - 8, 1) + number[-4:] if len(number) > 8 else "*" * len(number)


LICENCE_TARGET = "testdrives.driverlicence"


def can_reveal_licence(user, licence: DriverLicence) -> bool:
    """The customer page's own rule: `customers.reveal` in the customer's store and the customer visible to the user
    (a consultant reveals for their own customers only), scoped to the licence's store."""
    return (
        user_can(user, "customers.reveal", licence.customer)
        and user_can(user, "customers.reveal", licence)
        and customer_visible_to(user).filter(pk=licence.customer_id).exists()
    )


@transaction.atomic
def licence_reveal(*, actor: User, licence: DriverLicence, reason: str = "") -> str:
    """The full licence number for a role allowed to reveal the customer's ID number; every reveal is written to
    the access log, like the customer's own reveal (customers.privacy.customer_reveal)."""
    if not can_reveal_licence(actor, licence):
        raise NotPermitted(_("Your role may not see this customer's full licence number."))
    if not licence.number:
        # erased with the customer (PIPL deletion): there is nothing left to show, and nothing to log
        raise TransitionRefused(_("The licence number has been erased."), code="licence_erased")
    access_record(
        actor=actor,
        kind="reveal",
        target_type=LICENCE_TARGET,
        target_id=str(licence.pk),
        store_id=licence.store_id,
        fields=["number"],
        reason=(reason or "")[:200],
    )
    return licence.number


def _clean_licence_number(value: str) -> str:
    """A Chinese driving licence number is the holder's resident ID number (18 characters)."""
    return v.normalize_resident_id(value or "")


@transaction.atomic
def licence_record(
    *,
    actor: User,
    test_drive: TestDrive,
    number: str,
    licence_class: str,
    expires_on: Any,
) -> DriverLicence:
    """Record the customer's driver's licence for this drive: needs the customer's licence-capture consent; the
    number is encrypted and blind-indexed; the class must allow the car and the licence be valid on the day."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    if td.status not in (TestDriveStatus.REQUESTED, TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED):
        raise TransitionRefused(_("The licence can no longer be changed for this drive."), code="testdrive_prep_closed")
    if not Consent.objects.filter(
        customer_id=td.customer_id, purpose=ConsentPurpose.LICENCE_CAPTURE, withdrawn_at__isnull=True
    ).exists():
        raise DomainError(
            _("The customer has not agreed to their driver's licence being recorded. Record the consent first."),
            code="no_licence_consent",
            field="number",
        )
    errors: dict[str, list[str]] = {}
    try:
        clean_number = _clean_licence_number(number)
    except ValidationError:
        clean_number = ""
        errors["number"] = [_("Enter the licence number (the holder's 18-character ID number).")]
    if licence_class not in LicenceClass.values:
        errors["licence_class"] = [_("Choose the licence class, e.g. C1 or C2.")]
    elif PASSENGER_CAR_TRANSMISSION not in LICENCE_COVERS[licence_class]:
        errors["licence_class"] = [_("A %(cls)s licence does not allow driving this car.") % {"cls": licence_class}]
    if isinstance(expires_on, str):
        try:
            expires_on = date.fromisoformat(expires_on.strip())
        except ValueError:
            expires_on = None
    if not isinstance(expires_on, date):
        errors["expires_on"] = [_("Enter the date the licence is valid until.")]
    elif expires_on < _local(td.store, td.start_at).date():
        errors["expires_on"] = [
            _("The licence expires on %(date)s, before the drive; it cannot be used.")
            % {"date": expires_on.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    licence = DriverLicence.objects.create(
        store_id=td.store_id,
        customer_id=td.customer_id,
        number=clean_number,
        number_index=blind_index(clean_number, purpose=LICENCE_PURPOSE),
        licence_class=licence_class,
        expires_on=expires_on,
        recorded_by=actor,
    )
    td.licence = licence
    td.save(update_fields=["licence", "updated_at"])
    audit_record(
        actor=actor,
        action="testdrive.licence_recorded",
        target=td,
        diff={"number": ["***", "***"], "licence_class": [None, licence_class], "expires_on": [None, str(expires_on)]},
    )
    return licence


@transaction.atomic
def testdrive_prepare(*, actor: User, test_drive: TestDrive) -> TestDrive:
    """Mark the booking prepared: refused until the checklist is complete and the licence is valid."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    _move(td, TestDriveStatus.PREPARED)
    missing = checklist_missing(td)
    problem = licence_problem(td.licence, td)
    if problem:
        missing.append(problem)
    if missing:
        raise TransitionRefused(
            _("The test drive cannot be prepared yet: %(missing)s") % {"missing": " ".join(missing)},
            code="testdrive_not_ready",
            extra={"missing": missing},
        )
    before = td.status
    td.status, td.prepared_at = TestDriveStatus.PREPARED, timezone.now()
    td.save(update_fields=["status", "prepared_at", "updated_at"])
    audit_record(actor=actor, action="testdrive.prepared", target=td, diff={"status": [before, td.status]})
    return td


# ---------------------------------------------------------------- agreement


def agreement_text(td: TestDrive) -> str:
    """The store's template filled in for this booking."""
    config = selectors.settings_for(td.store)
    values = {
        "store": td.store.name,
        "customer": td.customer.name,
        "vehicle": str(td.trim),
        "plate": td.demo_car.plate,
        "start": _fmt(td.store, td.start_at),
        "end": _fmt(td.store, td.end_at),
        "route": str(td.route) if td.route else "",
    }
    text = config.agreement_template
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@transaction.atomic
def agreement_generate(*, actor: User, test_drive: TestDrive) -> TestDriveAgreement:
    """Generate (or regenerate, while not accepted) the agreement PDF from the store's template."""
    from .pdf import agreement_pdf

    td = _lock(test_drive)
    _require_seller(actor, td)
    if td.status not in (TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED):
        raise TransitionRefused(
            _("The agreement is made once the booking is confirmed and before the drive."),
            code="agreement_not_now",
        )
    existing = TestDriveAgreement.objects.select_for_update().filter(test_drive=td).first()
    if existing is not None and existing.accepted_at:
        raise TransitionRefused(_("The customer has already accepted the agreement."), code="agreement_accepted")
    text = agreement_text(td)
    pdf = agreement_pdf(td, text)
    agreement = existing or TestDriveAgreement(test_drive=td, store_id=td.store_id, customer_id=td.customer_id)
    agreement.text, agreement.pdf, agreement.sha256 = text, pdf, hashlib.sha256(pdf).hexdigest()
    agreement.generated_at = timezone.now()
    agreement.save()
    audit_record(
        actor=actor, action="testdrive.agreement_generated", target=td, diff={"sha256": [None, agreement.sha256]}
    )
    return agreement


def _signature_png(data_url: str) -> bytes | None:
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ValidationError({"signature": [_("The signature must be a PNG drawing.")]})
    try:
        png = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": [_("The signature must be a PNG drawing.")]}) from None
    if not png.startswith(PNG_MAGIC):
        raise ValidationError({"signature": [_("The signature must be a PNG drawing.")]})
    if len(png) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": [_("The signature drawing is too large.")]})
    return png


@transaction.atomic
def agreement_accept(
    *, actor: User, test_drive: TestDrive, typed_name: str, signature: str = "", now: datetime | None = None
) -> TestDriveAgreement:
    """The customer accepts the agreement by typing their name (and optionally drawing a signature); the final PDF
    with the acceptance is stored with its SHA-256."""
    from .pdf import agreement_pdf

    td = _lock(test_drive)
    _require_seller(actor, td)
    agreement = TestDriveAgreement.objects.select_for_update().filter(test_drive=td).first()
    if agreement is None:
        raise TransitionRefused(_("Generate the agreement first."), code="agreement_missing")
    if agreement.accepted_at:
        raise TransitionRefused(_("The customer has already accepted the agreement."), code="agreement_accepted")
    if td.status not in (TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED):
        raise TransitionRefused(_("The agreement can no longer be accepted."), code="agreement_not_now")
    name = " ".join((typed_name or "").split())
    if not name:
        raise ValidationError({"typed_name": [_("The customer types their full name to accept.")]})
    if name.replace(" ", "").casefold() != td.customer.name.replace(" ", "").casefold():
        raise ValidationError(
            {
                "typed_name": [
                    _("The typed name must be the customer's name as registered (%(name)s).")
                    % {"name": td.customer.name}
                ]
            }
        )
    png = _signature_png(signature)
    now = now or timezone.now()
    agreement.accepted_name, agreement.accepted_at = name, now
    agreement.signature_png, agreement.witnessed_by = png, actor
    pdf = agreement_pdf(td, agreement.text, accepted_name=name, accepted_at=now, signature_png=png)
    agreement.pdf, agreement.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    agreement.save()
    audit_record(
        actor=actor,
        action="testdrive.agreement_accepted",
        target=td,
        diff={
            "accepted_at": [None, _fmt(td.store, now)],
            "sha256": [None, agreement.sha256],
            "signature": [None, bool(png)],
        },
    )
    return agreement


# ---------------------------------------------------------------- the drive (4.3)


def _clean_odometer(value: Any, field: str, errors: dict) -> int | None:
    try:
        km = int(value)
    except (TypeError, ValueError):
        errors[field] = [_("Enter the odometer reading in km.")]
        return None
    if not 0 <= km <= MAX_ODOMETER:
        errors[field] = [_("Enter the odometer reading in km.")]
        return None
    return km


def start_refusal(td: TestDrive, now: datetime | None = None) -> str | None:
    """Why the drive cannot start now for its time (another local day, too early, after the slot), or None."""
    now = now or timezone.now()
    store = td.store
    start, end = _local(store, td.start_at), _local(store, td.end_at)
    here = _local(store, now)
    earliest = start - timedelta(minutes=START_EARLY_MINUTES)
    if here.date() == start.date() and earliest <= here <= end:
        return None
    return _(
        "This test drive is booked for %(start)s–%(end)s; it can start from %(from)s until %(until)s on that day. "
        "Reschedule it to the time the customer drives first."
    ) % {
        "start": start.strftime("%Y-%m-%d %H:%M"),
        "end": end.strftime("%H:%M"),
        "from": max(earliest, start.replace(hour=0, minute=0)).strftime("%H:%M"),
        "until": end.strftime("%H:%M"),
    }


def complete_refusal(td: TestDrive, now: datetime | None = None) -> str | None:
    """Why the drive cannot be completed yet (shorter than MIN_DRIVE_MINUTES since it started), or None."""
    if td.started_at is None:
        return None
    earliest = td.started_at + timedelta(minutes=MIN_DRIVE_MINUTES)
    if (now or timezone.now()) >= earliest:
        return None
    return _(
        "The drive started at %(started)s; a test drive lasts at least %(minutes)d minutes, so it can be completed "
        "from %(earliest)s."
    ) % {
        "started": _local(td.store, td.started_at).strftime("%H:%M"),
        "minutes": MIN_DRIVE_MINUTES,
        "earliest": _local(td.store, earliest).strftime("%H:%M"),
    }


@transaction.atomic
def testdrive_start(
    *,
    actor: User,
    test_drive: TestDrive,
    odometer_out: Any,
    first_driver: str,
    briefing: list[str],
    precautions_acknowledged: bool,
    now: datetime | None = None,
) -> TestDrive:
    """Start the drive: refused without the accepted agreement, the full briefing and the precautions."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    _move(td, TestDriveStatus.IN_PROGRESS)
    now = now or timezone.now()
    if refusal := start_refusal(td, now):
        raise TransitionRefused(refusal, code="testdrive_outside_slot")
    agreement = TestDriveAgreement.objects.filter(test_drive=td).only("accepted_at").first()
    if agreement is None or agreement.accepted_at is None:
        raise TransitionRefused(
            _("The customer must accept the test-drive agreement before the drive starts."),
            code="agreement_not_accepted",
        )
    errors: dict[str, list[str]] = {}
    km = _clean_odometer(odometer_out, "odometer_out", errors)
    car = StockVehicle.objects.select_for_update().get(pk=td.demo_car_id)
    if km is not None and km < car.odometer_km:
        errors["odometer_out"] = [
            _("The odometer cannot be below the car's last reading (%(km)d km).") % {"km": car.odometer_km}
        ]
    elif km is not None and (jump := odometer_jump_refusal(actor, car, km)):
        errors["odometer_out"] = [jump]
    if first_driver not in FirstDriver.values:
        errors["first_driver"] = [_("Say who drives first.")]
    missing = [item for item in BriefingItem.values if item not in set(briefing or [])]
    if missing:
        errors["briefing"] = [
            _("Complete the briefing: %(items)s.") % {"items": ", ".join(str(BriefingItem(m).label) for m in missing)}
        ]
    if not precautions_acknowledged:
        errors["precautions_acknowledged"] = [_("The customer must acknowledge the safety precautions.")]
    if errors:
        raise ValidationError(errors)
    before = td.status
    td.status, td.started_at = TestDriveStatus.IN_PROGRESS, now
    td.odometer_out, td.first_driver = km, first_driver
    td.briefing, td.precautions_acknowledged = list(BriefingItem.values), True
    td.save()
    audit_record(
        actor=actor,
        action="testdrive.started",
        target=td,
        diff={"status": [before, td.status], "odometer_out": [None, km], "first_driver": [None, first_driver]},
    )
    return td


def _odometer_record(*, actor, car: StockVehicle, km: int, source: str, td: TestDrive | None) -> None:
    OdometerReading.objects.create(
        store_id=car.store_id, vehicle=car, km=km, source=source, test_drive=td, recorded_by=actor
    )
    if km > car.odometer_km:
        before = car.odometer_km
        car.odometer_km = km
        car.save(update_fields=["odometer_km", "updated_at"])
        audit_record(actor=actor, action="demo_car.odometer_recorded", target=car, diff={"odometer_km": [before, km]})


@transaction.atomic
def testdrive_complete(
    *, actor: User, test_drive: TestDrive, odometer_in: Any, incident: str = "", now: datetime | None = None
) -> TestDrive:
    """End the drive with the odometer in (never below out) and any incident; the car's odometer moves on."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    _move(td, TestDriveStatus.COMPLETED)
    now = now or timezone.now()
    if refusal := complete_refusal(td, now):
        raise TransitionRefused(refusal, code="testdrive_too_short")
    errors: dict[str, list[str]] = {}
    km = _clean_odometer(odometer_in, "odometer_in", errors)
    if km is not None and td.odometer_out is not None and km < td.odometer_out:
        errors["odometer_in"] = [
            _("The odometer in (%(in)d km) cannot be below the odometer out (%(out)d km).")
            % {"in": km, "out": td.odometer_out}
        ]
    elif km is not None and td.odometer_out is not None and km - td.odometer_out > DRIVE_MAX_KM:
        errors["odometer_in"] = [
            _(
                "A test drive of %(distance)d km is not plausible (at most %(limit)d km): check the odometer in "
                "(%(in)d km) against the odometer out (%(out)d km)."
            )
            % {"distance": km - td.odometer_out, "limit": DRIVE_MAX_KM, "in": km, "out": td.odometer_out}
        ]
    if errors:
        raise ValidationError(errors)
    before = td.status
    td.status, td.ended_at, td.odometer_in = TestDriveStatus.COMPLETED, now, km
    td.incident = (incident or "").strip()[:300]
    td.save()
    car = StockVehicle.objects.select_for_update().get(pk=td.demo_car_id)
    _odometer_record(actor=actor, car=car, km=km, source=OdometerSource.TEST_DRIVE, td=td)
    audit_record(
        actor=actor,
        action="testdrive.completed",
        target=td,
        diff={
            "status": [before, td.status],
            "odometer_in": [None, km],
            "distance_km": [None, td.distance_km],
            "incident": [None, td.incident or None],
        },
    )
    return td


# ---------------------------------------------------------------- after the drive (4.4)


def flag_bookings_of_car(*, actor, car: StockVehicle, reason: str, now: datetime | None = None) -> int:
    """Flag the car's coming active bookings (it went to maintenance or was retired) and tell their consultants."""
    now = now or timezone.now()
    ids = list(
        TestDrive.objects.select_for_update()
        .filter(demo_car=car, status__in=ACTIVE_STATUSES[:3], end_at__gt=now)
        .values_list("pk", flat=True)
    )
    rows = list(TestDrive.objects.filter(pk__in=ids).select_related("store", "customer", "consultant").order_by("pk"))
    for td in rows:
        td.needs_attention = reason[:200]
        td.save(update_fields=["needs_attention", "updated_at"])
        audit_record(actor=actor, action="testdrive.flagged", target=td, diff={"needs_attention": [None, reason[:200]]})
        if td.consultant_id:
            notification_queue(
                channel="in_app",
                recipient_user=td.consultant,
                store=td.store,
                subject=_("Reschedule test drive %(number)s: the demo car is unavailable") % {"number": td.number},
                body=f"/test-drives/{td.pk}/",
                kind="testdrive.flagged",
            )
    return len(rows)


@transaction.atomic
def testdrive_check_after(
    *,
    actor: User,
    test_drive: TestDrive,
    damage: bool,
    damage_notes: str = "",
    energy_percent: Any = None,
    clean: bool = False,
    equipment_returned: bool = False,
) -> TestDrive:
    """The vehicle check after the drive; a damaged car goes to maintenance and its next bookings are flagged."""
    from . import fleet

    td = _lock(test_drive)
    _require_seller(actor, td)
    if td.status != TestDriveStatus.COMPLETED:
        raise TransitionRefused(_("The check is done after the drive is completed."), code="testdrive_not_completed")
    if td.checked_at:
        raise TransitionRefused(_("The car was already checked after this drive."), code="testdrive_checked")
    errors: dict[str, list[str]] = {}
    try:
        energy = int(energy_percent)
        if not 0 <= energy <= 100:
            raise ValueError
    except (TypeError, ValueError):
        energy = None
        errors["energy_percent"] = [_("Enter the fuel or charge level in percent (0–100).")]
    if damage and not (damage_notes or "").strip():
        errors["damage_notes"] = [_("Describe the damage.")]
    if errors:
        raise ValidationError(errors)
    td.checked_at = timezone.now()
    td.return_damage, td.return_damage_notes = bool(damage), (damage_notes or "").strip()[:300]
    td.return_energy_percent, td.return_clean, td.return_equipment = energy, bool(clean), bool(equipment_returned)
    td.save()
    audit_record(
        actor=actor,
        action="testdrive.checked",
        target=td,
        diff={
            "damage": [None, td.return_damage],
            "energy_percent": [None, energy],
            "clean": [None, td.return_clean],
            "equipment_returned": [None, td.return_equipment],
        },
    )
    if td.return_damage:
        fleet.demo_car_to_maintenance_after_damage(actor=actor, car=td.demo_car, test_drive=td)
    return td


def _clean_rating(value: Any, field: str, errors: dict) -> int | None:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        errors[field] = [_("Give a rating from 1 to 5.")]
        return None
    return rating


def _feedback(td: TestDrive, *, actor, drive_rating, consultant_rating, comment, channel) -> TestDrive:
    if td.status != TestDriveStatus.COMPLETED:
        raise TransitionRefused(_("Feedback is given after the drive."), code="testdrive_not_completed")
    if td.feedback_at:
        raise TransitionRefused(_("Thank you, the feedback was already received."), code="feedback_given")
    errors: dict[str, list[str]] = {}
    drive = _clean_rating(drive_rating, "drive_rating", errors)
    cons = _clean_rating(consultant_rating, "consultant_rating", errors)
    if errors:
        raise ValidationError(errors)
    td.drive_rating, td.consultant_rating = drive, cons
    td.feedback_comment, td.feedback_channel = (comment or "").strip()[:500], channel
    td.feedback_at = timezone.now()
    td.save(
        update_fields=[
            "drive_rating",
            "consultant_rating",
            "feedback_comment",
            "feedback_channel",
            "feedback_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="testdrive.feedback_received",
        target=td,
        diff={
            "drive_rating": [None, drive],
            "consultant_rating": [None, cons],
            # the customer's own words stay on the booking only, where erasure can blank them: the append-only
            # audit trail records that a comment was given and its length, never its text
            "comment": [None, "(given)" if td.feedback_comment else None],
            "comment_length": [None, len(td.feedback_comment)],
            "channel": [None, channel],
        },
    )
    return td


@transaction.atomic
def feedback_record(
    *, actor: User, test_drive: TestDrive, drive_rating: Any, consultant_rating: Any, comment: str = ""
) -> TestDrive:
    """The customer's ratings (1–5) of the drive and the consultant, given at the desk."""
    td = _lock(test_drive)
    _require(actor, "testdrives.book", td.store)
    return _feedback(
        td,
        actor=actor,
        drive_rating=drive_rating,
        consultant_rating=consultant_rating,
        comment=comment,
        channel=FeedbackChannel.DESK,
    )


@transaction.atomic
def feedback_from_link(*, token: str, drive_rating: Any, consultant_rating: Any, comment: str = "") -> TestDrive:
    """The customer's ratings through the signed link sent by message (no login)."""
    pk = read_token(token, FEEDBACK_SALT)
    td = TestDrive.objects.filter(pk=pk).first() if pk else None
    if td is None:
        raise DomainError(_("This feedback link is not valid or has expired."), code="bad_token")
    td = _lock(td)
    return _feedback(
        td,
        actor=None,
        drive_rating=drive_rating,
        consultant_rating=consultant_rating,
        comment=comment,
        channel=FeedbackChannel.LINK,
    )


@transaction.atomic
def feedback_request_send(*, actor: User, test_drive: TestDrive) -> str:
    """Send the customer the feedback link by message; returns the link."""
    td = _lock(test_drive)
    _require(actor, "testdrives.book", td.store)
    if td.status != TestDriveStatus.COMPLETED:
        raise TransitionRefused(_("Feedback is given after the drive."), code="testdrive_not_completed")
    link = public_url(f"/test-drives/feedback/{feedback_token(td)}/")
    _customer_message(
        td,
        _("How was your test drive?"),
        _("Thank you for driving the %(vehicle)s at %(store)s. Please rate your drive: %(link)s")
        % {"vehicle": str(td.trim), "store": td.store.name, "link": link},
        "testdrive.feedback_requested",
    )
    audit_record(actor=actor, action="testdrive.feedback_requested", target=td)
    return link


@transaction.atomic
def debrief_record(
    *, actor: User, test_drive: TestDrive, impression: str, next_step: str, grade: str = ""
) -> TestDrive:
    """The consultant's impressions and next step; a follow-up is planned for the next day (10:00 store time) and
    the intent grade may be updated."""
    td = _lock(test_drive)
    _require_seller(actor, td)
    if td.status != TestDriveStatus.COMPLETED:
        raise TransitionRefused(_("The debrief is written after the drive."), code="testdrive_not_completed")
    if td.debriefed_at:
        raise TransitionRefused(_("The debrief was already recorded."), code="testdrive_debriefed")
    errors: dict[str, list[str]] = {}
    if not (impression or "").strip():
        errors["impression"] = [_("Write down your impressions of the drive.")]
    if not (next_step or "").strip():
        errors["next_step"] = [_("Say what the next step is.")]
    if errors:
        raise ValidationError(errors)
    td.impression, td.next_step = impression.strip()[:500], next_step.strip()[:200]
    td.debriefed_at = timezone.now()
    td.save(update_fields=["impression", "next_step", "debriefed_at", "updated_at"])
    customer = td.customer
    if grade and grade != customer.intent_grade:
        customer = customer_services.customer_set_grade(actor=actor, customer=customer, grade=grade)
    tomorrow = selectors.local_today(td.store) + timedelta(days=1)
    due = datetime.combine(tomorrow, datetime.min.time().replace(hour=10), tzinfo=td.store.tz)
    customer_services.followup_schedule(
        actor=actor,
        customer=customer,
        due_at=due,
        purpose=FollowUpPurpose.AFTER_TEST_DRIVE,
        notes=td.next_step,
    )
    audit_record(
        actor=actor,
        action="testdrive.debriefed",
        target=td,
        diff={"next_step": [None, td.next_step], "grade": [None, grade or None]},
    )
    return td


# ---------------------------------------------------------------- the public booking page


def _public_lead(store: Store, name: str, mobile: str, now: datetime) -> Customer:
    """The customer of this mobile in the store, or a new lead registered by the booking page itself."""
    return customer_services.customer_register_lead(
        store=store, name=name, mobile=mobile, source=Source.WEBSITE, now=now
    )


@transaction.atomic
def public_book(
    *,
    store: Store,
    series: Series | None,
    start: Any,
    name: str,
    mobile: str,
    notice_accepted: bool,
    now: datetime | None = None,
) -> TestDrive:
    """A booking from the store's public page (no login): a `requested` drive of a series for staff to confirm;
    a new mobile becomes a lead of the store."""
    now = now or timezone.now()
    config = selectors.settings_for(store)
    errors: dict[str, list[str]] = {}
    if not store.is_active or not config.public_booking_enabled:
        raise DomainError(_("This store does not take bookings online."), code="booking_closed")
    if series is None:
        errors["series"] = [_("Choose the model you want to drive.")]
    if not (name or "").strip():
        errors["name"] = [_("Enter your name.")]
    try:
        v.normalize_mobile(mobile or "")
    except ValidationError:
        errors["mobile"] = [_("Enter a valid mainland China mobile number.")]
    if not notice_accepted:
        errors["notice"] = [_("Please accept the notice to book.")]
    if errors:
        raise ValidationError(errors)
    customer = _public_lead(store, name.strip()[:60], mobile, now)
    # The customer's own consultant takes the drive only if free then; the consultant's schedule must never turn a
    # public booking down, or the answer would tell a stranger that the mobile belongs to a known customer.
    td = testdrive_book(
        actor=None,
        store=store,
        customer=customer,
        start=start,
        series=series,
        consultant_if_free=customer.owner if customer.owner_id else None,
        channel=Channel.ONLINE,
        now=now,
    )
    return td


# ---------------------------------------------------------------- periodic


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Remind customers of their confirmed drive the day before (from the store's reminder hour). Idempotent."""
    now = now or timezone.now()
    horizon = now + timedelta(days=2)
    sent = 0
    ids = TestDrive.objects.filter(
        status__in=[TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED],
        reminder_sent_at__isnull=True,
        start_at__gt=now,
        start_at__lt=horizon,
    ).values_list("pk", flat=True)
    for pk in list(ids[:500]):
        with transaction.atomic():
            td = _lock(TestDrive(pk=pk))
            if td.reminder_sent_at or td.status not in (TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED):
                continue
            config = selectors.settings_for(td.store)
            day_before = _local(td.store, td.start_at).date() - timedelta(days=1)
            due = datetime.combine(
                day_before, datetime.min.time().replace(hour=config.reminder_hour), tzinfo=td.store.tz
            )
            if now < due:
                continue
            _customer_message(
                td,
                _("Reminder: your test drive tomorrow"),
                _(
                    "Reminder: your test drive of the %(vehicle)s is at %(start)s at %(store)s. Please bring your "
                    "driver's licence."
                )
                % {"vehicle": str(td.trim), "start": _fmt(td.store, td.start_at), "store": td.store.name},
                "testdrive.reminder",
            )
            td.reminder_sent_at = now
            td.save(update_fields=["reminder_sent_at", "updated_at"])
            audit_record(actor=None, action="testdrive.reminded", target=td)
            sent += 1
    return sent


# ---------------------------------------------------------------- store settings and routes

SETTINGS_FIELDS = (
    "slot_minutes",
    "buffer_minutes",
    "max_minutes",
    "min_energy_percent",
    "reminder_hour",
    "agreement_template",
    "public_notice",
    "public_booking_enabled",
)


def _int_in(values: dict, field: str, low: int, high: int, errors: dict, message: str) -> int | None:
    try:
        number = int(values.get(field))
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[field] = [message]
        return None
    return number


@transaction.atomic
def testdrive_settings_update(*, actor: User, store: Store, **values: Any):
    """Change the store's test-drive rules (store administrators and fleet managers)."""
    from .models import TestDriveSettings

    if not (user_can(actor, "store.manage", store) or user_can(actor, "fleet.manage", store)):
        raise NotPermitted(_("Only a sales manager or store administrator changes the test-drive rules."))
    config, _created = TestDriveSettings.objects.select_for_update().get_or_create(store=store)
    merged = {k: getattr(config, k) for k in SETTINGS_FIELDS}
    merged.update({k: v for k, v in values.items() if k in SETTINGS_FIELDS})
    errors: dict[str, list[str]] = {}
    clean = {
        "slot_minutes": _int_in(merged, "slot_minutes", 15, 240, errors, _("A slot lasts 15 to 240 minutes.")),
        "buffer_minutes": _int_in(merged, "buffer_minutes", 0, 120, errors, _("The buffer is 0 to 120 minutes.")),
        "max_minutes": _int_in(merged, "max_minutes", 15, 480, errors, _("A drive lasts at most 15 to 480 minutes.")),
        "min_energy_percent": _int_in(
            merged, "min_energy_percent", 0, 100, errors, _("The threshold is a percentage (0–100).")
        ),
        "reminder_hour": _int_in(merged, "reminder_hour", 0, 23, errors, _("Give an hour from 0 to 23.")),
        "agreement_template": str(merged.get("agreement_template") or "").strip(),
        "public_notice": str(merged.get("public_notice") or "").strip(),
        "public_booking_enabled": bool(merged.get("public_booking_enabled")),
    }
    if not clean["agreement_template"]:
        errors["agreement_template"] = [_("The agreement needs a text.")]
    if not clean["public_notice"]:
        errors["public_notice"] = [_("The public page needs its notice.")]
    if "slot_minutes" not in errors and "max_minutes" not in errors and clean["max_minutes"] < clean["slot_minutes"]:
        errors["max_minutes"] = [_("The longest drive cannot be shorter than one slot.")]
    if errors:
        raise ValidationError(errors)
    before = {k: getattr(config, k) for k in SETTINGS_FIELDS}
    for name, value in clean.items():
        setattr(config, name, value)
    config.updated_by = actor
    config.save()
    changes = {
        k: [before[k], clean[k]] if k not in ("agreement_template", "public_notice") else ["…", "…"]
        for k in SETTINGS_FIELDS
        if before[k] != clean[k]
    }
    if changes:
        audit_record(actor=actor, action="testdrive_settings.updated", target=config, store_id=store.pk, diff=changes)
    return config


@transaction.atomic
def route_save(
    *,
    actor: User,
    store: Store,
    name: str,
    distance_km: Any,
    duration_minutes: Any,
    description: str = "",
    route: Route | None = None,
    is_active: bool = True,
) -> Route:
    """Add or change one of the store's test-drive routes."""
    from decimal import Decimal, InvalidOperation

    if not user_can(actor, "fleet.manage", store):
        raise NotPermitted(_("Only a sales manager or store administrator manages the routes."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the route a name.")]
    try:
        distance = Decimal(str(distance_km)).quantize(Decimal("0.1"))
        if not Decimal("0") < distance < Decimal("1000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        distance = None
        errors["distance_km"] = [_("Give the distance in km, e.g. 8.5.")]
    minutes = _int_in({"m": duration_minutes}, "m", 5, 240, errors, _("Give the expected duration (5–240 minutes)."))
    if "m" in errors:
        errors["duration_minutes"] = errors.pop("m")
    duplicate = Route.objects.filter(store=store, name=name).exclude(pk=route.pk if route else None)
    if name and duplicate.exists():
        errors["name"] = [_("The store already has a route with this name.")]
    if errors:
        raise ValidationError(errors)
    if route is not None and route.store_id != store.pk:
        raise NotPermitted()
    row = route or Route(store=store)
    before = {"name": row.name, "distance_km": str(row.distance_km) if row.pk else None}
    row.name, row.distance_km, row.duration_minutes = name, distance, minutes
    row.description, row.is_active = (description or "").strip()[:300], bool(is_active)
    row.save()
    audit_record(
        actor=actor,
        action="route.saved",
        target=row,
        store_id=store.pk,
        diff={"name": [before["name"] or None, name], "distance_km": [before["distance_km"], str(distance)]},
    )
    return row
