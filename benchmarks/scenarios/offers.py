"""Offer computation with 200 active promotions in scope: the loader (≤ 4 queries) + the engine (every promotion
judged with its reasons, the exact best combination, the breakdown), beside the raw SQL floor of the same queries.
Also the engine alone, saving an offer, the HTTP preview and `best_discounts_for` over every trim of a store.

Target (reported, never asserted): offer computation p95 ≤ 50 ms.
"""

import datetime
import random
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.harness import Figure, analyze, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog.models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim
from dealerdesk.customers.models import Customer
from dealerdesk.offers import engine, selectors, services
from dealerdesk.offers.models import Promotion

PROMOTIONS_IN_SCOPE = 200
PROMOTIONS_ELSEWHERE = 100
TRIMS = 40
SAMPLES = 200
WARMUP = 5
TARGET_MS = 50.0
KINDS = [
    ("cash_discount", None),
    ("percentage_discount", None),
    ("finance_subsidy", None),
    ("trade_in_subsidy", None),
    ("insurance_subsidy", None),
    ("gift", "精品礼包"),
    ("free_maintenance", "两年四次保养"),
]
CITIES = ["深圳", "广州", "东莞", "佛山", ""]


def _setup(rng: random.Random) -> tuple[Store, User, list[Customer], Trim, list[Trim]]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-offers", defaults={"group": group, "name": "基准报价门店", "city": "深圳", "brands": ["bench-xy"]}
    )
    user = User.objects.filter(username="bench-offers-consultant").first()
    if user is None:
        user = User.objects.create_user("bench-offers-consultant", password="Bench#2026", full_name="基准顾问")
        Membership.objects.create(user=user, store=store, role="consultant")
    brand, _ = Brand.objects.get_or_create(code="bench-xy", defaults={"name": "基准星耀"})
    if not Trim.objects.filter(series__brand=brand).exists():
        _catalogue(store, brand, rng)
    trims = list(Trim.objects.filter(series__brand=brand).select_related("series").order_by("id"))
    target = trims[0]
    if not Promotion.objects.filter(store=store).exists():
        _promotions(store, target, trims, rng)
    customers = list(Customer.objects.filter(store=store).order_by("id"))
    if not customers:
        Customer.objects.bulk_create(
            Customer(store=store, name=f"基准客户{i}", mobile=f"+86137{i:08d}", owner=user, city=rng.choice(CITIES))
            for i in range(50)
        )
        customers = list(Customer.objects.filter(store=store).order_by("id"))
    analyze()
    return store, user, customers, target, trims


def _catalogue(store: Store, brand: Brand, rng: random.Random) -> None:
    series = [
        Series.objects.create(brand=brand, code=f"bench-s{i}", name=f"基准车系{i}", body_type="suv") for i in range(8)
    ]
    trims = [
        Trim(
            series=series[i % len(series)],
            code=f"bench-offers-trim-{i}",
            name=f"基准车型{i}",
            model_year=2026,
            energy_type="bev",
            body_type="suv",
            seats=5,
            drive="rwd",
            power_kw=200,
            electric_range_km=600,
            length_mm=4750,
            width_mm=1920,
            height_mm=1650,
            wheelbase_mm=2900,
            msrp=Decimal(150_000 + 2_000 * i),
        )
        for i in range(TRIMS)
    ]
    Trim.objects.bulk_create(trims)
    now = timezone.now()
    MarkedPrice.objects.bulk_create(
        MarkedPrice(store=store, trim=t, price=t.msrp - 3000, valid_from=now - datetime.timedelta(days=d))
        for t in trims
        for d in (90, 30)
    )
    Colour.objects.bulk_create(
        Colour(trim=t, kind="exterior", code=f"C{j}", name=f"颜色{j}", extra_price=Decimal(j * 1000))
        for t in trims
        for j in range(4)
    )
    Option.objects.bulk_create(
        Option(trim=t, code=f"O{j}", name=f"选装{j}", price=Decimal(3000 + j * 1500)) for t in trims for j in range(5)
    )
    today = timezone.localdate()
    StockVehicle.objects.bulk_create(
        StockVehicle(
            store=store,
            vin=f"BENCHOFFERS{i:06d}",
            trim=t,
            status="in_stock",
            arrived_on=today - datetime.timedelta(days=rng.randrange(1, 200)),
        )
        for i, t in enumerate(trims)
    )


