"""Showroom: the recommendation over 2,000 trims of a store (load + best promotions + scoring + reasons) and the
traffic board with 300 visits today (the selector, and the page as a browser gets it), each beside the raw SQL
floor of the same queries.

Targets (reported, never asserted): recommendation p95 ≤ 100 ms; traffic board p95 ≤ 80 ms.
"""

import datetime
import random
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.harness import Figure, analyze, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog.models import Brand, MarkedPrice, Series, StockVehicle, Trim
from dealerdesk.customers.models import Customer
from dealerdesk.showroom import selectors
from dealerdesk.showroom.models import Visit
from dealerdesk.showroom.recommend import Needs, as_dict

TRIMS = 2_000
VISITS_TODAY = 300
CONSULTANTS = 12
PROMOTIONS = 60
SAMPLES = 200
WARMUP = 5
RECOMMEND_TARGET = 100.0
BOARD_TARGET = 80.0
BRANDS = [
    ("bench-sr-a", "基准星耀"),
    ("bench-sr-b", "基准远航"),
    ("bench-sr-c", "基准青峰"),
    ("bench-sr-d", "基准北辰"),
]
BODIES = ["suv", "suv", "sedan", "mpv", "hatchback", "wagon"]
ENERGIES = ["bev", "bev", "phev", "erev", "hev", "ice", "ice"]
FEATURES = ["全景天窗", "HUD", "360 影像", "座椅通风", "L2 智能驾驶辅助", "电动尾门", "后排娱乐屏", "空气悬架"]


# ------------------------------------------------------------------------------------------- data


def _store() -> tuple[Store, User, list[User]]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-showroom",
        defaults={"group": group, "name": "基准展厅门店", "city": "深圳", "brands": [c for c, _n in BRANDS]},
    )
    manager = User.objects.filter(username="bench-showroom-manager").first()
    if manager is None:
        manager = User.objects.create_user("bench-showroom-manager", password="Bench#2026", full_name="展厅经理")
        Membership.objects.create(user=manager, store=store, role="sales_manager")
    wanted = [f"bench-showroom-consultant-{i:02d}" for i in range(CONSULTANTS)]
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    User.objects.bulk_create(
        User(username=u, full_name=f"展厅顾问{i:02d}") for i, u in enumerate(wanted) if u not in existing
    )
    consultants = list(User.objects.filter(username__in=wanted).order_by("username"))
    Membership.objects.bulk_create(
        [Membership(user=u, store=store, role="consultant") for u in consultants], ignore_conflicts=True
    )
    return store, User.objects.get(pk=manager.pk), consultants


def _catalogue(store: Store, n: int, rng: random.Random) -> None:
    """n trims over 4 brands and 80 series, a marked price for 90 % of them, stock for 40 %."""
    have = Trim.objects.filter(series__brand__code__in=[c for c, _n in BRANDS]).count()
    if have >= n:
        return
    brands = [Brand.objects.get_or_create(code=c, defaults={"name": name})[0] for c, name in BRANDS]
    series = list(Series.objects.filter(brand__in=brands))
    if not series:
        Series.objects.bulk_create(
            Series(brand=brands[i % 4], code=f"bench-sr-{i}", name=f"车系{i}", body_type=rng.choice(BODIES))
            for i in range(80)
        )
        series = list(Series.objects.filter(brand__in=brands))
    trims = []
    for i in range(have, n):
        s = series[i % len(series)]
        energy = rng.choice(ENERGIES)
        electric = energy in ("bev", "phev", "erev")
        trims.append(
            Trim(
                series=s,
                code=f"bench-sr-trim-{i}",
                name=f"车型{i}",
                model_year=rng.choice([2025, 2026]),
                energy_type=energy,
                body_type=s.body_type,
                seats=7 if s.body_type == "mpv" else rng.choice([5, 5, 5, 6, 7]),
                drive=rng.choice(["fwd", "rwd", "awd"]),
                power_kw=rng.randrange(90, 400),
                electric_range_km=rng.randrange(420, 800)
                if energy == "bev"
                else rng.randrange(50, 250)
                if electric
                else None,
                fuel_l_per_100km=None if energy == "bev" else Decimal(rng.randrange(40, 90)) / 10,
                length_mm=rng.randrange(4300, 5200),
                width_mm=rng.randrange(1780, 2000),
                height_mm=rng.randrange(1450, 1900),
                wheelbase_mm=rng.randrange(2600, 3150),
                key_features=rng.sample(FEATURES, rng.randrange(1, 5)),
                msrp=Decimal(rng.randrange(80, 600) * 1000 - 200),
            )
        )
    Trim.objects.bulk_create(trims, batch_size=500)
    trims = list(Trim.objects.filter(code__in=[t.code for t in trims]))
    now = timezone.now()
    MarkedPrice.objects.bulk_create(
        (
            MarkedPrice(
                store=store,
                trim=t,
                price=t.msrp - rng.choice([0, 2000, 5000]),
                valid_from=now - datetime.timedelta(days=d),
            )
            for t in trims
            if rng.random() < 0.9
            for d in (60, 10)
        ),
        batch_size=1000,
    )
    today = timezone.localdate()
    StockVehicle.objects.bulk_create(
        (
            StockVehicle(
                store=store,
                vin=f"BENCHSR{t.pk:06d}{k:04d}"[:17],
                trim=t,
                status=rng.choice(["in_stock", "in_stock", "in_transit", "reserved"]),
                arrived_on=today - datetime.timedelta(days=rng.randrange(1, 120)),
            )
            for t in trims
            if rng.random() < 0.4
            for k in range(rng.randrange(1, 4))
        ),
        batch_size=1000,
    )


