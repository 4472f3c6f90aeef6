"""Reads of the showroom, always scoped to what the user may see: visits, the board, the rotation, the traffic
report, needs assessments, presentations, recommendations and the trim comparison."""

import datetime
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Membership, Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.catalog.models import StockVehicle, Trim
from dealerdesk.showroom.appointments import Appointment, appointments_between

from . import outcomes
from .choices import IN_SHOWROOM, VisitKind, VisitStatus
from .models import ConsultantPresence, NeedsAssessment, Presentation, Recommendation, Visit
from .recommend import Needs, Ranked, TrimFacts, rank, rank_priced, score_trim

ROTATION_ROLES = (Role.CONSULTANT,)
# What the board shows: loading whole customers would decrypt every ID number for nothing.
BOARD_FIELDS = (
    *(f.name for f in Visit._meta.concrete_fields),
    "customer__name",
    "customer__owner",
    "consultant__username",
    "consultant__full_name",
)
COMPARE_MIN, COMPARE_MAX = 2, 4
# How long an open visit from before today still counts as a party in the showroom. Twelve hours is longer than any
# real visit, so a visitor who came in at 23:50 is still on the board (and their consultant still busy) at 00:10 and
# until they leave; yet a visit the desk forgot to close during yesterday's opening hours has dropped off before the
# next morning, instead of cluttering the board and keeping its consultant "busy" all day. Such a forgotten visit
# stays in the visit list, where it can be closed.
OPEN_VISIT_HOURS = 12


# ---------------------------------------------------------------- stores and days


def stores_where(user, perm: str) -> list[Store]:
    """The user's visible stores in which they hold `perm`, in a stable order."""
    return [s for s in store_visible_to(user).order_by("group_id", "code") if user_can(user, perm, s)]


def store_for(user, perm: str, key: str | int | None) -> Store:
    """The store picked by code or id among those where the user holds `perm` (the first when no key).

    Raises Store.DoesNotExist (shown as 404) when there is no such store for this user.
    """
    stores = stores_where(user, perm)
    if key in (None, ""):
        if not stores:
            raise Store.DoesNotExist
        return stores[0]
    for store in stores:
        if store.code == key or str(store.pk) == str(key):
            return store
    raise Store.DoesNotExist


def local_day(store: Store, when: datetime.datetime | None = None) -> datetime.date:
    """The calendar day in the store's time zone."""
    return timezone.localtime(when or timezone.now(), store.tz).date()


def day_bounds(store: Store, day: datetime.date, days: int = 1) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of `days` local days from `day` in the store's time zone, as aware datetimes."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=store.tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time.min, tzinfo=store.tz)
    return start, end


# ---------------------------------------------------------------- visits


def _store_ids_with(user, *perms: str) -> list[int]:
    ids = user.visible_store_ids() or frozenset()
    return [s for s in ids if any(user_can(user, p, s) for p in perms)]


def visit_visible_to(user) -> QuerySet[Visit]:
    """Visits the user may open: reception and store-wide roles the whole store, a consultant the ones they serve."""
    qs = Visit.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.visible_store_ids() is None:
        return qs
    whole = _store_ids_with(user, "visits.log", "customers.view_store")
    own = [s for s in _store_ids_with(user, "sales.sell") if s not in whole]
    return qs.filter(Q(store_id__in=whole) | Q(store_id__in=own, consultant_id=user.pk))


def visit_get(user, pk: int) -> Visit:
    """One visible visit with its store, customer and consultant, or Visit.DoesNotExist (404)."""
    return visit_visible_to(user).select_related("store", "customer", "consultant", "logged_by").get(pk=pk)


def sees_visitor_names(user, store: Store) -> bool:
    """Reception and store-wide roles see every visitor's name; a consultant only their own customers'."""
    return user_can(user, "visits.log", store) or user_can(user, "customers.view_store", store)


