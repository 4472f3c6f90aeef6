"""Reads of test drives, scoped to what the user may see; availability, the day view and the utilisation report."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from dealerdesk.accounts.models import WEEKDAYS, Membership, Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.catalog.choices import DemoStatus
from dealerdesk.catalog.models import StockVehicle

from .choices import ACTIVE_STATUSES, TestDriveStatus
from .models import DriverLicence, OdometerReading, Route, TestDrive, TestDriveSettings

NEXT_FREE_COUNT = 3
NEXT_FREE_DAYS = 7


# ---------------------------------------------------------------- store calendar


def settings_for(store: Store | int) -> TestDriveSettings:
    """The store's test-drive settings; the defaults (unsaved) when the store has not changed them."""
    store_id = store if isinstance(store, int) else store.pk
    found = TestDriveSettings.objects.filter(store_id=store_id).first()
    return found or TestDriveSettings(store_id=store_id)


def local_today(store: Store, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), store.tz).date()


def opening_hours_on(store: Store, day: date) -> tuple[datetime, datetime] | None:
    """(open, close) of the store on `day` as aware datetimes, or None when closed."""
    hours = (store.opening_hours or {}).get(WEEKDAYS[day.weekday()])
    if not hours:
        return None
    opens, closes = (time.fromisoformat(h) for h in hours)
    return (
        datetime.combine(day, opens, tzinfo=store.tz),
        datetime.combine(day, closes, tzinfo=store.tz),
    )


def day_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=store.tz)
    return start, start + timedelta(days=1)


# ---------------------------------------------------------------- visibility


def _store_ids_for(user, perms: tuple[str, ...]) -> list[int] | None:
    if not getattr(user, "is_authenticated", False):
        return []
    ids = user.visible_store_ids()
    if ids is None:
        return None
    return [s for s in ids if any(user_can(user, p, s) for p in perms)]


def testdrive_visible_to(user) -> QuerySet[TestDrive]:
    """Test drives of the stores where the user books drives or manages the fleet (the whole store's calendar), or
    works the care desk (read-only: the after-drive call is about the drive; care holds none of the steps' rights)."""
    qs = TestDrive.objects.select_related("store", "customer", "trim__series__brand", "demo_car", "consultant", "route")
    ids = _store_ids_for(user, ("testdrives.book", "fleet.manage", "care.manage"))
    if ids is None:
        return qs
    return qs.filter(store_id__in=ids)


def testdrive_get(user, pk: int) -> TestDrive:
    """One visible test drive, or TestDrive.DoesNotExist (404)."""
    return testdrive_visible_to(user).select_related("licence").get(pk=pk)


def testdrive_stores(user) -> list[Store]:
    """Stores where the user may book test drives."""
    ids = _store_ids_for(user, ("testdrives.book",))
    qs = Store.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("code"))


def fleet_stores(user) -> list[Store]:
    """Stores whose demo cars the user may see (bookers and fleet managers)."""
    ids = _store_ids_for(user, ("testdrives.book", "fleet.manage"))
    qs = Store.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("code"))


def demo_car_visible_to(user) -> QuerySet[StockVehicle]:
    """Demo cars of the stores whose test drives the user sees."""
    qs = StockVehicle.objects.filter(is_demo=True).select_related("store", "trim__series__brand", "exterior")
    ids = _store_ids_for(user, ("testdrives.book", "fleet.manage"))
    if ids is None:
        return qs
    return qs.filter(store_id__in=ids)


def bookable_cars(store: Store, *, trim_id: int | None = None, series_id: int | None = None, day: date | None = None):
    """The store's demo cars that may be booked (available, insured on `day`), optionally of a trim or series."""
    qs = StockVehicle.objects.filter(store=store, is_demo=True, demo_status=DemoStatus.AVAILABLE).select_related(
        "trim__series__brand"
    )
    if trim_id:
        qs = qs.filter(trim_id=trim_id)
    if series_id:
        qs = qs.filter(trim__series_id=series_id)
    if day is not None:
        qs = qs.filter(Q(insurance_expires_on__isnull=True) | Q(insurance_expires_on__gte=day))
    return qs.order_by("id")


def consultants_of(store: Store | int) -> list:
    """Active sales consultants and sales managers of the store (who take customers on drives)."""
    store_id = store if isinstance(store, int) else store.pk
    rows = (
        Membership.objects.filter(
            store_id=store_id, is_active=True, user__is_active=True, role__in=[Role.CONSULTANT, Role.SALES_MANAGER]
        )
        .select_related("user")
        .order_by("user__username")
    )
    seen, users = set(), []
    for m in rows:
        if m.user_id not in seen:
            seen.add(m.user_id)
            users.append(m.user)
    return users


def routes_of(store: Store | int) -> QuerySet[Route]:
    store_id = store if isinstance(store, int) else store.pk
    return Route.objects.filter(store_id=store_id, is_active=True).order_by("name")


def latest_licence(customer) -> DriverLicence | None:
    return DriverLicence.objects.filter(customer=customer).order_by("-id").first()