def _promotions(store: Store, rng: random.Random) -> str:
    """Brand- and series-wide promotions, so `best_discounts_for` has work to do (skipped if the app changed)."""
    try:
        from dealerdesk.offers.models import Promotion
    except ImportError:
        return "no offers app: prices before promotions"
    if Promotion.objects.filter(store=store).exists():
        return f"{Promotion.objects.filter(store=store).count()} promotions"
    brands = list(Brand.objects.filter(code__in=[c for c, _n in BRANDS]))
    series = list(Series.objects.filter(brand__in=brands))
    today = timezone.localdate()
    rows = []
    for i in range(PROMOTIONS):
        scope = rng.choice(["brand", "series", "series", "all"])
        exclusive = rng.random() < 0.1
        rows.append(
            Promotion(
                group=store.group,
                store=store,
                name=f"展厅基准活动{i}",
                kind=rng.choice(["cash_discount", "percentage_discount", "insurance_subsidy", "gift"]),
                amount=Decimal(rng.randrange(1000, 9000)),
                percentage=None,
                gift_description="",
                brand=rng.choice(brands) if scope == "brand" else None,
                series=rng.choice(series) if scope == "series" else None,
                trim=None,
                starts_on=today - datetime.timedelta(days=rng.randrange(1, 20)),
                ends_on=today + datetime.timedelta(days=rng.randrange(1, 60)),
                requires_trade_in=rng.random() < 0.2,
                requires_loan=rng.random() < 0.2,
                requires_first_car=False,
                cities=[],
                exclusive=exclusive,
                stacking_group="" if exclusive else f"组{rng.randrange(10)}",
            )
        )
    try:
        Promotion.objects.bulk_create(rows)
    except (TypeError, ValueError) as exc:
        return f"promotions not created ({exc})"
    return f"{PROMOTIONS} promotions"