def masked_name(name: str) -> str:
    """王** for 王小明: enough to tell visitors apart on the board without showing the name."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


@dataclass
class BoardRow:
    visit: Visit
    visitor: str
    waiting_minutes: int | None
    minutes_in_showroom: int
    needs_taken: bool


@dataclass
class Board:
    store: Store
    day: datetime.date
    now: datetime.datetime
    waiting: list[BoardRow] = field(default_factory=list)
    with_consultant: list[BoardRow] = field(default_factory=list)
    left: list[BoardRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def in_showroom(self) -> list[BoardRow]:
        return self.waiting + self.with_consultant


def _minutes(seconds: float) -> int:
    return max(int(seconds // 60), 0)


def _in_showroom_since(store: Store, now: datetime.datetime) -> datetime.datetime:
    """The earliest arrival of an open visit that still counts as a party in the showroom: the start of the store's
    local day, or OPEN_VISIT_HOURS ago when that is earlier (just after midnight)."""
    start, _end = day_bounds(store, local_day(store, now))
    return min(start, now - datetime.timedelta(hours=OPEN_VISIT_HOURS))


def visits_in_showroom(store: Store, *, now: datetime.datetime | None = None) -> QuerySet[Visit]:
    """The store's visits whose party is in the showroom now (waiting or with a consultant), whatever day they
    arrived on: today, or within the last OPEN_VISIT_HOURS (a visitor who came at 23:50 is still there at 00:10)."""
    now = now or timezone.now()
    return Visit.objects.filter(store=store, status__in=IN_SHOWROOM, arrived_at__gte=_in_showroom_since(store, now))


def board_for(user, store: Store, *, now: datetime.datetime | None = None) -> Board:
    """The store's live board (one query): who is waiting, who is with whom and for how long, who left today.

    The rows are today's visits (arrived on the store's local day) plus the open visits of `visits_in_showroom`
    that arrived before today: a visitor who came at 23:50 and is still there at 00:10 stays on the board until they
    leave. Once gone, such a visit belongs to the day it arrived on, like in the traffic report: it is not in "left
    today", and the day's figures (`counts`: visits, people, first, return, appointment) count today's arrivals
    only, while `waiting`, `with_consultant` and `left` count the rows shown.
    """
    if not user_can(user, "store.view", store):
        raise Store.DoesNotExist
    now = now or timezone.now()
    day = local_day(store, now)
    start, end = day_bounds(store, day)
    visits = list(
        Visit.objects.filter(store=store, arrived_at__gte=_in_showroom_since(store, now), arrived_at__lt=end)
        .filter(Q(arrived_at__gte=start) | Q(status__in=IN_SHOWROOM))
        .select_related("customer", "consultant")
        .only(*BOARD_FIELDS)
        .annotate(needs_taken=Exists(NeedsAssessment.objects.filter(visit_id=OuterRef("pk"))))
        .order_by("arrived_at", "id")
    )
    full_names = sees_visitor_names(user, store)
    board = Board(store=store, day=day, now=now)
    arrivals = people = first = returning = appointments = 0
    for visit in visits:
        if visit.arrived_at >= start:
            arrivals += 1
            people += visit.party_size
            first += visit.kind == VisitKind.FIRST
            returning += visit.kind == VisitKind.RETURN
            appointments += visit.kind == VisitKind.APPOINTMENT
        name = visit.customer.name if visit.customer_id else ""
        if name and not full_names and visit.customer.owner_id != user.pk and visit.consultant_id != user.pk:
            name = masked_name(name)
        until = visit.left_at or now
        if visit.assigned_at:
            waiting = _minutes((visit.assigned_at - visit.arrived_at).total_seconds())
        elif visit.status == VisitStatus.ARRIVED:
            waiting = _minutes((now - visit.arrived_at).total_seconds())
        else:
            waiting = None
        row = BoardRow(
            visit=visit,
            visitor=name,
            waiting_minutes=waiting,
            minutes_in_showroom=_minutes((until - visit.arrived_at).total_seconds()),
            needs_taken=visit.needs_taken,
        )
        {
            VisitStatus.ARRIVED: board.waiting,
            VisitStatus.WITH_CONSULTANT: board.with_consultant,
            VisitStatus.LEFT: board.left,
        }[visit.status].append(row)
    board.left.reverse()  # the latest departures first
    board.counts = {
        "visits": arrivals,
        "people": people,
        "first": first,
        "return": returning,
        "appointment": appointments,
        "waiting": len(board.waiting),
        "with_consultant": len(board.with_consultant),
        "left": len(board.left),
    }
    return board


# ---------------------------------------------------------------- rotation


@dataclass
class RotationEntry:
    consultant: User
    state: str  # free | busy | not_in (not signed in today, not marked present) | absent
    last_assigned_at: datetime.datetime | None
    assignments: int

    @property
    def is_free(self) -> bool:
        return self.state == "free"


def rotation_for(store: Store, *, now: datetime.datetime | None = None) -> list[RotationEntry]:
    """The store's consultants in "next up" order for today: free ones by their last assignment (never assigned
    today first), then the busy ones (with a visitor in the showroom, even one who arrived before midnight), then
    those not in yet, then the absent ones. Three queries.

    A consultant is in once they have logged in today or reception marked them present: one who has not come to
    work must not jump to the top of the rotation for having served nobody yet."""
    now = now or timezone.now()
    day = local_day(store, now)
    consultants = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            store=store, role__in=ROTATION_ROLES, is_active=True, user__is_active=True
        ).select_related("user")
    }
    presence = {p.consultant_id: p for p in ConsultantPresence.objects.filter(store=store, day=day)}
    busy = set(
        visits_in_showroom(store, now=now)
        .filter(status=VisitStatus.WITH_CONSULTANT, consultant_id__in=list(consultants))
        .values_list("consultant_id", flat=True)
    )
    entries = []
    for user_id, user in consultants.items():
        record = presence.get(user_id)
        absent = bool(record and record.absent)
        signed_in = user.last_login is not None and local_day(store, user.last_login) == day
        if absent:
            state = "absent"
        elif user_id in busy:
            state = "busy"
        elif signed_in or record is not None:
            state = "free"
        else:
            state = "not_in"
        entries.append(
            RotationEntry(
                consultant=user,
                state=state,
                last_assigned_at=record.last_assigned_at if record else None,
                assignments=record.assignments if record else 0,
            )
        )
    order = {"free": 0, "busy": 1, "not_in": 2, "absent": 3}
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    entries.sort(key=lambda e: (order[e.state], e.last_assigned_at or epoch, e.consultant.pk))
    return entries


def next_up(store: Store, *, now: datetime.datetime | None = None) -> User | None:
    """The consultant who takes the next visitor, or None when everybody is busy or absent."""
    entries = rotation_for(store, now=now)
    return entries[0].consultant if entries and entries[0].is_free else None


# ---------------------------------------------------------------- traffic report


@dataclass
class TrafficReport:
    store: Store
    date_from: datetime.date
    date_to: datetime.date
    totals: dict[str, Any]
    outcome_labels: dict[str, str]
    by_consultant: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]
    by_day: list[dict[str, Any]]


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _average_minutes(seconds: list[int]) -> float | None:
    return round(sum(seconds) / len(seconds) / 60, 1) if seconds else None


def _figures(visits: list[Visit], found: dict[int, list[str]], codes: list[str]) -> dict[str, Any]:
    durations = [v.duration_seconds for v in visits if v.duration_seconds is not None]
    waits = [v.waiting_seconds for v in visits if v.waiting_seconds is not None]
    figures: dict[str, Any] = {
        "visits": len(visits),
        "people": sum(v.party_size for v in visits),
        "first": sum(v.kind == VisitKind.FIRST for v in visits),
        "return": sum(v.kind == VisitKind.RETURN for v in visits),
        "appointment": sum(v.kind == VisitKind.APPOINTMENT for v in visits),
        "average_minutes": _average_minutes(durations),
        "average_wait_minutes": _average_minutes(waits),
        "outcomes": {},
    }
    for code in codes:
        count = sum(code in found.get(v.pk, ()) for v in visits)
        figures["outcomes"][code] = {"count": count, "share": _share(count, len(visits))}
    return figures


def traffic_report(user, store: Store, date_from: datetime.date, date_to: datetime.date) -> TrafficReport:
    """Walk-ins of the store between two local dates (inclusive): first vs return, average duration, the share
    that took needs, a test drive or an offer (as far as those apps report), by consultant and by hour."""
    if not user_can(user, "reports.view_store", store):
        raise Store.DoesNotExist
    start, _end = day_bounds(store, date_from)
    end = day_bounds(store, date_to)[1]
    visits = list(
        Visit.objects.filter(store=store, arrived_at__gte=start, arrived_at__lt=end)
        .select_related("consultant")
        .order_by("arrived_at", "id")
    )
    found = outcomes.outcomes_for(visits)
    codes = list(outcomes.LABELS)
    labels = {code: str(label) for code, label in outcomes.LABELS.items()}
    totals = _figures(visits, found, codes)
    totals["reported"] = {code: outcomes.is_registered(code) for code in codes}

    by_consultant: dict[int | None, list[Visit]] = defaultdict(list)
    hours: Counter = Counter()
    days: dict[datetime.date, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_consultant[visit.consultant_id].append(visit)
        local = timezone.localtime(visit.arrived_at, store.tz)
        hours[local.hour] += 1
        days[local.date()].append(visit)
    consultant_rows = []
    for consultant_id, rows in by_consultant.items():
        person = rows[0].consultant if consultant_id else None
        consultant_rows.append(
            {
                "consultant": person,
                "label": str(person) if person else str(_("Not served")),
                **_figures(rows, found, codes),
            }
        )
    consultant_rows.sort(key=lambda r: (r["consultant"] is None, -r["visits"], r["label"]))
    shown_hours = sorted(set(range(9, 21)) | set(hours))
    hour_rows = [{"hour": h, "label": f"{h:02d}:00", "visits": hours.get(h, 0)} for h in shown_hours]
    day_rows = []
    day = date_from
    while day <= date_to:
        rows = days.get(day, [])
        day_rows.append({"day": day, "visits": len(rows), "first": sum(v.kind == VisitKind.FIRST for v in rows)})
        day += datetime.timedelta(days=1)
    return TrafficReport(
        store=store,
        date_from=date_from,
        date_to=date_to,
        totals=totals,
        outcome_labels=labels,
        by_consultant=consultant_rows,
        by_hour=hour_rows,
        by_day=day_rows,
    )


# ---------------------------------------------------------------- needs assessments and presentations


def _owned_q(user, store_ids_own: list[int]) -> Q:
    return Q(store_id__in=store_ids_own) & (Q(consultant_id=user.pk) | Q(customer__owner_id=user.pk))


def needs_assessment_visible_to(user) -> QuerySet[NeedsAssessment]:
    """Assessments the user may open: store-wide roles the store's, a consultant theirs and their customers'."""
    qs = NeedsAssessment.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.visible_store_ids() is None:
        return qs
    whole = _store_ids_with(user, "customers.view_store")
    own = [s for s in _store_ids_with(user, "sales.sell") if s not in whole]
    return qs.filter(Q(store_id__in=whole) | _owned_q(user, own))


def needs_assessment_get(user, pk: int) -> NeedsAssessment:
    """One visible assessment with customer, consultant, visit and store; NeedsAssessment.DoesNotExist → 404."""
    return needs_assessment_visible_to(user).select_related("customer", "consultant", "store", "visit").get(pk=pk)


def recommendations_of(assessment: NeedsAssessment) -> list[Recommendation]:
    """The advice recorded on an assessment, newest first, with the trims (two queries)."""
    return list(
        Recommendation.objects.filter(assessment=assessment)
        .select_related("consultant")
        .prefetch_related("trims__series__brand")
        .order_by("-created_at", "-id")
    )


def presentation_visible_to(user) -> QuerySet[Presentation]:
    """Walkaround records the user may open (same reach as needs assessments)."""
    qs = Presentation.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.visible_store_ids() is None:
        return qs
    whole = _store_ids_with(user, "customers.view_store")
    own = [s for s in _store_ids_with(user, "sales.sell") if s not in whole]
    return qs.filter(Q(store_id__in=whole) | _owned_q(user, own))


def presentation_get(user, pk: int) -> Presentation:
    return presentation_visible_to(user).select_related("customer", "consultant", "trim__series__brand").get(pk=pk)


# ---------------------------------------------------------------- recommendation data


def trim_label(brand: str, series: str, year: int, name: str) -> str:
    return f"{brand} {series} {year}款 {name}"


def _trims_sold_by(store: Store) -> QuerySet[Trim]:
    try:
        from dealerdesk.catalog.selectors import trims_sold_by
    except ImportError:  # the catalogue's selectors are not there yet: the same rule, written here
        keys = [str(b) for b in store.brands or [] if b]
        return Trim.objects.filter(
            Q(series__brand__code__in=keys) | Q(series__brand__name__in=keys), is_active=True, series__is_active=True
        )
    return trims_sold_by(store)


def _with_marked_price(trims: QuerySet[Trim], store: Store, at: datetime.datetime) -> QuerySet:
    try:
        from dealerdesk.catalog.selectors import with_marked_price
    except ImportError:
        from django.db.models import DecimalField, Subquery

        from dealerdesk.catalog.models import MarkedPrice

        newest = MarkedPrice.objects.filter(store=store, trim_id=OuterRef("pk"), valid_from__lte=at).order_by(
            "-valid_from", "-id"
        )
        return trims.annotate(
            marked_price=Subquery(
                newest.values("price")[:1], output_field=DecimalField(max_digits=12, decimal_places=2)
            )
        )
    return with_marked_price(trims, store, at)


def _promotions_engine():
    """The offers app's discount functions when it provides them: (bulk, single), each possibly None.

    `best_discounts_for(store, trim_ids, now) -> {trim id: Decimal}` (many trims at once) is preferred; else
    `best_discount_for(store, trim, now) -> Decimal`, looked up in `offers.engine` and `offers.selectors`.
    """
    from importlib import import_module

    bulk = single = None
    for name in ("dealerdesk.offers.engine", "dealerdesk.offers.selectors"):
        try:
            module = import_module(name)
        except ImportError:
            continue
        bulk = bulk or getattr(module, "best_discounts_for", None)
        single = single or getattr(module, "best_discount_for", None)
    return bulk, single


def _decimal(value) -> Decimal | None:
    return None if value is None else value if isinstance(value, Decimal) else Decimal(str(value))


def trim_facts(
    store: Store,
    *,
    now: datetime.datetime | None = None,
    trim_ids: list[int] | None = None,
    with_features: bool = True,
) -> list[TrimFacts]:
    """Every trim the store sells as plain data: specs, the marked price in force (else the MSRP) and stock.

    Two queries: the trims with their price, and the stock counts. The rows are read straight from the cursor
    (the ORM builds the SQL): converting 2,000 rows field by field costs more than the query itself.
    """
    now = now or timezone.now()
    trims = _with_marked_price(_trims_sold_by(store), store, now).order_by()
    if trim_ids is not None:
        trims = trims.filter(pk__in=trim_ids)
    fields = [
        "id",
        "name",
        "model_year",
        "series__name",
        "series__brand__name",
        "energy_type",
        "body_type",
        "seats",
        "msrp",
        "marked_price",
        "electric_range_km",
        "fuel_l_per_100km",
        "power_kw",
    ]
    sql, params = trims.values_list(*fields, *(["key_features"] if with_features else [])).query.sql_with_params()
    stock_rows = (
        StockVehicle.objects.filter(store=store, is_demo=False, status__in=["in_stock", "in_transit"])
        .values_list("trim_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    if trim_ids is not None:
        stock_rows = stock_rows.filter(trim_id__in=trim_ids)
    in_stock: dict[int, int] = {}
    in_transit: dict[int, int] = {}
    for trim_id, status, n in stock_rows:
        (in_stock if status == "in_stock" else in_transit)[trim_id] = n
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    facts = []
    for row in rows:
        pk, name, year, series, brand, energy, body, seats, msrp, marked, electric_range, fuel, power = row[:13]
        features: tuple[str, ...] = ()
        if with_features and row[13]:
            raw = json.loads(row[13]) if isinstance(row[13], str) else row[13]
            features = tuple(str(f) for f in raw)
        facts.append(
            TrimFacts(
                pk,
                f"{brand} {series} {year}款 {name}",
                energy,
                body,
                seats,
                _decimal(msrp if marked is None else marked),
                "msrp" if marked is None else "marked",
                None,
                in_stock.get(pk, 0),
                in_transit.get(pk, 0),
                electric_range,
                _decimal(fuel),
                power,
                features,
            )
        )
    return facts


def _set_discounts(facts: list[TrimFacts], discounts: dict[int, Decimal]) -> list[TrimFacts]:
    """Put the best promotion on each trim (never below zero, never above the price)."""
    for f in facts:
        f.discount = min(max(discounts.get(f.id) or Decimal(0), Decimal(0)), f.price)
    return facts


def _customer_context(customer):
    """The customer's situation as the offers app prices it (trade-in, loan, first car, city), or None."""
    from importlib import import_module

    if customer is None:
        return None
    try:
        return import_module("dealerdesk.offers.services").customer_context_for(customer)
    except (ImportError, AttributeError):
        return None


