"""Demo deliveries and gifts for `dealerdesk demo_data`: each demo store gets gift items (one out of stock) with a
gift rule, and deliveries at every status — booked for tomorrow, booked with the 合格证 still at the lender and a
gift short, prepared, and handed over with the signed confirmation. The orders behind them are created here
(numbers `DEMO-D-…`, signed and paid) for stock vehicles no order holds. Idempotent: a store that already has
`DEMO-D-` orders is left alone."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.catalog.choices import CertificateHolder, StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import Stage
from dealerdesk.customers.models import Customer
from dealerdesk.sales.choices import LIVE_ORDER_STATUSES, OrderStatus
from dealerdesk.sales.demo import record_paid_in_full
from dealerdesk.sales.models import Order

from . import services
from .choices import DocumentKind, ExplanationItem
from .models import Delivery, DeliveryDocument, GiftItem, PdiCheck, PromisedGift

DEMO_STORES = ("sz-futian", "gz-tianhe")
PREFIX = "DEMO-D-"
# (plan, days from today, hour): every status, plus the day-before reminder and a lender-held certificate
PLANS = (
    ("handed_over", 1, 10),
    ("prepared", 1, 14),
    ("scheduled", 1, 16),
    ("lender", 3, 10),
)
GIFTS = (("全车脚垫", "300.00", 30), ("行车记录仪", "599.00", 6), ("车载冰箱", "899.00", 0))
PROMISED_GIFTS = "购车礼: 行车记录仪 + 全车脚垫"  # the gift line of the demo orders' contracts


def load(stdout=None) -> int:
    """Create the demo gifts and deliveries that are missing; returns how many deliveries were created."""
    created = 0
    for store in Store.objects.filter(code__in=DEMO_STORES).order_by("code"):
        created += _store(store)
    if stdout:
        stdout.write(f"demo deliveries: {created} new" if created else "demo deliveries: already loaded")
    return created


def _staff(store: Store, role: str):
    membership = (
        Membership.objects.filter(store=store, role=role, is_active=True).select_related("user").order_by("id").first()
    )
    return membership.user if membership else None


def _store(store: Store) -> int:
    if Order.objects.filter(store=store, number__startswith=PREFIX).exists():
        return 0
    consultant, manager, clerk, admin = (
        _staff(store, r) for r in ("consultant", "sales_manager", "admin_clerk", "store_admin")
    )
    if None in (consultant, manager, clerk, admin):
        return 0
    gifts = _gifts(store, admin)
    held = set(Order.objects.filter(status__in=sorted(LIVE_ORDER_STATUSES)).values_list("stock_vehicle_id", flat=True))
    vehicles = [
        v
        for v in StockVehicle.objects.filter(store=store, status=StockStatus.IN_STOCK, is_demo=False)
        .select_related("trim")
        .order_by("-arrived_on", "-id")[:40]
        if v.pk not in held
    ]
    busy = set(Order.objects.filter(status__in=sorted(LIVE_ORDER_STATUSES)).values_list("customer_id", flat=True))
    customers = [
        c
        for c in Customer.objects.filter(
            store=store, merged_into__isnull=True, erased_at__isnull=True, stage__in=[Stage.PROSPECT, Stage.LEAD]
        ).order_by("-id")[:60]
        if c.pk not in busy
    ]
    created = 0
    for index, (plan, days, hour) in enumerate(PLANS):
        if not vehicles or not customers:
            break
        vehicle, customer = vehicles.pop(0), customers.pop(0)
        with transaction.atomic():
            _delivery(store, plan, days, hour, index, vehicle, customer, consultant, manager, clerk, gifts)
        created += 1
    return created


def _gifts(store: Store, admin) -> dict[str, GiftItem]:
    gifts = {g.name: g for g in GiftItem.objects.filter(store=store)}
    for name, value, stock in GIFTS:
        if name not in gifts:
            gifts[name] = services.gift_create(actor=admin, store=store, name=name, unit_value=value, stock=stock)
            if name == "全车脚垫":
                services.gift_rule_create(actor=admin, gift=gifts[name], quantity=1, min_order_total="100000")
    return gifts


def _delivery(store, plan, days, hour, index, vehicle, customer, consultant, manager, clerk, gifts) -> Delivery:
    now = timezone.now()
    seller = consultant if customer.owner_id in (None, consultant.pk) else manager
    if customer.owner_id is None:
        Customer.objects.filter(pk=customer.pk).update(owner=consultant)
        customer.owner_id = consultant.pk
    # a signed order's vehicle is sold (as the sales app leaves it on signing), whoever holds the certificate
    StockVehicle.objects.filter(pk=vehicle.pk).update(status=StockStatus.SOLD)
    if plan == "lender":
        StockVehicle.objects.filter(pk=vehicle.pk).update(certificate_holder=CertificateHolder.LENDER)
    total = (vehicle.trim.msrp - Decimal("5000.00")).quantize(Decimal("0.01"))
    # the price as the offer would have made it, with the gifts the contract promised
    price_lines = [
        {"kind": "marked_price", "code": "", "label": str(vehicle.trim), "amount": str(vehicle.trim.msrp)},
        {"kind": "discount", "code": "cash_discount", "label": "现金优惠", "amount": "-5000.00"},
        {"kind": "gift", "code": "gift", "label": PROMISED_GIFTS, "amount": "0.00", "value": "899.00"},
        {"kind": "total", "code": "", "label": "", "amount": str(total)},
    ]
    order = Order.objects.create(
        store=store,
        number=f"{PREFIX}{store.code.upper()}-{index + 1:03d}",
        customer=customer,
        consultant=consultant,
        status=OrderStatus.SIGNED,
        trim=vehicle.trim,
        exterior=vehicle.exterior,
        interior=vehicle.interior,
        marked_price_amount=vehicle.trim.msrp,
        total=total,
        price_lines=price_lines,
        deposit_amount=Decimal("5000.00"),
        amount_paid=total,
        stock_vehicle=vehicle,
        planned_delivery_on=timezone.localdate() + datetime.timedelta(days=days),
        delivery_place=f"{store.name}交车区",
        signed_at=now - datetime.timedelta(days=5),
        created_by=consultant,
        created_at=now - datetime.timedelta(days=6),
    )
    record_paid_in_full(order, recorded_by=clerk, received_at=now - datetime.timedelta(days=1))
    for stage in services.stage_path(customer.stage):
        if stage == Stage.OWNER:
            break
        customer = customer_services.customer_change_stage(actor=seller, customer=customer, stage=stage)
    day = timezone.localtime(now, store.tz).date() + datetime.timedelta(days=days)
    when = datetime.datetime.combine(day, datetime.time(hour), tzinfo=store.tz)
    bay = "1号交车区" if index % 2 == 0 else "2号交车区"
    delivery = services.delivery_schedule(actor=consultant, order=order, scheduled_at=when, bay=bay)
    if plan == "lender":
        services.delivery_gift_set(actor=clerk, delivery=delivery, gift=gifts["车载冰箱"], quantity=1)
        services.document_record_holder(
            actor=clerk,
            delivery=delivery,
            kind=DocumentKind.CERTIFICATE_OF_CONFORMITY,
            holder=CertificateHolder.LENDER,
            holder_name="平安银行汽车金融部",
            promised_on=day - datetime.timedelta(days=1),
        )
        for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True)[:3]:
            services.pdi_check(actor=clerk, delivery=delivery, code=code, passed=True)
        return delivery
    if plan == "scheduled":
        services.pdi_check(
            actor=clerk, delivery=delivery, code="exterior", passed=False, note="右前轮毂轻微划痕，已安排修复"
        )
        return delivery
    services.delivery_gift_set(actor=clerk, delivery=delivery, gift=gifts["行车记录仪"], quantity=1)
    for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True):
        services.pdi_check(actor=clerk, delivery=delivery, code=code, passed=True)
    for kind in DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True):
        services.document_receive(
            actor=clerk,
            delivery=delivery,
            kind=kind,
            invoice_number=f"44{store.pk:02d}{order.pk:06d}",
            invoice_date=timezone.localdate() - datetime.timedelta(days=1),
        )
    delivery = services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    if plan == "prepared":
        return delivery
    delivery, _warnings = services.delivery_record_handover(
        actor=seller, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=12
    )
    for promised in PromisedGift.objects.filter(delivery=delivery).order_by("position"):
        services.promised_gift_hand_over(
            actor=seller, delivery=delivery, promised=promised, gift=gifts.get(promised.item)
        )
    delivery = services.delivery_confirm(actor=seller, delivery=delivery, customer_name=customer.name)
    # the handover happened yesterday: move the appointment into the past where it belongs
    past = when - datetime.timedelta(days=days + 1)
    Delivery.objects.filter(pk=delivery.pk).update(scheduled_at=past, ends_at=past + (delivery.ends_at - when))
    return delivery
