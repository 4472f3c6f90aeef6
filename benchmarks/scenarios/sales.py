"""Contracts: the signed contract's PDF (Chinese text, ReportLab CID font), the last signature (PDF + SHA-256 + order
signed + vehicle sold), the order list and the archive search over many orders, beside the raw SQL floor of reads.

Target (reported, never asserted): contract PDF generation p95 ≤ 300 ms.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from stdnum.cn import ric

from benchmarks.harness import Figure, analyze, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog.models import Brand, Colour, MarkedPrice, Series, StockVehicle, Trim
from dealerdesk.core.crypto import blind_index
from dealerdesk.core.pagination import keyset_page
from dealerdesk.customers.choices import ContactKind
from dealerdesk.customers.models import ContactPoint, Customer
from dealerdesk.customers.services import ID_PURPOSE
from dealerdesk.sales import selectors, services
from dealerdesk.sales.models import Contract, Order
from dealerdesk.sales.pdf import contract_pdf

ORDERS = 5000
SAMPLES = 60
WARMUP = 3
TARGET_MS = 300.0
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def _vin(n: int) -> str:
    from dealerdesk.core.validators import vin_check_digit

    serial = ""
    for _position in range(6):
        n, digit = divmod(n, len(VIN_CHARS))
        serial = VIN_CHARS[digit] + serial
    body = f"LBS{'A1B2C0T1'}{serial}"
    return body[:8] + vin_check_digit(body) + body[9:]


def _resident_id(n: int) -> str:
    """A valid resident ID number, different for each `n` (one birthday a customer)."""
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=n)
    first17 = f"440304{born:%Y%m%d}{n % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")  # it reads the first 17 of 18


def _user(username: str, store: Store, role: str, name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password="Bench#2026", full_name=name)
        Membership.objects.create(user=user, store=store, role=role)
    return User.objects.get(pk=user.pk)


def _setup(orders: int, contracts: int):
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-sales",
        defaults={
            "group": group,
            "name": "基准合同门店",
            "city": "深圳",
            "brands": ["bench-sales"],
            "address": "深圳市福田区深南大道1号",
            "phone": "0755-88888888",
        },
    )
    consultant = _user("bench-sales-consultant", store, "consultant", "基准顾问")
    manager = _user("bench-sales-manager", store, "sales_manager", "基准经理")
    clerk = _user("bench-sales-clerk", store, "admin_clerk", "基准行政")
    brand, _ = Brand.objects.get_or_create(code="bench-sales", defaults={"name": "基准星耀"})
    series, _ = Series.objects.get_or_create(
        brand=brand, code="bench-sales-s", defaults={"name": "基准车系", "body_type": "suv"}
    )
    trim, _ = Trim.objects.get_or_create(
        series=series,
        code="bench-sales-trim",
        defaults={
            "name": "长续航版",
            "model_year": 2026,
            "energy_type": "bev",
            "body_type": "suv",
            "seats": 5,
            "drive": "rwd",
            "power_kw": 200,
            "electric_range_km": 600,
            "length_mm": 4750,
            "width_mm": 1920,
            "height_mm": 1650,
            "wheelbase_mm": 2900,
            "msrp": Decimal("199800.00"),
        },
    )
    colour, _ = Colour.objects.get_or_create(trim=trim, code="W", defaults={"kind": "exterior", "name": "星河白"})
    MarkedPrice.objects.get_or_create(
        store=store, trim=trim, defaults={"price": Decimal("194800.00"), "valid_from": timezone.now()}
    )
    if Order.objects.filter(store=store).exists():
        return store, consultant, manager, clerk
    today = timezone.localdate()
    total = orders + contracts
    StockVehicle.objects.bulk_create(
        StockVehicle(
            store=store,
            vin=_vin(i),
            trim=trim,
            exterior=colour,
            status="reserved" if i < orders else "in_stock",
            arrived_on=today - datetime.timedelta(days=30),
        )
        for i in range(total)
    )
    vehicles = list(StockVehicle.objects.filter(store=store).order_by("id").values_list("pk", flat=True))
    # the buyer's ID number and address, which the contract states, recorded as the customer page writes them
    ids = [_resident_id(i) for i in range(total)]
    Customer.objects.bulk_create(
        Customer(
            store=store,
            name=f"基准客户{i}",
            mobile=f"+86136{i:08d}",
            id_number=ids[i],
            id_number_index=blind_index(ids[i], purpose=ID_PURPOSE),
            owner=consultant,
            stage="prospect",
        )
        for i in range(total)
    )
    customers = list(Customer.objects.filter(store=store).order_by("id").values_list("pk", flat=True))
    ContactPoint.objects.bulk_create(
        ContactPoint(
            store=store, customer_id=pk, kind=ContactKind.ADDRESS, value=f"深圳市福田区福华三路{i % 300 + 1}号"
        )
        for i, pk in enumerate(customers)
    )
    lines = [
        {
            "kind": "marked_price",
            "code": "",
            "label": str(trim),
            "amount": "194800.00",
            "value": None,
            "optional": False,
        },
        {"kind": "discount", "code": "", "label": "现金优惠", "amount": "-5000.00", "value": None, "optional": False},
        {"kind": "service", "code": "registration", "label": "", "amount": "500.00", "value": None, "optional": True},
        {"kind": "total", "code": "", "label": "", "amount": "190300.00", "value": None, "optional": False},
    ]
    Order.objects.bulk_create(
        Order(
            store=store,
            number=f"BENCH{i:08d}",
            customer_id=customers[i],
            consultant=consultant,
            created_by=consultant,
            status="draft" if i >= orders else ("signed" if i % 3 else "draft"),
            trim=trim,
            exterior=colour,
            price_lines=lines,
            marked_price_amount=Decimal("194800.00"),
            total=Decimal("190300.00"),
            deposit_amount=Decimal("5000.00"),
            stock_vehicle_id=vehicles[i],
            planned_delivery_on=today + datetime.timedelta(days=10),
            delivery_place="交车区",
        )
        for i in range(total)
    )
    # signed contracts in the archive for the search figure: the first orders, written as the service would
    pending = list(Order.objects.filter(store=store, number__gte=f"BENCH{orders:08d}").order_by("id"))
    for order in pending:
        Order.objects.filter(pk=order.pk).update(stock_vehicle=None)
        services.order_allocate(actor=consultant, order=order, stock_vehicle=StockVehicle(pk=order.stock_vehicle_id))
        contract = services.contract_create(actor=consultant, order=order)
        services.contract_fill(actor=consultant, contract=contract)
        contract = services.contract_submit(actor=consultant, contract=contract)
        services.contract_sign(actor=consultant, contract=contract, party="customer", typed_name=order.customer.name)
        services.contract_sign(actor=consultant, contract=contract, party="consultant")
    analyze()
    return store, consultant, manager, clerk


def _floor(qs) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, params


def _run_sql(statement) -> None:
    with connection.cursor() as cur:
        cur.execute(*statement)
        cur.fetchall()


def run(scale: float) -> list[Figure]:
    orders = max(int(ORDERS * min(scale, 1.0)), 200)
    samples = max(int(SAMPLES * min(scale, 1.0)), 20) + WARMUP
    store, _consultant, manager, clerk = _setup(orders, samples)
    pending = list(
        Contract.objects.filter(store=store, status="pending_signature").select_related("order").order_by("id")
    )
    figures: list[Figure] = []

    # the PDF alone, from a filled text with the customer's signature
    sample = pending[0]
    p50, p95 = time_ms(lambda: contract_pdf(sample, store=store), repeat=samples, warmup=WARMUP)
    figures.append(
        Figure(
            "sales: contract PDF generation",
            "ms",
            p50,
            p95,
            note=f"{len(contract_pdf(sample, store=store)) // 1024} KiB; target p95 ≤ {TARGET_MS:g} ms"
            f"{'' if p95 <= TARGET_MS else ' — MISSED'}",
        )
    )

    # the manager's signature that completes each contract: PDF + hash + order signed + vehicle sold + stage
    it = iter(pending)
    s50, s95 = time_ms(
        lambda: services.contract_sign(actor=manager, contract=next(it), party="manager"),
        repeat=len(pending) - WARMUP,
        warmup=WARMUP,
    )
    figures.append(
        Figure(
            "sales: last signature (PDF, SHA-256, order signed)",
            "ms",
            s50,
            s95,
            note="one transaction, the stored PDF included",
        )
    )

    # the order list page (50, keyset) and the archive search by VIN tail, over all orders
    def order_page():
        return keyset_page(selectors.order_list_for(manager), cursor=None, size=50).items

    statement = _floor(selectors.order_list_for(manager).order_by("-id")[:51])
    l50, l95 = time_ms(order_page, repeat=samples, warmup=WARMUP)
    f50, f95 = time_ms(lambda: _run_sql(statement), repeat=samples, warmup=WARMUP)
    figures.append(Figure(f"sales: order list page, {orders} orders", "ms", l50, l95, f50, f95))

    vin_tail = Contract.objects.filter(store=store, status="signed").select_related("order__stock_vehicle").first()
    tail = vin_tail.order.stock_vehicle.vin[-6:] if vin_tail else "000000"

    def archive():
        return list(selectors.contract_archive_for(clerk, vin=tail)[:50])

    statement = _floor(selectors.contract_archive_for(clerk, vin=tail)[:50])
    a50, a95 = time_ms(archive, repeat=samples, warmup=WARMUP)
    af50, af95 = time_ms(lambda: _run_sql(statement), repeat=samples, warmup=WARMUP)
    figures.append(Figure("sales: archive search by VIN tail", "ms", a50, a95, af50, af95))
    return figures
