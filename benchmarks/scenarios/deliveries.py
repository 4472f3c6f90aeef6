"""Delivery confirmation (交车确认单) PDF: generating it from the loaded rows (vehicle, nine documents, two gifts, a
drawn signature), the same with the rows loaded first (what signing does), and downloading the stored PDF over the
API, among 2,000 deliveries (at scale 1).

Target (reported, never asserted): delivery-confirmation PDF p95 ≤ 300 ms.
"""

import datetime
import hashlib
import io
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.harness import Figure, analyze, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog.models import Brand, Colour, Series, StockVehicle, Trim
from dealerdesk.customers.models import Customer
from dealerdesk.deliveries.choices import DocumentKind, ExplanationItem, documents_for
from dealerdesk.deliveries.models import Delivery, DeliveryDocument, DeliveryGift, GiftItem
from dealerdesk.deliveries.pdf import confirmation_pdf
from dealerdesk.sales.models import Order

DELIVERIES = 2000
SAMPLES = 100
TARGET_MS = 300.0


def _signature() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (420, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 90), (120, 20), (220, 100), (400, 30)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _vin(n: int) -> str:
    return f"LBD{n:014d}"[:17]


def _setup(count: int) -> tuple[User, list[int]]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-deliveries",
        defaults={"group": group, "name": "基准交车门店", "city": "深圳", "brands": ["bench-dl"], "address": "深圳"},
    )
    user = User.objects.filter(username="bench-deliveries-manager").first()
    if user is None:
        user = User.objects.create_user("bench-deliveries-manager", password="Bench#2026", full_name="基准经理")
        Membership.objects.create(user=user, store=store, role="sales_manager")
    existing = list(Delivery.objects.filter(store=store).values_list("pk", flat=True))
    if len(existing) >= count:
        return user, existing[:count]
    brand, _ = Brand.objects.get_or_create(code="bench-dl", defaults={"name": "基准交车品牌"})
    series = Series.objects.create(brand=brand, code="bench-dl-s", name="基准车系", body_type="suv")
    trim = Trim.objects.create(
        series=series,
        code="bench-dl-trim",
        name="基准 EV 长续航版",
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
        msrp=Decimal("199800.00"),
    )
    exterior = Colour.objects.create(trim=trim, kind="exterior", code="W1", name="星河白")
    interior = Colour.objects.create(trim=trim, kind="interior", code="B1", name="曜石黑")
    now = timezone.now()
    gifts = [
        GiftItem.objects.create(store=store, name="全车脚垫", unit_value=Decimal("300.00"), stock=10000),
        GiftItem.objects.create(store=store, name="行车记录仪", unit_value=Decimal("599.00"), stock=10000),
    ]
    signature = _signature()
    kinds = documents_for("domestic", "bev")
    batch = 500
    for start in range(0, count, batch):
        n = min(batch, count - start)
        customers = Customer.objects.bulk_create(
            Customer(store=store, name=f"基准车主{start + i}", mobile=f"+86136{start + i:08d}", stage="owner")
            for i in range(n)
        )
        vehicles = StockVehicle.objects.bulk_create(
            StockVehicle(
                store=store, vin=_vin(start + i), trim=trim, exterior=exterior, interior=interior, status="delivered"
            )
            for i in range(n)
        )
        orders = Order.objects.bulk_create(
            Order(
                store=store,
                number=f"BENCH-D-{start + i:06d}",
                customer=c,
                consultant=user,
                status="delivered",
                trim=trim,
                exterior=exterior,
                interior=interior,
                marked_price_amount=Decimal("199800.00"),
                total=Decimal("194800.00"),
                amount_paid=Decimal("194800.00"),
                stock_vehicle=v,
                created_by=user,
            )
            for i, (c, v) in enumerate(zip(customers, vehicles, strict=True))
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                store=store,
                number=o.number,
                order=o,
                customer=o.customer,
                consultant=user,
                vehicle=o.stock_vehicle,
                status="handed_over",
                scheduled_at=now - datetime.timedelta(minutes=90 * (start + i + 1)),
                ends_at=now - datetime.timedelta(minutes=90 * (start + i)),
                bay="1号交车区",
                origin="domestic",
                origin_source="vin",
                invoice_number=f"4403{start + i:08d}",
                invoice_date=timezone.localdate(),
                explained=list(ExplanationItem.values),
                odometer_km=12,
                customer_signed_name=o.customer.name,
                customer_signed_at=now,
                customer_signature_png=signature,
                consultant_signed_by=user,
                consultant_signed_at=now,
                handed_over_at=now,
                confirmation_sha256="0" * 64,
                created_by=user,
            )
            for i, o in enumerate(orders)
        )
        DeliveryDocument.objects.bulk_create(
            DeliveryDocument(
                delivery=d,
                kind=k,
                position=p,
                quantity=2 if k == DocumentKind.KEYS else 1,
                received_at=now,
                received_by=user,
            )
            for d in deliveries
            for p, k in enumerate(kinds)
        )
        DeliveryGift.objects.bulk_create(
            DeliveryGift(delivery=d, gift=g, quantity=1, handed_over_at=now) for d in deliveries for g in gifts
        )
    analyze()
    return user, list(Delivery.objects.filter(store=store).values_list("pk", flat=True)[:count])


