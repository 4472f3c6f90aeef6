"""The registration tracker with 5,000 open cases (at scale 1): the selector's first page (keyset, 50 rows with
their document counts), a deep page, the overdue filter, and the rendered tracker page through the full request
stack, beside the raw SQL floor of the selector's queries.

Target (reported, never asserted): the tracker p95 ≤ 80 ms.
"""

import datetime
import random
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.utils import timezone

from benchmarks.harness import Figure, analyze, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog.models import Brand, Series, StockVehicle, Trim
from dealerdesk.core.pagination import keyset_page
from dealerdesk.customers.models import Customer
from dealerdesk.registrations import selectors
from dealerdesk.registrations.choices import Case, checklist_for
from dealerdesk.registrations.models import Registration, RegistrationDocument
from dealerdesk.sales.models import Order

OPEN_CASES = 5000
CLOSED_CASES = 2000
SAMPLES = 200
WARMUP = 5
TARGET_MS = 80.0
OPEN = ["collecting_documents", "submitted", "plate_issued"]


def _setup(rng: random.Random, open_cases: int) -> tuple[Store, User]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-registrations",
        defaults={"group": group, "name": "基准上牌门店", "city": "深圳", "brands": ["bench-reg"]},
    )
    clerk = User.objects.filter(username="bench-reg-clerk").first()
    if clerk is None:
        clerk = User.objects.create_user("bench-reg-clerk", password="Bench#2026", full_name="基准上牌专员")
        Membership.objects.create(user=clerk, store=store, role="admin_clerk")
        consultant = User.objects.create_user("bench-reg-consultant", password="Bench#2026", full_name="基准顾问")
        Membership.objects.create(user=consultant, store=store, role="consultant")
    if not Registration.objects.filter(store=store).exists():
        _cases(store, clerk, rng, open_cases)
    analyze()
    return store, clerk


def _cases(store: Store, clerk: User, rng: random.Random, open_cases: int) -> None:
    consultant = User.objects.get(username="bench-reg-consultant")
    brand, _ = Brand.objects.get_or_create(code="bench-reg", defaults={"name": "基准品牌"})
    series = Series.objects.create(brand=brand, code="bench-reg-s", name="基准车系", body_type="suv")
    trim = Trim.objects.create(
        series=series,
        code="bench-reg-trim",
        name="基准车型",
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
        msrp=Decimal("189800.00"),
    )
    total = open_cases + CLOSED_CASES
    Customer.objects.bulk_create(
        Customer(store=store, name=f"上牌客户{i}", mobile=f"+86138{i:08d}", owner=consultant) for i in range(total)
    )
    customers = list(Customer.objects.filter(store=store).order_by("id").values_list("pk", flat=True))
    StockVehicle.objects.bulk_create(
        StockVehicle(store=store, vin=f"BENCHREG{i:09d}", trim=trim, status="delivered") for i in range(total)
    )
    vehicles = list(StockVehicle.objects.filter(store=store).order_by("id").values_list("pk", flat=True))
    now = timezone.now()
    Order.objects.bulk_create(
        Order(
            store=store,
            number=f"BR-{i:07d}",
            customer_id=customers[i],
            consultant=consultant,
            status="delivered",
            trim=trim,
            marked_price_amount=trim.msrp,
            total=trim.msrp,
            amount_paid=trim.msrp,
            stock_vehicle_id=vehicles[i],
            signed_at=now - datetime.timedelta(days=40),
            delivered_at=now - datetime.timedelta(days=rng.randrange(1, 40)),
            created_by=consultant,
        )
        for i in range(total)
    )
    orders = list(Order.objects.filter(store=store).order_by("id").values_list("pk", "customer_id", "stock_vehicle_id"))
    today = timezone.localdate()
    rows = []
    for i, (order_id, customer_id, vehicle_id) in enumerate(orders):
        status = rng.choice(OPEN) if i < open_cases else "completed"
        plated = status in ("plate_issued", "completed")
        rows.append(
            Registration(
                store=store,
                order_id=order_id,
                customer_id=customer_id,
                stock_vehicle_id=vehicle_id,
                number=f"BR-{i:07d}",
                status=status,
                clerk=clerk,
                target_on=today + datetime.timedelta(days=rng.randrange(-10, 25)),
                target_from_delivery=True,
                new_energy=True,
                opened_at=now - datetime.timedelta(days=rng.randrange(1, 40)),
                plate=f"粤B{i:05d}" if plated else "",
                created_by=clerk,
            )
        )
    Registration.objects.bulk_create(rows, batch_size=1000)
    kinds = checklist_for(Case(new_energy=True))
    regs = Registration.objects.filter(store=store).values_list("pk", "status")
    docs = []
    for pk, status in regs:
        for position, kind in enumerate(kinds):
            received = status != "collecting_documents" or rng.random() < 0.5
            docs.append(
                RegistrationDocument(
                    registration_id=pk,
                    store=store,
                    kind=kind,
                    position=position,
                    holder="customer" if received else "",
                    received_at=now if received else None,
                    received_by=clerk if received else None,
                )
            )
    RegistrationDocument.objects.bulk_create(docs, batch_size=2000)


