"""Builders shared by the test-drive tests: a slot in store time, a booked drive, a drive walked to any status."""

import datetime

from django.utils import timezone

from dealerdesk.customers.choices import ConsentPurpose
from dealerdesk.customers.models import Consent
from dealerdesk.testdrives import services
from dealerdesk.testdrives.choices import BriefingItem
from dealerdesk.testdrives.models import Route

VALID_LICENCE = "11010519491231002X"


def at(store, days: int = 1, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """An aware time `days` days from today at hour:minute in the store's time zone."""
    day = timezone.localdate(timezone.now(), store.tz) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=store.tz)


def route(store, name: str = "城市环线") -> Route:
    return Route.objects.create(store=store, name=name, distance_km="8.5", duration_minutes=30)


def book(actor, store, customer, car, *, days=1, hour=10, minutes=60, consultant=None, **kw):
    start = at(store, days, hour)
    return services.testdrive_book(
        actor=actor,
        store=store,
        customer=customer,
        demo_car=car,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        consultant=consultant,
        **kw,
    )


def licence_consent(customer) -> None:
    Consent.objects.get_or_create(
        customer=customer,
        purpose=ConsentPurpose.LICENCE_CAPTURE,
        defaults={"store_id": customer.store_id, "channel": "in_person", "notice_version": "2026-01"},
    )


def prepare(consultant, td, *, route_obj=None):
    """Confirm (if needed), fill the checklist, record a valid C2 licence and mark the drive prepared."""
    if td.status == "requested":
        td = services.testdrive_confirm(actor=consultant, test_drive=td, consultant=consultant)
    services.preparation_save(
        actor=consultant,
        test_drive=td,
        clean=True,
        energy_percent=80,
        no_warning_lights=True,
        equipment_present=True,
        route=route_obj or route(td.store, f"线路{td.pk}"),
    )
    licence_consent(td.customer)
    services.licence_record(
        actor=consultant,
        test_drive=td,
        number=VALID_LICENCE,
        licence_class="C2",
        expires_on=timezone.localdate() + datetime.timedelta(days=900),
    )
    return services.testdrive_prepare(actor=consultant, test_drive=td)


def accept_agreement(consultant, td):
    services.agreement_generate(actor=consultant, test_drive=td)
    return services.agreement_accept(actor=consultant, test_drive=td, typed_name=td.customer.name)


def start(consultant, td, odometer_out=1000, now=None):
    """Start the drive at `now`, by default a few minutes into its slot (a drive starts only near its slot)."""
    return services.testdrive_start(
        now=now or td.start_at + datetime.timedelta(minutes=3),
        actor=consultant,
        test_drive=td,
        odometer_out=odometer_out,
        first_driver="customer",
        briefing=list(BriefingItem.values),
        precautions_acknowledged=True,
    )


def drive_to_completed(consultant, td, odometer_out=1000, odometer_in=1012):
    td = prepare(consultant, td)
    accept_agreement(consultant, td)
    td = start(consultant, td, odometer_out)
    return services.testdrive_complete(
        actor=consultant,
        test_drive=td,
        odometer_in=odometer_in,
        now=td.started_at + datetime.timedelta(minutes=services.MIN_DRIVE_MINUTES + 20),
    )