def _promotions(store: Store, target: Trim, trims: list[Trim], rng: random.Random) -> None:
    """200 active promotions in the target trim's scope (brand, series, trim or everything) and 100 elsewhere."""
    today = timezone.localdate()
    rows = []
    for i in range(PROMOTIONS_IN_SCOPE + PROMOTIONS_ELSEWHERE):
        kind, gift = rng.choice(KINDS)
        in_scope = i < PROMOTIONS_IN_SCOPE
        scope = rng.choice(["all", "brand", "series", "trim"])
        other = trims[1 + i % (len(trims) - 1)]
        exclusive = rng.random() < 0.08
        if in_scope:
            brand = target.series.brand if scope == "brand" else None
            series = target.series if scope == "series" else None
            trim = target if scope == "trim" else None
        else:
            brand, series, trim = None, None, other
        rows.append(
            Promotion(
                group=store.group,
                store=store if rng.random() < 0.85 else None,
                name=f"基准活动{i}",
                kind=kind,
                amount=None if kind == "percentage_discount" else Decimal(rng.randrange(500, 9000)),
                percentage=Decimal(rng.randrange(1, 6)) if kind == "percentage_discount" else None,
                gift_description=gift or "",
                brand=brand,
                series=series,
                trim=trim,
                min_stock_age_days=rng.choice([None] * 8 + [30, 90]),
                starts_on=today - datetime.timedelta(days=rng.randrange(1, 20)),
                ends_on=today + datetime.timedelta(days=rng.randrange(1, 60)),
                requires_trade_in=rng.random() < 0.2,
                requires_loan=rng.random() < 0.2,
                requires_first_car=rng.random() < 0.1,
                cities=[rng.choice(CITIES[:4])] if rng.random() < 0.15 else [],
                exclusive=exclusive,
                stacking_group="" if exclusive else f"组{rng.randrange(25)}",
                budget_remaining=Decimal(rng.randrange(0, 200_000)) if rng.random() < 0.2 else None,
                quantity_remaining=rng.randrange(0, 30) if rng.random() < 0.1 else None,
                needs_approval=rng.random() < 0.1,
            )
        )
    Promotion.objects.bulk_create(rows)


def _requests(rng: random.Random, target: Trim, customers: list[Customer], n: int) -> list[tuple]:
    colours = list(Colour.objects.filter(trim=target).values_list("pk", flat=True))
    options = list(Option.objects.filter(trim=target).values_list("pk", flat=True))
    out = []
    for _ in range(n):
        request = services.OfferRequest(
            trim_id=target.pk,
            colour_id=rng.choice(colours),
            option_ids=tuple(rng.sample(options, rng.randrange(0, 3))),
            extra_discount=str(rng.choice([0, 500, 2000, 5000])),
            services=({"kind": "insurance", "amount": "4800"},) if rng.random() < 0.5 else (),
            trade_in=rng.random() < 0.5,
            loan=rng.random() < 0.5,
            first_car=rng.random() < 0.3,
            city=rng.choice(CITIES),
        )
        out.append((rng.choice(customers), request))
    return out


def _over(fn, values) -> tuple[float, float]:
    it = iter(values)
    return time_ms(lambda: fn(next(it)), repeat=len(values) - WARMUP, warmup=WARMUP)


def _run_sql(statements: list[tuple[str, tuple]]) -> None:
    with connection.cursor() as cur:
        for sql, params in statements:
            cur.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()