def _visits_today(store: Store, consultants: list[User], n: int, rng: random.Random) -> None:
    """n visits today (local day): most left, some with a consultant, some waiting; a third linked to customers."""
    start, _end = selectors.day_bounds(store, selectors.local_day(store))
    if Visit.objects.filter(store=store, arrived_at__gte=start).count() >= n:
        return
    if not Customer.objects.filter(store=store).exists():
        Customer.objects.bulk_create(
            Customer(store=store, name=f"展厅客户{i}", mobile=f"+86170{i:08d}", owner=rng.choice(consultants))
            for i in range(n // 3)
        )
    customers = list(Customer.objects.filter(store=store).order_by("pk")[: n // 3])
    now = timezone.now()
    span = max((now - start).total_seconds() - 60, n)
    rows = []
    for i in range(n):
        arrived = start + datetime.timedelta(seconds=span * i / n)
        state = "left" if i < n * 2 // 3 else "with_consultant" if i < n * 9 // 10 else "arrived"
        served = state != "arrived"
        assigned = min(arrived + datetime.timedelta(minutes=rng.randrange(0, 6)), now) if served else None
        rows.append(
            Visit(
                store=store,
                status=state,
                arrived_at=arrived,
                party_size=rng.choice([1, 1, 2, 3]),
                kind=rng.choice(["first", "first", "return", "appointment"]),
                source="walk_in",
                customer=customers[i % len(customers)] if customers and i % 3 == 0 else None,
                consultant=consultants[i % len(consultants)] if served else None,
                assigned_at=assigned,
                left_at=min((assigned or arrived) + datetime.timedelta(minutes=rng.randrange(5, 60)), now)
                if state == "left"
                else None,
            )
        )
    Visit.objects.bulk_create(rows, batch_size=500)


# ------------------------------------------------------------------------------------------- measuring


def _captured(fn) -> list[tuple[str, tuple]]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [(q["sql"], ()) for q in ctx.captured_queries]


def _run_sql(statements: list[tuple[str, tuple]]) -> None:
    with connection.cursor() as cur:
        for sql, _params in statements:
            cur.execute(sql)
            if cur.description is not None:
                cur.fetchall()


def _over(fn, values) -> tuple[float, float]:
    it = iter(values)
    return time_ms(lambda: fn(next(it)), repeat=len(values) - WARMUP, warmup=WARMUP)


def _figure(name: str, fn, values, *, target: float | None, note: str = "") -> Figure:
    """Time fn over the values beside the floor: the SQL each call ran, replayed on the connection."""
    statements = [_captured(lambda v=v: fn(v)) for v in values]
    p50, p95 = _over(fn, values)
    f50, f95 = _over(_run_sql, statements)
    counts = sorted({len(s) for s in statements})
    parts = [f"{counts[0]}" + (f"–{counts[-1]}" if len(counts) > 1 else "") + " queries"]
    if target is not None:
        parts.append(f"target p95 ≤ {target:g} ms{'' if p95 <= target else ' — MISSED'}")
    if note:
        parts.append(note)
    return Figure(name, "ms", p50, p95, f50, f95, note="; ".join(parts))


def _needs(rng: random.Random, n: int) -> list[Needs]:
    out = []
    for _ in range(n):
        low = Decimal(rng.randrange(8, 40) * 10_000)
        out.append(
            Needs(
                budget_min=low,
                budget_max=low + Decimal(rng.choice([30_000, 50_000, 100_000])),
                body_type=rng.choice(["", "suv", "sedan", "mpv"]),
                seats=rng.choice([None, 5, 7]),
                energy_types=tuple(rng.sample(["bev", "phev", "erev", "hev", "ice"], rng.randrange(0, 3))),
                usage=rng.choice(["", "commute", "family", "long_trips"]),
                annual_km=rng.choice([None, 10_000, 20_000, 35_000]),
                home_charging=rng.choice([None, True, False]),
                timeframe=rng.choice(["", "week", "month", "quarter"]),
                must_have=tuple(rng.sample(FEATURES, rng.randrange(0, 3))),
            )
        )
    return out


def run(scale: float) -> list[Figure]:
    rng = random.Random(31)
    n_trims = max(50, int(TRIMS * scale))
    n_visits = max(30, int(VISITS_TODAY * scale))
    store, manager, consultants = _store()
    _catalogue(store, n_trims, rng)
    promotions = _promotions(store, rng)
    _visits_today(store, consultants, n_visits, rng)
    analyze()
    figures: list[Figure] = []
    considered = len(selectors.trim_facts(store))
    print(f"  {considered:,} trims sold by {store.code}, {promotions}; {n_visits} visits today")

    # ---- recommendation: the selector (trims + stock + promotions) and the engine, reasons rendered for the top 10
    values = _needs(rng, SAMPLES + WARMUP)

    def recommend(needs: Needs) -> list[dict]:
        result = selectors.recommendations_for(manager, store, needs, limit=10)
        return [as_dict(r) for r in result.results]

    figures.append(
        _figure(
            f"recommendation over {considered:,} trims (top 10)",
            recommend,
            values,
            target=RECOMMEND_TARGET,
            note="marked prices, stock, best promotions, scoring, reasons",
        )
    )
    figures.append(
        _figure(
            f"recommendation: loading {considered:,} trims only",
            lambda _needs: selectors.trim_facts(store),
            values,
            target=None,
        )
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)

    def recommend_api(needs: Needs) -> None:
        body = {
            "budget_min": str(needs.budget_min),
            "budget_max": str(needs.budget_max),
            "body_type": needs.body_type,
            "seats": needs.seats,
            "energy_types": list(needs.energy_types),
            "usage": needs.usage,
            "annual_km": needs.annual_km,
            "home_charging": needs.home_charging,
            "timeframe": needs.timeframe,
            "store": store.pk,
        }
        response = client.post("/api/v1/recommendations/", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"benchmark setup broken: recommendations answered {response.status_code}")

    figures.append(
        _figure("recommendation: POST /api/v1/recommendations/ in-process", recommend_api, values, target=None)
    )

    # ---- traffic board: the selector (one query) and the page with 300 rows rendered
    board_values = list(range(SAMPLES + WARMUP))
    fresh = iter([User.objects.get(pk=manager.pk) for _ in range(2 * len(board_values) + 2)])

    def board(_i: int) -> None:
        selectors.board_for(next(fresh), store)

    figures.append(
        _figure(f"traffic board: selector, {n_visits} visits today", board, board_values, target=BOARD_TARGET)
    )

    def board_page(_i: int) -> None:
        response = client.get(f"/showroom/board/?store={store.code}", HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"benchmark setup broken: the board answered {response.status_code}")

    figures.append(
        _figure(
            f"traffic board: htmx refresh (render {n_visits} rows)",
            board_page,
            board_values,
            target=BOARD_TARGET,
            note="in-process client, session + template",
        )
    )
    return figures
