"""The demo-car fleet (试驾车队): status, insurance, odometer history and alerts. A demo car is a
`catalog.StockVehicle` with `is_demo`; these services change its demo fields under `fleet.manage`, audited."""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Membership, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.catalog.choices import DEMO_MOVES, DemoStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue

from . import selectors
from .choices import FleetAlertKind, OdometerSource
from .models import FleetAlert, OdometerReading, TestDrive
from .services import MAX_ODOMETER, _odometer_record, flag_bookings_of_car, odometer_jump_refusal

INSURANCE_ALERT_DAYS = 30


def _car(vehicle: StockVehicle) -> StockVehicle:
    car = StockVehicle.objects.select_for_update().select_related("store").get(pk=vehicle.pk)
    if not car.is_demo:
        raise TransitionRefused(_("This vehicle is not a demo car."), code="not_demo")
    return car


def _require_fleet(actor, car: StockVehicle) -> None:
    if not user_can(actor, "fleet.manage", car):
        raise NotPermitted(_("Only a sales manager or store administrator manages the demo cars."))


@transaction.atomic
def demo_car_set_status(*, actor: User, vehicle: StockVehicle, demo_status: str, reason: str = "") -> StockVehicle:
    """Send a demo car to maintenance, bring it back, or retire it; its coming bookings are flagged when it leaves
    service."""
    car = _car(vehicle)
    _require_fleet(actor, car)
    if demo_status not in DemoStatus.values:
        raise ValidationError({"demo_status": [_("Choose available, in maintenance or retired.")]})
    if demo_status not in DEMO_MOVES[car.demo_status]:
        # retiring is final: say so rather than the generic move refusal (the catalogue copy's wording, #12.2)
        raise TransitionRefused(
            _("A retired demo car cannot be used for test drives again.")
            if car.demo_status == DemoStatus.RETIRED
            else _("A demo car that is “%(status)s” cannot become “%(to)s”.")
            % {"status": DemoStatus(car.demo_status).label, "to": DemoStatus(demo_status).label},
            code="demo_move_refused",
            field="demo_status",
        )
    before = car.demo_status
    car.demo_status = demo_status
    car.save(update_fields=["demo_status", "updated_at"])
    audit_record(
        actor=actor,
        action="demo_car.status_changed",
        target=car,
        diff={"demo_status": [before, demo_status], "reason": [None, (reason or "").strip()[:200] or None]},
    )
    if demo_status != DemoStatus.AVAILABLE:
        flag_bookings_of_car(
            actor=actor,
            car=car,
            reason=_("The demo car is %(status)s.") % {"status": DemoStatus(demo_status).label},
        )
    return car


def demo_car_to_maintenance_after_damage(*, actor, car: StockVehicle, test_drive: TestDrive) -> None:
    """A damage found after a drive sends the car to maintenance at once (part of the check's transaction)."""
    car = _car(car)
    if car.demo_status == DemoStatus.AVAILABLE:
        car.demo_status = DemoStatus.MAINTENANCE
        car.save(update_fields=["demo_status", "updated_at"])
        audit_record(
            actor=actor,
            action="demo_car.status_changed",
            target=car,
            diff={
                "demo_status": [DemoStatus.AVAILABLE, DemoStatus.MAINTENANCE],
                "reason": [None, test_drive.return_damage_notes],
            },
        )
    flag_bookings_of_car(
        actor=actor,
        car=car,
        reason=_("The demo car was damaged on %(number)s and is in maintenance.") % {"number": test_drive.number},
    )


@transaction.atomic
def demo_car_set_insurance(*, actor: User, vehicle: StockVehicle, expires_on: Any) -> StockVehicle:
    """Record a renewed insurance policy's expiry date."""
    car = _car(vehicle)
    _require_fleet(actor, car)
    if isinstance(expires_on, str):
        try:
            expires_on = date.fromisoformat(expires_on.strip())
        except ValueError:
            expires_on = None
    if not isinstance(expires_on, date):
        raise ValidationError({"insurance_expires_on": [_("Enter the date the insurance expires.")]})
    if expires_on < selectors.local_today(car.store):
        raise ValidationError({"insurance_expires_on": [_("This insurance has already expired.")]})
    before = car.insurance_expires_on
    car.insurance_expires_on = expires_on
    car.save(update_fields=["insurance_expires_on", "updated_at"])
    audit_record(
        actor=actor,
        action="demo_car.insurance_renewed",
        target=car,
        diff={"insurance_expires_on": [str(before) if before else None, str(expires_on)]},
    )
    return car