def _captured(fn) -> list[tuple[str, tuple]]:
    """The SQL a call runs, with its parameters, to replay as the floor."""
    statements: list[tuple[str, tuple]] = []

    def wrapper(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return statements


def run(scale: float) -> list[Figure]:
    rng = random.Random(2026)
    store, user, customers, target, trims = _setup(rng)
    n = max(int(SAMPLES * min(scale, 1.0)), 40) + WARMUP
    requests = _requests(rng, target, customers, n)
    now = timezone.now()

    def compute(item):
        _customer, request = item
        return services.offer_quote(
            actor=user,
            store=store,
            customer_context=services.context_with(request, engine.NEUTRAL),
            request=request,
            now=now,
        )

    selectors._LISTED_CACHE.clear()
    with CaptureQueriesContext(connection) as cold_ctx:
        quote = compute(requests[0])
    with CaptureQueriesContext(connection) as warm_ctx:
        compute(requests[0])
    in_scope = sum(
        1 for j in quote.judgements if j.reasons[0].code not in ("wrong_brand", "wrong_series", "wrong_trim")
    )
    figures = []
    statements = [_captured(lambda item=item: compute(item)) for item in requests]
    p50, p95 = _over(compute, requests)
    f50, f95 = _over(_run_sql, statements)
    figures.append(
        Figure(
            "offers: compute (load + engine), 200 in scope",
            "ms",
            p50,
            p95,
            f50,
            f95,
            note=f"{len(warm_ctx.captured_queries)} queries (loader + the store's discount limit); "
            f"{len(quote.judgements)} promotions judged, {in_scope} in scope; "
            f"target p95 ≤ {TARGET_MS:g} ms{'' if p95 <= TARGET_MS else ' — MISSED'}",
        )
    )

    def compute_cold(item):
        selectors._LISTED_CACHE.clear()  # as after any change to the store's promotions
        return compute(item)

    cold_statements = [_captured(lambda item=item: compute_cold(item)) for item in requests]
    c50, c95 = _over(compute_cold, requests)
    cf50, cf95 = _over(_run_sql, cold_statements)
    figures.append(
        Figure(
            "offers: compute, promotions changed (no cache)",
            "ms",
            c50,
            c95,
            cf50,
            cf95,
            note=f"{len(cold_ctx.captured_queries)} queries; target p95 ≤ {TARGET_MS:g} ms"
            f"{'' if c95 <= TARGET_MS else ' — MISSED'}",
        )
    )

    inputs = selectors.offer_inputs_load(store, trim_id=target.pk, now=now)
    vehicle = inputs.vehicle()
    contexts = [services.context_with(r, engine.NEUTRAL) for _c, r in requests]

    def engine_only(context):
        judged = engine.judge_all(inputs.promotions, vehicle, context, inputs.today)
        best = engine.best_combination(judged, vehicle.vehicle_price)
        return engine.breakdown(vehicle, best)

    e50, e95 = _over(engine_only, contexts)
    figures.append(Figure("offers: engine only (judge + best + lines)", "ms", e50, e95, note="pure Python, no SQL"))

    saved = []

    def save(item):
        customer, request = item
        with transaction.atomic():
            saved.append(services.offer_create(actor=user, customer=customer, request=request).pk)

    save_items = requests[: max(n // 4, WARMUP + 10)]
    with CaptureQueriesContext(connection) as ctx:
        save(save_items[0])
    s50, s95 = _over(save, save_items)
    figures.append(
        Figure("offers: save an offer (version 1 + lines)", "ms", s50, s95, note=f"{len(ctx.captured_queries)} queries")
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    bodies = [
        {
            "customer": c.pk,
            "trim": r.trim_id,
            "colour": r.colour_id,
            "options": list(r.option_ids),
            "extra_discount": r.extra_discount,
            "trade_in": r.trade_in,
            "loan": r.loan,
        }
        for c, r in requests[: max(n // 2, WARMUP + 10)]
    ]

    def over_http(body):
        response = client.post("/api/v1/offers/preview/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]

    h50, h95 = _over(over_http, bodies)
    figures.append(Figure("offers: POST /api/v1/offers/preview/ (in-process)", "ms", h50, h95))

    trim_ids = [t.pk for t in trims]
    b50, b95 = time_ms(lambda: selectors.best_discounts_for(store, trim_ids, now), repeat=30, warmup=3)
    figures.append(
        Figure(f"offers: best_discounts_for {len(trim_ids)} trims", "ms", b50, b95, note="for the recommendation")
    )
    return figures