def _pricer(store: Store, now: datetime.datetime, customer=None):
    """A function giving the best promotion of some trims, from the offers app; None without it.

    For a customer, the offers app prices each trim as the offer it would make them (same facts, same engine
    function), so the recommendation's "after discounts" is the offer's price (issue #10.8)."""
    bulk, single = _promotions_engine()
    context = _customer_context(customer)
    if bulk is not None and context is not None:
        return lambda facts: bulk(store, [f.id for f in facts], now, context)
    if bulk is not None:
        return lambda facts: bulk(store, [f.id for f in facts], now)
    if single is not None:

        def per_trim(facts: list[TrimFacts]) -> dict[int, Decimal]:
            trims = Trim.objects.in_bulk([f.id for f in facts])
            return {f.id: single(store, trims[f.id], now) for f in facts}

        return per_trim
    return None


@dataclass
class RecommendationResult:
    store: Store
    results: list[Ranked]
    promotions_known: bool
    considered: int


def recommendations_for(
    user, store: Store, needs: Needs, *, limit: int = 10, now: datetime.datetime | None = None, customer=None
) -> RecommendationResult:
    """The store's trims ranked for the needs, with reasons. Prices are the marked prices in force minus the best
    promotion the offers app finds (asked only for trims that can reach the top); without that app, marked
    prices "before promotions"."""
    if not user_can(user, "sales.sell", store):
        raise Store.DoesNotExist
    now = now or timezone.now()
    facts = trim_facts(store, now=now, with_features=bool(needs.must_have))
    price = _pricer(store, now, customer)
    if price is None:
        return RecommendationResult(store, rank(needs, facts, limit=limit), False, len(facts))
    return RecommendationResult(store, rank_priced(needs, facts, limit=limit, price=price), True, len(facts))