def _load(pk: int):
    delivery = Delivery.objects.select_related(
        "store",
        "customer",
        "consultant",
        "consultant_signed_by",
        "vehicle__trim__series__brand",
        "vehicle__exterior",
        "vehicle__interior",
    ).get(pk=pk)
    documents = list(DeliveryDocument.objects.filter(delivery_id=pk).order_by("position"))
    gifts = list(DeliveryGift.objects.filter(delivery_id=pk).select_related("gift"))
    return delivery, documents, gifts


def run(scale: float) -> list[Figure]:
    count = max(int(DELIVERIES * scale), 50)
    user, ids = _setup(count)
    samples = max(int(SAMPLES * min(scale * 2, 1.0)), 30)
    picks = [ids[(i * 7919) % len(ids)] for i in range(samples + 5)]
    loaded = [_load(pk) for pk in picks]

    index = iter(range(10**9))
    p50, p95 = time_ms(lambda: confirmation_pdf(*loaded[next(index) % len(loaded)]), repeat=samples)
    size = len(confirmation_pdf(*loaded[0]))
    figures = [
        Figure(
            "deliveries: confirmation PDF (render)",
            "ms",
            p50,
            p95,
            note=f"9 documents, 2 gifts, drawn signature; {size // 1024} kB; target p95 ≤ {TARGET_MS:g} ms"
            f"{'' if p95 <= TARGET_MS else ' — MISSED'}",
        )
    ]

    def load_and_render():
        pk = picks[next(index) % len(picks)]
        content = confirmation_pdf(*_load(pk))
        return hashlib.sha256(content).hexdigest()

    with CaptureQueriesContext(connection) as ctx:
        load_and_render()
    l50, l95 = time_ms(load_and_render, repeat=samples)
    figures.append(
        Figure(
            "deliveries: confirmation PDF (load + render + hash)",
            "ms",
            l50,
            l95,
            note=f"{len(ctx.captured_queries)} queries; {len(ids)} deliveries; target p95 ≤ {TARGET_MS:g} ms"
            f"{'' if l95 <= TARGET_MS else ' — MISSED'}",
        )
    )
    # the stored PDF over the API (what a download costs once signed)
    content = confirmation_pdf(*loaded[0])
    Delivery.objects.filter(pk__in=picks).update(
        confirmation_pdf=content, confirmation_sha256=hashlib.sha256(content).hexdigest()
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def download():
        pk = picks[next(index) % len(picks)]
        response = client.get(f"/api/v1/deliveries/{pk}/confirmation.pdf")
        assert response.status_code == 200, response.status_code
        return response

    d50, d95 = time_ms(download, repeat=samples)
    figures.append(Figure("deliveries: GET confirmation.pdf (stored)", "ms", d50, d95, note="scoped lookup + blob"))
    return figures
