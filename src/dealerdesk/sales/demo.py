"""Demo orders, contracts and payments for `dealerdesk demo_data`: in each demo store, orders at every status
before delivery (draft with a filled contract, waiting for signatures, signed with a deposit, signed and paid,
financed with the loan approved, amended, cancelled with the deposit refunded), from the accepted demo offer and
from new accepted offers for stock vehicles. Idempotent: a store that already has orders is left alone."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.catalog.choices import StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.errors import DomainError, NotPermitted
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import ContactKind
from dealerdesk.customers.models import Customer
from dealerdesk.offers import services as offer_services
from dealerdesk.offers.models import Offer

from . import contract_text, services
from .choices import LIVE_ORDER_STATUSES
from .models import Order, Payment

DEMO_STORES = ("sz-futian", "gz-tianhe")
PLANS = ("draft", "pending_signature", "paid", "cancelled", "amended", "deposit", "loan")


def load(stdout=None) -> int:
    """Create the demo orders that are missing; returns how many orders were created."""
    created = 0
    for store in Store.objects.filter(code__in=DEMO_STORES).order_by("code"):
        created += _store(store)
    if stdout:
        stdout.write(f"demo orders and contracts: {created} new" if created else "demo orders: already loaded")
    return created


def _staff(store: Store, role: str):
    membership = (
        Membership.objects.filter(store=store, role=role, is_active=True).select_related("user").order_by("id").first()
    )
    return membership.user if membership else None


def _store(store: Store) -> int:
    if Order.objects.filter(store=store).exists():
        return 0
    consultant, manager, clerk = (_staff(store, r) for r in ("consultant", "sales_manager", "admin_clerk"))
    if consultant is None or manager is None or clerk is None:
        return 0
    vehicles = list(
        StockVehicle.objects.filter(store=store, status=StockStatus.IN_STOCK, is_demo=False)
        .select_related("trim", "exterior")
        .order_by("arrived_on", "id")
    )
    busy = set(Order.objects.filter(status__in=sorted(LIVE_ORDER_STATUSES)).values_list("customer_id", flat=True))
    customers = [
        c
        for c in Customer.objects.filter(
            store=store, merged_into__isnull=True, erased_at__isnull=True, stage__in=["lead", "prospect"]
        ).order_by("id")[:40]
        if c.pk not in busy
    ]
    offers = list(Offer.objects.filter(store=store, status="accepted").select_related("current").order_by("id"))
    created = 0
    for index, plan in enumerate(PLANS):
        try:
            with transaction.atomic():
                offer, vehicle = _offer(store, consultant, offers, vehicles, customers, index)
                if offer is None:
                    continue
                _order(store, plan, offer, vehicle, consultant, manager, clerk, index)
                created += 1
        except (ValidationError, DomainError):  # e.g. a demo offer whose colour is ambiguous: the next plan
            continue
    return created


def _demo_id_number(store: Store, customer: Customer) -> str:
    """A valid resident ID number for a demo customer (region of the store's district, a 1980s birthday)."""
    region = "440304" if store.code == "sz-futian" else "440106"
    born = datetime.date(1980, 1, 1) + datetime.timedelta(days=(customer.pk * 37) % 3650)
    body = f"{region}{born:%Y%m%d}{customer.pk % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


def _ready_for_contract(store: Store, customer: Customer, consultant, manager) -> None:
    """The buyer's ID number and address, which the contract states: recorded for a demo customer without them."""
    for actor in (consultant, manager):
        try:
            if not customer.id_number:
                customer = customer_services.customer_record_id_number(
                    actor=actor, customer=customer, id_number=_demo_id_number(store, customer)
                )
            if not contract_text.customer_address(customer):
                customer_services.contact_point_add(
                    actor=actor, customer=customer, kind=ContactKind.ADDRESS, value=_demo_address(store, customer)
                )
            return
        except NotPermitted:
            continue


def _demo_address(store: Store, customer: Customer) -> str:
    street = "福华三路" if store.code == "sz-futian" else "天河北路"
    district = "深圳市福田区" if store.code == "sz-futian" else "广州市天河区"
    return f"{district}{street}{customer.pk % 300 + 1}号"


def _offer(store, consultant, offers, vehicles, customers, index):
    """An accepted offer: the demo one first, then new ones for vehicles in stock."""
    if offers:
        offer = offers.pop(0)
        if not Order.objects.filter(offer=offer).exists():
            return offer, None
    while vehicles and customers:
        customer = customers[0]
        if Order.objects.filter(customer_id=customer.pk).exists():  # the demo offer's customer, say
            customers.pop(0)
            continue
        vehicle = vehicles.pop(0)
        request = offer_services.OfferRequest(  # the car as it stands: its colour and fitted options priced
            trim_id=vehicle.trim_id,
            colour_id=vehicle.exterior_id,
            option_ids=tuple(vehicle.options.values_list("pk", flat=True)),
            stock_vehicle_id=vehicle.pk,
        )
        try:
            offer = offer_services.offer_create(actor=consultant, customer=customer, request=request)
        except (ValidationError, DomainError):  # e.g. no marked price in force for the trim: the next vehicle
            continue
        customers.pop(0)  # one offer per demo customer, accepted or not (a pile of offers on one card is noise)
        try:
            offer = offer_services.offer_accept(actor=consultant, offer=offer)
        except (ValidationError, DomainError):  # it waits for a manager's approval: the next customer
            continue
        return offer, vehicle
    return None, None


def _order(store, plan, offer, vehicle, consultant, manager, clerk, index) -> Order:
    today = timezone.localtime(timezone.now(), store.tz).date()
    terms = {
        "planned_delivery_on": today + datetime.timedelta(days=7 + index * 3),
        "delivery_place": f"{store.name}交车区",
        "deposit_amount": "5000",
        "payment_method": "loan" if plan == "loan" else "full",
    }
    try:
        with transaction.atomic():
            order = services.order_create_from_offer(actor=consultant, offer=offer, stock_vehicle=vehicle, **terms)
    except ValidationError:  # no vehicle in stock is the offered car: the car is ordered from the factory
        order = services.order_create_from_offer(
            actor=consultant, offer=offer, factory_order_ref=f"FO-{store.code}-{index:03d}", **terms
        )
    if order.stock_vehicle_id is None and not order.factory_order_ref:
        order = services.order_allocate(actor=consultant, order=order, factory_order_ref=f"FO-{store.code}-{index:03d}")
    _ready_for_contract(store, order.customer, consultant, manager)
    receipt = f"{store.code.upper()}-{order.pk:05d}"
    contract = services.contract_create(actor=consultant, order=order)
    contract = services.contract_fill(actor=consultant, contract=contract)
    if plan == "draft":
        return order
    if plan == "cancelled":
        services.payment_record(
            actor=clerk, order=order, kind="deposit", method="wechat", receipt_number=f"{receipt}-D", amount="5000"
        )
        order = services.order_cancel(
            actor=consultant, order=order, reason="客户家庭原因放弃购车", deposit_decision="refund"
        )
        services.payment_record(
            actor=clerk, order=order, kind="refund", method="wechat", receipt_number=f"{receipt}-R", amount="5000"
        )
        return order
    contract = services.contract_submit(actor=consultant, contract=contract)
    services.contract_sign(actor=consultant, contract=contract, party="customer", typed_name=order.customer.name)
    if plan == "pending_signature":
        return order
    services.contract_sign(actor=consultant, contract=contract, party="consultant")
    contract = services.contract_sign(actor=manager, contract=contract, party="manager")
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="alipay", receipt_number=f"{receipt}-D", amount="5000"
    )
    order.refresh_from_db()
    if plan == "paid":
        services.payment_record(
            actor=clerk,
            order=order,
            kind="balance",
            method="transfer",
            receipt_number=f"{receipt}-B",
            amount=order.total - order.amount_paid,
        )
    elif plan == "loan":
        services.order_set_loan_status(actor=clerk, order=order, loan_status="applied")
        services.order_set_loan_status(actor=clerk, order=order, loan_status="approved")
    elif plan == "amended":
        amendment = services.contract_amend(
            actor=consultant,
            contract=contract,
            reason="客户出差，交车日期顺延",
            planned_delivery_on=(order.planned_delivery_on + datetime.timedelta(days=14)).isoformat(),
        )
        services.contract_fill(actor=consultant, contract=amendment)
        amendment = services.contract_submit(actor=consultant, contract=amendment)
        services.contract_sign(actor=consultant, contract=amendment, party="customer", typed_name=order.customer.name)
        services.contract_sign(actor=consultant, contract=amendment, party="consultant")
        services.contract_sign(actor=manager, contract=amendment, party="manager")
    order.refresh_from_db()
    return order


def record_paid_in_full(order: Order, *, recorded_by, received_at) -> None:
    """Demo orders made directly at a late status are paid: their deposit and balance as payment records (with
    receipts), so the order page shows the payments its paid amount adds up to. Not for real data: the cashier
    records payments through services.payment_record."""
    deposit = min(order.deposit_amount, order.amount_paid)
    parts = [
        ("deposit", deposit, received_at - datetime.timedelta(days=5)),
        ("balance", order.amount_paid - deposit, received_at),
    ]
    for kind, amount, when in parts:
        if amount > 0:
            Payment.objects.create(
                store_id=order.store_id,
                order=order,
                customer_id=order.customer_id,
                kind=kind,
                method=("loan" if order.payment_method == "loan" else "transfer") if kind == "balance" else "wechat",
                receipt_number=f"{order.number}-{kind[0].upper()}",
                amount=amount,
                received_at=when,
                recorded_by=recorded_by,
            )