def score_trims(
    store: Store, needs: Needs, trim_ids: list[int], *, now: datetime.datetime | None = None, customer=None
) -> list[Ranked]:
    """Chosen trims of the store scored for the needs, with the best promotion when the offers app gives one."""
    now = now or timezone.now()
    facts = trim_facts(store, now=now, trim_ids=trim_ids)
    price = _pricer(store, now, customer)
    if price is not None and facts:
        _set_discounts(facts, price(facts))
    return [score_trim(needs, f) for f in facts]


# ---------------------------------------------------------------- comparison


@dataclass
class ComparisonRow:
    label: str
    values: list[str]
    differs: bool
    best: set[int] = field(default_factory=set)  # column indexes holding the best value (price: lowest)


@dataclass
class Comparison:
    store: Store
    trims: list[Trim]
    facts: list[TrimFacts]
    rows: list[ComparisonRow]
    price_rows: list[ComparisonRow]


def _fmt(value: Any, unit: str = "") -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, int) and value >= 10_000:
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def comparison_for(user, store: Store, trim_ids: list[int], *, now: datetime.datetime | None = None) -> Comparison:
    """2–4 trims the store sells side by side: specs (differences flagged) and prices (gaps to the cheapest)."""
    from .recommend import money

    if not user_can(user, "store.view", store):
        raise Store.DoesNotExist
    ids = list(dict.fromkeys(int(i) for i in trim_ids))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise ValidationError({"trims": [_("Choose between 2 and 4 different trims to compare.")]})
    trims_by_id = {t.pk: t for t in _trims_sold_by(store).filter(pk__in=ids).select_related("series__brand")}
    missing = [i for i in ids if i not in trims_by_id]
    if missing:
        raise ValidationError({"trims": [_("This store does not sell one of the chosen trims.")]})
    trims = [trims_by_id[i] for i in ids]
    facts_by_id = {f.id: f for f in trim_facts(store, now=now, trim_ids=ids)}
    facts = [facts_by_id[i] for i in ids]

    def row(label, values: list, *, best=None) -> ComparisonRow:
        shown = [_fmt(v) if not isinstance(v, str) else v for v in values]
        best_cols: set[int] = set()
        if best and any(v is not None for v in values):
            present = [v for v in values if v is not None]
            target = min(present) if best == "min" else max(present)
            if len(set(present)) > 1:
                best_cols = {i for i, v in enumerate(values) if v == target}
        return ComparisonRow(str(label), shown, len(set(shown)) > 1, best_cols)

    def choice(t: Trim, name: str) -> str:
        return str(getattr(t, f"get_{name}_display")())

    rows = [
        row(_("Brand / series"), [f"{t.series.brand.name} {t.series.name}" for t in trims]),
        row(_("Model year"), [str(t.model_year) for t in trims]),
        row(_("Energy type"), [choice(t, "energy_type") for t in trims]),
        row(_("Body type"), [choice(t, "body_type") for t in trims]),
        row(_("Seats"), [t.seats for t in trims], best="max"),
        row(_("Drive"), [choice(t, "drive") for t in trims]),
        row(_("Power (kW)"), [t.power_kw for t in trims], best="max"),
        row(_("Electric range (km, CLTC)"), [t.electric_range_km for t in trims], best="max"),
        row(_("Fuel consumption (L/100 km)"), [t.fuel_l_per_100km for t in trims], best="min"),
        row(_("Length × width × height (mm)"), [f"{t.length_mm}×{t.width_mm}×{t.height_mm}" for t in trims]),
        row(_("Wheelbase (mm)"), [t.wheelbase_mm for t in trims], best="max"),
        row(_("Key features"), ["、".join(str(f) for f in t.key_features) or "—" for t in trims]),
        row(_("In stock"), [f.in_stock for f in facts], best="max"),
    ]
    cheapest = min(f.price for f in facts)
    msrp_row = row(_("MSRP"), [money(t.msrp) for t in trims])
    msrp_row.best = (
        {i for i, t in enumerate(trims) if t.msrp == min(x.msrp for x in trims)} if msrp_row.differs else set()
    )
    price_row = row(_("Marked price"), [money(f.price) + ("" if f.price_basis == "marked" else " *") for f in facts])
    price_row.best = {i for i, f in enumerate(facts) if f.price == cheapest} if price_row.differs else set()
    gap_row = ComparisonRow(
        str(_("Difference to the cheapest")),
        ["—" if f.price == cheapest else "+" + money(f.price - cheapest) for f in facts],
        price_row.differs,
    )
    price_rows = [msrp_row, price_row, gap_row]
    price = _pricer(store, now or timezone.now())
    if price is not None:
        priced = _set_discounts(facts, price(facts))
        best_net = min(f.net_price for f in priced)
        price_rows.append(
            row(_("Best promotion (no conditions)"), ["-" + money(f.discount) if f.discount else "—" for f in priced])
        )
        net_row = row(_("After promotions"), [money(f.net_price) for f in priced])
        net_row.best = {i for i, f in enumerate(priced) if f.net_price == best_net} if net_row.differs else set()
        price_rows.append(net_row)
    return Comparison(store=store, trims=trims, facts=facts, rows=rows, price_rows=price_rows)


# ---------------------------------------------------------------- today's appointments


@dataclass
class AppointmentRow:
    appointment: Appointment
    arrived_at: datetime.datetime | None  # the customer's first visit logged today, if any


def appointments_today(store: Store, *, now: datetime.datetime | None = None) -> list[AppointmentRow]:
    """Test drives and handovers booked for the store's day, each with whether the customer has arrived (one query
    per source and one for the visits)."""
    day = local_day(store, now or timezone.now())
    start, end = day_bounds(store, day)
    found = appointments_between(store, start, end)
    arrived: dict[int, datetime.datetime] = {}
    if found:
        for customer_id, at in (
            Visit.objects.filter(
                store=store, arrived_at__gte=start, arrived_at__lt=end, customer_id__in={a.customer.pk for a in found}
            )
            .order_by("arrived_at")
            .values_list("customer_id", "arrived_at")
        ):
            arrived.setdefault(customer_id, at)
    return [AppointmentRow(appointment=a, arrived_at=arrived.get(a.customer.pk)) for a in found]