# ---------------------------------------------------------------- availability


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    demo_car: StockVehicle


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def active_bookings(store_id: int, start: datetime, end: datetime, *, exclude_pk: int | None = None):
    """(car id, consultant id, start, end, blocked until) of active bookings touching [start, end)."""
    qs = TestDrive.objects.filter(
        store_id=store_id, status__in=ACTIVE_STATUSES, start_at__lt=end, blocked_until__gt=start
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.values_list("demo_car_id", "consultant_id", "start_at", "end_at", "blocked_until"))


def free_slots(
    store: Store,
    cars: list[StockVehicle],
    *,
    start_from: datetime,
    duration: timedelta,
    consultant_id: int | None = None,
    count: int = NEXT_FREE_COUNT,
    days: int = NEXT_FREE_DAYS,
    exclude_pk: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """The first `count` free (slot, car) pairs from `start_from` on, within opening hours, over `days` days."""
    if not cars:
        return []
    config = settings_for(store)
    step = timedelta(minutes=config.slot_minutes)
    buffer = timedelta(minutes=config.buffer_minutes)
    now = now or timezone.now()
    first_day = timezone.localtime(start_from, store.tz).date()
    window_start, _ = day_bounds(store, first_day)
    window_end = window_start + timedelta(days=days + 1)
    busy = active_bookings(store.pk, window_start, window_end, exclude_pk=exclude_pk)
    by_car: dict[int, list[tuple]] = defaultdict(list)
    by_consultant: list[tuple] = []
    for car_id, cons_id, s, e, blocked in busy:
        by_car[car_id].append((s, blocked))
        if consultant_id and cons_id == consultant_id:
            by_consultant.append((s, e))
    found: list[Slot] = []
    for offset in range(days + 1):
        hours = opening_hours_on(store, first_day + timedelta(days=offset))
        if hours is None:
            continue
        slot = hours[0]
        while slot + duration <= hours[1] and len(found) < count:
            end = slot + duration
            if slot >= start_from and slot >= now and not any(_overlap(slot, end, s, e) for s, e in by_consultant):
                for car in cars:
                    if all(not _overlap(slot, end + buffer, s, b) for s, b in by_car[car.pk]) and (
                        car.insurance_expires_on is None or car.insurance_expires_on >= slot.astimezone(store.tz).date()
                    ):
                        found.append(Slot(slot, end, car))
                        break
            slot += step
        if len(found) >= count:
            break
    return found


def availability(store: Store, day: date, cars: list[StockVehicle], *, now: datetime | None = None) -> list[dict]:
    """Every slot of the day for each car: free or taken (one query)."""
    config = settings_for(store)
    hours = opening_hours_on(store, day)
    if hours is None or not cars:
        return []
    step = timedelta(minutes=config.slot_minutes)
    duration = step
    buffer = timedelta(minutes=config.buffer_minutes)
    now = now or timezone.now()
    busy = active_bookings(store.pk, *day_bounds(store, day))
    by_car: dict[int, list[tuple]] = defaultdict(list)
    for car_id, _cons, s, _e, blocked in busy:
        by_car[car_id].append((s, blocked))
    rows = []
    for car in cars:
        insured = car.insurance_expires_on is None or car.insurance_expires_on >= day
        slots = []
        slot = hours[0]
        while slot + duration <= hours[1]:
            end = slot + duration
            free = insured and slot >= now and all(not _overlap(slot, end + buffer, s, b) for s, b in by_car[car.pk])
            slots.append({"start": slot, "end": end, "free": free})
            slot += step
        rows.append({"demo_car": car, "slots": slots})
    return rows


# ---------------------------------------------------------------- day view and my day


@dataclass
class Lane:
    key: str
    label: str
    blocks: list = field(default_factory=list)


def day_view(user, store: Store, day: date) -> dict:
    """The store's bookings of a day laid out in a lane per demo car and a lane per consultant."""
    start, end = day_bounds(store, day)
    hours = opening_hours_on(store, day) or (start + timedelta(hours=9), start + timedelta(hours=18))
    span = (hours[1] - hours[0]).total_seconds() or 1
    bookings = list(
        testdrive_visible_to(user).filter(store=store, start_at__lt=end, end_at__gt=start).order_by("start_at", "id")
    )
    cars = list(demo_car_visible_to(user).filter(store=store).exclude(demo_status=DemoStatus.RETIRED).order_by("id"))
    consultants = consultants_of(store)
    car_lanes = {c.pk: Lane(f"car-{c.pk}", f"{c.plate} · {c.trim.series.name} {c.trim.name}") for c in cars}
    cons_lanes = {u.pk: Lane(f"consultant-{u.pk}", str(u)) for u in consultants}

    def place(td: TestDrive) -> dict:
        left = max(0.0, (td.start_at - hours[0]).total_seconds() / span * 100)
        width = max(2.0, min(100.0 - left, (td.end_at - td.start_at).total_seconds() / span * 100))
        return {"td": td, "left": round(left, 2), "width": round(width, 2)}

    for td in bookings:
        if td.demo_car_id in car_lanes:
            car_lanes[td.demo_car_id].blocks.append(place(td))
        if td.consultant_id:
            lane = cons_lanes.get(td.consultant_id)
            if lane is None:
                lane = cons_lanes[td.consultant_id] = Lane(f"consultant-{td.consultant_id}", str(td.consultant))
            lane.blocks.append(place(td))
    ticks = []
    tick = hours[0]
    while tick <= hours[1]:
        ticks.append(
            {
                "label": timezone.localtime(tick, store.tz).strftime("%H:%M"),
                "left": round((tick - hours[0]).total_seconds() / span * 100, 2),
            }
        )
        tick += timedelta(hours=1)
    return {
        "bookings": bookings,
        "car_lanes": list(car_lanes.values()),
        "consultant_lanes": list(cons_lanes.values()),
        "ticks": ticks,
        "hours": hours,
    }


def my_day(user, *, now: datetime | None = None) -> list[TestDrive]:
    """Today's bookings (store time) of the user as consultant, or of their stores for bookers who do not sell."""
    now = now or timezone.now()
    result: list[TestDrive] = []
    for store in testdrive_stores(user):
        start, end = day_bounds(store, local_today(store, now))
        qs = testdrive_visible_to(user).filter(store=store, start_at__gte=start, start_at__lt=end)
        if user_can(user, "sales.sell", store) and not user_can(user, "customers.view_store", store):
            qs = qs.filter(consultant=user)
        result.extend(qs.exclude(status=TestDriveStatus.CANCELLED).order_by("start_at")[:50])
    return result


# ---------------------------------------------------------------- fleet


def odometer_history(vehicle: StockVehicle, *, limit: int = 20) -> list[OdometerReading]:
    return list(OdometerReading.objects.filter(vehicle=vehicle).order_by("-recorded_at", "-id")[:limit])


def insurance_expiring_cars(store: Store | None = None, *, days: int = 30, today: date | None = None):
    """Demo cars in use whose insurance expires within `days` days (or has expired)."""
    today = today or timezone.localdate()
    qs = StockVehicle.objects.filter(is_demo=True, insurance_expires_on__lte=today + timedelta(days=days)).exclude(
        demo_status=DemoStatus.RETIRED
    )
    if store is not None:
        qs = qs.filter(store=store)
    return qs.select_related("store", "trim__series").order_by("insurance_expires_on", "id")


def utilisation(store: Store, week_start: date) -> dict:
    """Hours booked vs hours open per demo car for the week starting `week_start` (Monday), one query."""
    days = [week_start + timedelta(days=i) for i in range(7)]
    open_hours = 0.0
    for d in days:
        hours = opening_hours_on(store, d)
        if hours:
            open_hours += (hours[1] - hours[0]).total_seconds() / 3600
    start, _ = day_bounds(store, days[0])
    end = start + timedelta(days=7)
    cars = list(
        StockVehicle.objects.filter(store=store, is_demo=True)
        .exclude(demo_status=DemoStatus.RETIRED)
        .select_related("trim__series")
        .order_by("id")
    )
    booked: dict[int, float] = defaultdict(float)
    drives: dict[int, int] = defaultdict(int)
    counted = (*ACTIVE_STATUSES, TestDriveStatus.COMPLETED)
    for car_id, s, e in TestDrive.objects.filter(
        store=store, status__in=counted, start_at__lt=end, end_at__gt=start
    ).values_list("demo_car_id", "start_at", "end_at"):
        booked[car_id] += (min(e, end) - max(s, start)).total_seconds() / 3600
        drives[car_id] += 1
    rows = []
    for car in cars:
        hours = round(booked[car.pk], 1)
        rows.append(
            {
                "car": car,
                "booked_hours": hours,
                "open_hours": round(open_hours, 1),
                "drives": drives[car.pk],
                "percent": round(hours / open_hours * 100, 1) if open_hours else 0.0,
            }
        )
    total_booked = sum(r["booked_hours"] for r in rows)
    total_open = open_hours * len(rows)
    return {
        "week_start": week_start,
        "rows": rows,
        "total_drives": sum(r["drives"] for r in rows),
        "total_booked": round(total_booked, 1),
        "total_open": round(total_open, 1),
        "percent": round(total_booked / total_open * 100, 1) if total_open else 0.0,
    }


def overlap_violations() -> int:
    """Pairs of active bookings that overlap on a demo car (with buffer) or a consultant: the invariant, by self-join.

    Must always be 0."""
    active = Q(status__in=ACTIVE_STATUSES)
    from django.db.models import Exists, OuterRef

    car_clash = TestDrive.objects.filter(
        active,
        demo_car_id=OuterRef("demo_car_id"),
        start_at__lt=OuterRef("blocked_until"),
        blocked_until__gt=OuterRef("start_at"),
        pk__gt=OuterRef("pk"),
    )
    consultant_clash = TestDrive.objects.filter(
        active,
        consultant_id=OuterRef("consultant_id"),
        start_at__lt=OuterRef("end_at"),
        end_at__gt=OuterRef("start_at"),
        pk__gt=OuterRef("pk"),
    )
    base = TestDrive.objects.filter(active)
    return (
        base.filter(Exists(car_clash)).count()
        + base.filter(consultant_id__isnull=False).filter(Exists(consultant_clash)).count()
    )