def _captured(fn) -> list[tuple[str, tuple]]:
    statements: list[tuple[str, tuple]] = []

    def wrapper(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return statements


def _replay(statements: list[tuple[str, tuple]]) -> None:
    with connection.cursor() as cur:
        for sql, params in statements:
            cur.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()


def run(scale: float) -> list[Figure]:
    rng = random.Random(2026)
    open_cases = max(int(OPEN_CASES * scale), 500)
    store, clerk = _setup(rng, open_cases)
    stores = [store]
    n = max(int(SAMPLES * min(scale, 1.0)), 40)
    live = Registration.objects.filter(store=store, status__in=OPEN).count()

    def page(cursor=None, overdue=False):
        qs = selectors.registration_tracker(clerk, stores, overdue=overdue)
        return selectors.tracker_page(qs, stores, cursor=cursor).items

    def first_page():
        return page()

    middle = keyset_page(
        selectors.registration_tracker(clerk, stores).filter(
            pk__lt=Registration.objects.filter(store=store)
            .order_by("-id")
            .values_list("pk", flat=True)[open_cases // 2]
        ),
        cursor=None,
        size=1,
    ).items[0]
    from dealerdesk.core.pagination import _encode

    deep_cursor = _encode({"id": middle.pk})

    def deep_page():
        return page(deep_cursor)

    def overdue_page():
        return page(overdue=True)

    figures = []
    for name, fn in (
        ("registrations: tracker selector, first page", first_page),
        ("registrations: tracker selector, deep page", deep_page),
        ("registrations: overdue selector, first page", overdue_page),
    ):
        statements = _captured(fn)
        p50, p95 = time_ms(fn, repeat=n, warmup=WARMUP)
        f50, f95 = time_ms(lambda s=statements: _replay(s), repeat=n, warmup=WARMUP)
        figures.append(
            Figure(
                name,
                "ms",
                p50,
                p95,
                f50,
                f95,
                note=f"{len(statements)} queries; {live} open cases; target p95 ≤ {TARGET_MS:g} ms"
                f"{'' if p95 <= TARGET_MS else ' — MISSED'}",
            )
        )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(clerk)
    for name, url in (
        ("registrations: tracker page (HTTP, rendered)", "/registrations/"),
        ("registrations: overdue page (HTTP, rendered)", "/registrations/overdue/"),
    ):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        p50, p95 = time_ms(lambda u=url: client.get(u), repeat=n, warmup=WARMUP)
        figures.append(
            Figure(
                name,
                "ms",
                p50,
                p95,
                note=f"50 rows of {live} open cases; target p95 ≤ {TARGET_MS:g} ms"
                f"{'' if p95 <= TARGET_MS else ' — MISSED'}",
            )
        )
    return figures