@transaction.atomic
def demo_car_record_odometer(*, actor: User, vehicle: StockVehicle, odometer_km: Any, reason: str = "") -> StockVehicle:
    """A fleet check's odometer reading. It never goes down, and a reading more than ODOMETER_MAX_JUMP_KM above the
    last one is the fleet manager's to record, so a consultant's typo cannot spoil the car's odometer for good.

    A fleet manager corrects a wrong reading downward by giving the lower reading with the reason: audited and
    kept in the odometer history as a correction."""
    car = _car(vehicle)
    manages = user_can(actor, "fleet.manage", car)
    if not (manages or user_can(actor, "sales.sell", car)):
        raise NotPermitted()
    try:
        km = int(odometer_km)
    except (TypeError, ValueError):
        km = -1
    if not 0 <= km <= MAX_ODOMETER:
        raise ValidationError({"odometer_km": [_("Enter the odometer reading in km.")]})
    if km < car.odometer_km:
        if not manages:
            raise ValidationError(
                {
                    "odometer_km": [
                        _("The odometer cannot go down: it reads %(km)d km.") % {"km": car.odometer_km}
                        + " "
                        + _("If that reading is wrong, ask the fleet manager to correct it.")
                    ]
                }
            )
        return _correct_odometer(actor=actor, car=car, km=km, reason=reason)
    refusal = odometer_jump_refusal(actor, car, km)
    if refusal:
        raise ValidationError({"odometer_km": [refusal]})
    _odometer_record(actor=actor, car=car, km=km, source=OdometerSource.CHECK, td=None)
    return car


def _correct_odometer(*, actor: User, car: StockVehicle, km: int, reason: str) -> StockVehicle:
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationError(
            {"reason": [_("Give the reason for correcting the odometer reading downward (e.g. the typo it fixes).")]}
        )
    before = car.odometer_km
    OdometerReading.objects.create(
        store_id=car.store_id,
        vehicle=car,
        km=km,
        source=OdometerSource.CORRECTION,
        recorded_by=actor,
        note=reason,
    )
    car.odometer_km = km
    car.save(update_fields=["odometer_km", "updated_at"])
    audit_record(
        actor=actor,
        action="demo_car.odometer_corrected",
        target=car,
        diff={"odometer_km": [before, km], "reason": [None, reason]},
    )
    return car


def _fleet_managers(store_id: int) -> list[User]:
    rows = Membership.objects.filter(
        store_id=store_id, is_active=True, role__in=[Role.SALES_MANAGER, Role.STORE_ADMIN]
    ).select_related("user")
    users = {m.user_id: m.user for m in rows if m.user.is_active}
    return sorted(users.values(), key=lambda u: u.pk)


def insurance_alerts_send(*, now: datetime | None = None, days: int = INSURANCE_ALERT_DAYS) -> int:
    """Tell the fleet managers once about each demo car whose insurance expires within `days` days. Idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for car in selectors.insurance_expiring_cars(days=days, today=today):
        with transaction.atomic():
            _alert, created = FleetAlert.objects.get_or_create(
                vehicle=car,
                kind=FleetAlertKind.INSURANCE,
                about=car.insurance_expires_on,
                defaults={"store_id": car.store_id, "sent_at": now},
            )
            if not created:
                continue
            expired = car.insurance_expires_on < today
            for manager in _fleet_managers(car.store_id):
                notification_queue(
                    channel="in_app",
                    recipient_user=manager,
                    store=car.store,
                    subject=(
                        _("Demo car %(plate)s: insurance expired on %(date)s")
                        if expired
                        else _("Demo car %(plate)s: insurance expires on %(date)s")
                    )
                    % {"plate": car.plate, "date": car.insurance_expires_on.isoformat()},
                    body="/test-drives/fleet/",
                    kind="demo_car.insurance_expiring",
                )
            sent += 1
    return sent


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
