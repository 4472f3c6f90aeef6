"""Demo registrations for `dealerdesk demo_data`: in each demo store, one case at every status — collecting
documents (one fresh, one financed non-local case past its target), submitted, plate issued, completed, one the
customer registers themselves and one cancelled — each on its own order (numbers `DEMO-R-…`, made directly on the
Order model for in-stock vehicles, so this does not depend on the sales demo). Idempotent: a store that already has
`DEMO-R-` orders is left alone."""

import datetime

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.catalog.choices import StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.customers.models import Customer
from dealerdesk.sales.choices import LIVE_ORDER_STATUSES, LoanStatus, OrderStatus, PaymentMethod
from dealerdesk.sales.demo import record_paid_in_full
from dealerdesk.sales.models import Order

from . import services
from .choices import DEFAULT_HOLDER, NEW_ENERGY_TYPES
from .models import Registration

DEMO_STORES = ("sz-futian", "gz-tianhe")
PREFIX = "DEMO-R-"
# plan: (registration status to reach, days since the order was delivered or None, financed, non-local)
PLANS = (
    ("collecting_documents", None, False, False),
    ("collecting_documents", 30, True, True),
    ("submitted", 8, False, False),
    ("plate_issued", 14, False, False),
    ("completed", 25, True, False),
    ("by_customer", 5, False, False),
    ("cancelled", 3, False, False),
)
PLATE_AREA = {"sz-futian": "粤B", "gz-tianhe": "粤A"}


def load(stdout=None) -> int:
    """Create the demo registrations that are missing; returns how many were created."""
    created = 0
    for store in Store.objects.filter(code__in=DEMO_STORES).order_by("code"):
        created += _store(store)
    if stdout:
        stdout.write(f"demo registrations: {created} new" if created else "demo registrations: already loaded")
    return created


def _staff(store: Store, role: str):
    membership = (
        Membership.objects.filter(store=store, role=role, is_active=True).select_related("user").order_by("id").first()
    )
    return membership.user if membership else None


def _free_vehicles(store: Store, count: int) -> list[StockVehicle]:
    taken = Order.objects.filter(stock_vehicle__isnull=False, status__in=sorted(LIVE_ORDER_STATUSES)).values(
        "stock_vehicle_id"
    )
    return list(
        StockVehicle.objects.filter(store=store, is_demo=False, status=StockStatus.IN_STOCK, plate="")
        .exclude(pk__in=taken)
        .select_related("trim__series__brand")
        .order_by("id")[:count]
    )


def _plate(store: Store, vehicle: StockVehicle, n: int) -> str:
    area = PLATE_AREA.get(store.code, "粤B")
    if vehicle.trim.energy_type in NEW_ENERGY_TYPES:
        return f"{area}D{n:05d}"
    return f"{area}R{n:04d}"


@transaction.atomic
def _store(store: Store) -> int:
    if Order.objects.filter(store=store, number__startswith=PREFIX).exists():
        return 0
    clerk, consultant = _staff(store, "admin_clerk"), _staff(store, "consultant")
    vehicles = _free_vehicles(store, len(PLANS))
    customers = list(
        Customer.objects.filter(store=store, merged_into__isnull=True, erased_at__isnull=True).order_by("-id")[
            : len(PLANS)
        ]
    )
    if clerk is None or consultant is None or len(vehicles) < len(PLANS) or len(customers) < len(PLANS):
        return 0
    now = timezone.now()
    created = 0
    for i, ((plan, days_delivered, financed, non_local), vehicle, customer) in enumerate(
        zip(PLANS, vehicles, customers, strict=True), start=1
    ):
        opened = now - datetime.timedelta(days=(days_delivered or 2) + 1)
        delivered_at = now - datetime.timedelta(days=days_delivered) if days_delivered is not None else None
        total = vehicle.trim.msrp
        order = Order.objects.create(
            store=store,
            number=f"{PREFIX}{store.code}-{i}",
            customer=customer,
            consultant=consultant,
            status=OrderStatus.DELIVERED if delivered_at else OrderStatus.SIGNED,
            trim=vehicle.trim,
            exterior=vehicle.exterior,
            interior=vehicle.interior,
            marked_price_amount=total,
            total=total,
            deposit_amount=min(total, 5000),
            payment_method=PaymentMethod.LOAN if financed else PaymentMethod.FULL,
            loan_status=LoanStatus.APPROVED if financed else LoanStatus.NONE,
            amount_paid=total,
            stock_vehicle=vehicle,
            planned_delivery_on=(delivered_at or now + datetime.timedelta(days=5)).date(),
            delivery_place="交车区",
            signed_at=opened - datetime.timedelta(days=3),
            delivered_at=delivered_at,
            created_by=consultant,
            created_at=opened - datetime.timedelta(days=4),
        )
        record_paid_in_full(order, recorded_by=clerk, received_at=opened - datetime.timedelta(days=2))
        StockVehicle.objects.filter(pk=vehicle.pk).update(
            status=StockStatus.DELIVERED if delivered_at else StockStatus.SOLD
        )
        if plan == "by_customer":
            services.registration_open(actor=consultant, order=order, by_customer=True, now=opened)
            created += 1
            continue
        registration = services.registration_open(
            actor=clerk, order=order, local=False if non_local else None, now=opened
        )
        created += 1
        if plan == "cancelled":
            services.registration_cancel(actor=clerk, registration=registration, reason="客户改为自行上牌")
            continue
        docs = list(registration.documents.order_by("position"))
        to_receive = docs if plan != "collecting_documents" else docs[: len(docs) // 2]
        for n, doc in enumerate(to_receive):
            services.registration_document_receive(
                actor=clerk,
                registration=registration,
                kind=doc.kind,
                holder=DEFAULT_HOLDER[doc.kind],
                now=opened + datetime.timedelta(hours=2 + n),
            )
        if plan == "collecting_documents":
            continue
        submitted = opened + datetime.timedelta(days=1)
        services.registration_submit(actor=clerk, registration=registration, office="车管所", now=submitted)
        if plan == "submitted":
            continue
        services.registration_record_plate(
            actor=clerk,
            registration=registration,
            plate=_plate(store, vehicle, 100 + i),
            licence_issued_on=(submitted + datetime.timedelta(days=3)).date(),
            now=submitted + datetime.timedelta(days=3),
        )
        if plan == "completed":
            services.registration_complete(
                actor=clerk, registration=registration, now=submitted + datetime.timedelta(days=4)
            )
    Registration.objects.filter(store=store, number__startswith=PREFIX, status="submitted").update(
        office=f"{store.city}市车管所"
    )
    return created
