"""Demo test drives for `dealerdesk demo_data`: each demo store gets its settings, two routes, and bookings in every
status today and over the coming week, walked through the services (a drive done this morning with its licence,
signed agreement, check and feedback; one driving now; prepared, confirmed and requested ones; a no-show and a
cancellation). Idempotent: a store that already has test drives is left alone."""

import datetime

from django.db import transaction
from stdnum.cn import ric

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.customers.choices import ConsentPurpose
from dealerdesk.customers.models import Customer
from dealerdesk.customers.services import consent_grant

from . import selectors, services
from .choices import BriefingItem
from .models import Route, TestDrive, TestDriveSettings

DEMO_STORES = ("sz-futian", "gz-tianhe")
ROUTES = (
    ("城市环线", "门店出发，经主干道与快速路返回，体验加速与辅助驾驶", "12.5", 30),
    ("综合路况", "含减速带、弯道与地库坡道，体验底盘与泊车", "8.0", 25),
)


def load(stdout=None) -> int:
    """Create the demo settings, routes and bookings that are missing; returns how many bookings were created."""
    created = 0
    for index, store in enumerate(Store.objects.filter(code__in=DEMO_STORES).order_by("code")):
        created += _store(store, index)
    if stdout:
        stdout.write(f"demo test drives: {created} new" if created else "demo test drives: already loaded")
    return created


def _user(store: Store, role: str):
    m = Membership.objects.filter(store=store, role=role, is_active=True).select_related("user").order_by("id").first()
    return m.user if m else None


def _licence_number(store_index: int, n: int) -> str:
    body = f"4403041990{store_index + 1:02d}{n % 28 + 1:02d}{n % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 of an 18-character number


def _at(store: Store, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=store.tz)


def _store(store: Store, index: int) -> int:
    if TestDrive.objects.filter(store=store).exists():
        return 0
    consultant, manager = _user(store, "consultant"), _user(store, "sales_manager")
    cars = list(selectors.bookable_cars(store, day=selectors.local_today(store) + datetime.timedelta(days=7)))
    customers = list(
        Customer.objects.filter(store=store, merged_into__isnull=True, erased_at__isnull=True, owner=consultant)
        .exclude(mobile="")
        .order_by("id")[:12]
    )
    if consultant is None or manager is None or len(cars) < 3 or len(customers) < 10:
        return 0
    with transaction.atomic():
        TestDriveSettings.objects.get_or_create(store=store)
        routes = [
            Route.objects.get_or_create(
                store=store, name=name, defaults={"description": text, "distance_km": km, "duration_minutes": minutes}
            )[0]
            for name, text, km, minutes in ROUTES
        ]
    today = selectors.local_today(store)
    hours = selectors.opening_hours_on(store, today)
    if hours is None:
        return 0
    early = hours[0] - datetime.timedelta(hours=1)
    a, b, c = cars[:3]
    created = 0

    def book(customer, car, day, hour, consultant_=None, minute=0, minutes=60, channel="phone"):
        nonlocal created
        start = _at(store, day, hour, minute)
        td = services.testdrive_book(
            actor=consultant,
            store=store,
            customer=customer,
            demo_car=car,
            start=start,
            end=start + datetime.timedelta(minutes=minutes),
            consultant=consultant_,
            route=routes[created % 2],
            channel=channel,
            now=min(early, start - datetime.timedelta(hours=1)),
        )
        created += 1
        return td

    def prepared(td, n):
        td = services.testdrive_confirm(actor=consultant, test_drive=td, consultant=td.consultant or consultant)
        services.preparation_save(
            actor=consultant,
            test_drive=td,
            clean=True,
            energy_percent=85,
            no_warning_lights=True,
            equipment_present=True,
            route=td.route,
        )
        consent_grant(
            actor=manager,
            customer=td.customer,
            purpose=ConsentPurpose.LICENCE_CAPTURE,
            channel="in_person",
            notice_version="2026-01",
        )
        services.licence_record(
            actor=consultant,
            test_drive=td,
            number=_licence_number(index, n),
            licence_class="C1" if n % 2 else "C2",
            expires_on=today + datetime.timedelta(days=1500),
        )
        return services.testdrive_prepare(actor=consultant, test_drive=td)

    def started(td, n):
        td = prepared(td, n)
        services.agreement_generate(actor=consultant, test_drive=td)
        services.agreement_accept(
            actor=consultant,
            test_drive=td,
            typed_name=td.customer.name,
            now=td.start_at - datetime.timedelta(minutes=5),
        )
        return services.testdrive_start(
            actor=consultant,
            test_drive=td,
            odometer_out=td.demo_car.odometer_km,
            first_driver="customer",
            briefing=list(BriefingItem.values),
            precautions_acknowledged=True,
            now=td.start_at + datetime.timedelta(minutes=3),
        )

    h0 = hours[0].hour
    # done this morning: the whole story
    td = started(book(customers[0], a, today, h0, consultant), 0)
    td = services.testdrive_complete(
        actor=consultant, test_drive=td, odometer_in=td.odometer_out + 14, now=td.end_at - datetime.timedelta(minutes=5)
    )
    services.testdrive_check_after(
        actor=consultant, test_drive=td, damage=False, energy_percent=70, clean=True, equipment_returned=True
    )
    services.feedback_record(
        actor=consultant, test_drive=td, drive_rating=5, consultant_rating=5, comment="加速很顺，辅助驾驶好用"
    )
    services.debrief_record(
        actor=consultant, test_drive=td, impression="对续航和空间满意", next_step="明天发报价", grade="H"
    )
    # a no-show this morning (with the manager), one driving now, prepared, confirmed for later today
    no_show = services.testdrive_confirm(
        actor=manager, test_drive=book(customers[1], c, today, h0, manager), consultant=manager
    )
    services.testdrive_no_show(
        actor=manager,
        test_drive=no_show,
        reason="电话未接通，客户未到店",
        now=no_show.start_at + datetime.timedelta(minutes=30),
    )
    started(book(customers[2], b, today, h0 + 2, consultant), 2)
    prepared(book(customers[3], a, today, h0 + 5, consultant), 3)
    services.testdrive_confirm(actor=consultant, test_drive=book(customers[4], b, today, h0 + 7, consultant))
    # tomorrow: a requested booking from the public page and a cancelled one
    tomorrow = today + datetime.timedelta(days=1)
    td = services.public_book(
        store=store,
        series=a.trim.series,
        start=_at(store, tomorrow, h0 + 1),
        name=customers[5].name,
        mobile=customers[5].mobile,
        notice_accepted=True,
        now=min(early, _at(store, tomorrow, h0)),
    )
    created += 1
    services.testdrive_cancel(
        actor=consultant, test_drive=book(customers[6], b, tomorrow, h0 + 2, consultant), reason="客户临时出差"
    )
    # the coming week
    for offset, customer in zip(range(2, 7), customers[7:12], strict=False):
        day = today + datetime.timedelta(days=offset)
        if selectors.opening_hours_on(store, day) is None:
            continue
        confirmed = book(customer, [a, b, c][offset % 3], day, h0 + 1 + offset % 4, consultant, channel="wechat")
        services.testdrive_confirm(actor=consultant, test_drive=confirmed)
    return created
