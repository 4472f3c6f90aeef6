"""Builders for the deliveries tests: a ready order, a booked delivery, a fully prepared one, gifts.

`ready_order(store, consultant)` is a signed, fully paid order of the consultant's own customer (stage `ordered`).
`booked(store, consultant, clerk)` books it through the service; `prepared(...)` also passes PDI and receives the
whole pack; `explained(...)` records the handover so only the signatures are left.
"""

import base64
import datetime
import io
from decimal import Decimal

import factory
from django.utils import timezone

from dealerdesk.deliveries import services
from dealerdesk.deliveries.choices import ExplanationItem
from dealerdesk.deliveries.models import Delivery, DeliveryDocument, GiftItem, PdiCheck
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.factories import StoreFactory
from tests.sales.factories import OrderFactory

D = Decimal


class GiftItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GiftItem

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"全车脚垫{n}")
    unit_value = D("300.00")
    stock = 10


def ready_order(store, consultant, *, vin=None, customer=None, **fields):
    """A signed, paid order of `consultant`'s customer (stage ordered), for a new in-stock car of `store`."""
    customer = customer or CustomerFactory(store=store, owner=consultant, stage="ordered")
    if vin:
        fields["stock_vehicle"] = StockVehicleFactory(store=store, vin=vin, **fields.pop("vehicle", {}))
    elif "vehicle" in fields:
        fields["stock_vehicle"] = StockVehicleFactory(store=store, **fields.pop("vehicle"))
    return OrderFactory(store=store, customer=customer, consultant=consultant, **fields)


def slot(days: int = 2, hour: int = 10, store=None) -> datetime.datetime:
    """A time `days` from now at `hour`:00, store time (Asia/Shanghai by default)."""
    tz = store.tz if store else timezone.get_current_timezone()
    day = timezone.localtime(timezone.now(), tz).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)


def booked(store, consultant, actor=None, *, when=None, bay="1号交车区", order=None, **order_fields) -> Delivery:
    order = order or ready_order(store, consultant, **order_fields)
    return services.delivery_schedule(
        actor=actor or consultant, order=order, scheduled_at=when or slot(store=store), bay=bay
    )


def pass_pdi(delivery: Delivery, actor) -> None:
    for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True):
        services.pdi_check(actor=actor, delivery=delivery, code=code, passed=True)


def receive_pack(delivery: Delivery, actor, *, skip=()) -> None:
    for kind in DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True):
        if kind in skip:
            continue
        services.document_receive(
            actor=actor,
            delivery=delivery,
            kind=kind,
            invoice_number="No.44031234",
            invoice_date=timezone.localdate() - datetime.timedelta(days=1),
        )


def prepared(store, consultant, clerk, **kwargs) -> Delivery:
    delivery = booked(store, consultant, **kwargs)
    pass_pdi(delivery, clerk)
    receive_pack(delivery, clerk)
    return services.delivery_mark_prepared(actor=clerk, delivery=delivery)


def explained(store, consultant, clerk, *, odometer_km=8, **kwargs) -> Delivery:
    delivery = prepared(store, consultant, clerk, **kwargs)
    delivery, _warnings = services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=odometer_km
    )
    return delivery


def signature_png() -> str:
    """A small drawn signature as the canvas sends it: a PNG data URL."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 40), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(5, 30), (40, 8), (80, 32), (115, 10)], fill=(0, 0, 0, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
