"""Reads of orders, contracts, templates and payments, scoped to the user (not visible → not found)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import ColourKind, StockStatus
from dealerdesk.catalog.models import Colour, StockVehicle
from dealerdesk.offers.engine import yuan

from . import contract_text
from .choices import (
    LIVE_ORDER_STATUSES,
    ContractStatus,
    DepositDecision,
    LoanStatus,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
)
from .models import Contract, ContractTemplate, ContractTemplateVersion, Order, Payment

# Roles that see every order of their store (the others see the orders they sell or whose customer they own).
WHOLE_STORE_PERMS = ("customers.view_store", "payments.record", "paperwork.manage", "sales.sign_for_store")
ARCHIVE_PERMS = ("paperwork.manage", "sales.sign_for_store")


def local_today(store: Store, now: datetime | None = None) -> date:
    """The store's calendar day at `now`."""
    return timezone.localtime(now or timezone.now(), store.tz).date()


def order_delivery_blocker(order: Order) -> str | None:
    """Why the order cannot go to delivery yet (translated), or None when it can: signed, and paid or loan approved."""
    if order.status != OrderStatus.SIGNED:
        return _("The order must be signed before the car is delivered (it is: %(status)s).") % {
            "status": order.get_status_display()
        }
    if order.amount_paid >= order.total or order.loan_status == LoanStatus.APPROVED:
        return None
    due = yuan(order.balance_due)
    if order.payment_method == PaymentMethod.LOAN and order.loan_status == LoanStatus.REFUSED:
        return _("The loan was refused: %(due)s is still due. Change the payment method by an amendment.") % {
            "due": due
        }
    if order.payment_method == PaymentMethod.LOAN:
        # the loan is mentioned only for a financed order: a cash buyer has none to wait for
        return _("The order is not paid: %(due)s is still due and the loan is not approved yet.") % {"due": due}
    return _("The order is not paid: %(due)s is still due.") % {"due": due}


def cancelled_money(order: Order, payments: list[Payment]) -> dict:
    """For a cancelled order, what happened to the money instead of what is "owed": received, refunded, forfeited
    and what is still to refund (payments as loaded for the page: no query)."""
    received = sum((p.amount for p in payments if p.kind != PaymentKind.REFUND), Decimal(0))
    refunded = sum((p.amount for p in payments if p.kind == PaymentKind.REFUND), Decimal(0))
    deposit = sum((p.amount for p in payments if p.kind == PaymentKind.DEPOSIT), Decimal(0))
    forfeited = min(deposit, order.amount_paid) if order.deposit_decision == DepositDecision.FORFEIT else Decimal(0)
    return {
        "received": received,
        "refunded": refunded,
        "forfeited": forfeited,
        "to_refund": max(order.amount_paid - forfeited, Decimal(0)),
    }


def order_delivery_blocker_short(order: Order) -> str | None:
    """`order_delivery_blocker` as a few words for a list or a dropdown (e.g. "not paid"), or None when the order
    may go to delivery. Reads only the order's own fields: no query."""
    if order.status != OrderStatus.SIGNED:
        return str(order.get_status_display())
    if order.amount_paid >= order.total or order.loan_status == LoanStatus.APPROVED:
        return None
    if order.payment_method == PaymentMethod.LOAN and order.loan_status == LoanStatus.REFUSED:
        return _("loan refused")
    return _("not paid")


# ---------------------------------------------------------------- the vehicle agreed and the vehicle in stock


@dataclass(frozen=True)
class VehicleSpec:
    """The car the customer agreed to buy, as the accepted offer priced it: a stock vehicle delivers the order only
    when it is this car. No exterior colour chosen means a standard one (no extra price); an interior is checked only
    when the offer chose one; the fitted options must be exactly the offer's (code → label)."""

    store_id: int
    trim_id: int
    exterior: Colour | None = None
    interior: Colour | None = None
    options: dict[str, str] = field(default_factory=dict)


def _split_colour(colour: Colour | None) -> tuple[Colour | None, Colour | None]:
    if colour is None:
        return None, None
    return (colour, None) if colour.kind == ColourKind.EXTERIOR else (None, colour)


def offer_vehicle_spec(store_id: int, version, option_lines) -> VehicleSpec:
    """The car an offer version prices: its trim, its colour and the options among its lines."""
    exterior, interior = _split_colour(version.colour if version.colour_id else None)
    options = {line.code: line.label for line in option_lines if line.kind == "option"}
    return VehicleSpec(store_id, version.trim_id, exterior, interior, options)


def order_vehicle_spec(order: Order) -> VehicleSpec:
    """The car the order is for: the colour the accepted offer chose (not the one recorded from a reserved vehicle)
    and the options the order copied from the offer. An order without an offer stands on its own colours."""
    if order.offer_version_id:
        version = order.offer_version
        exterior, interior = _split_colour(version.colour if version.colour_id else None)
    else:
        exterior, interior = order.exterior, order.interior
    options = {o.get("code", ""): o.get("label", "") for o in order.options or [] if isinstance(o, dict)}
    return VehicleSpec(order.store_id, order.trim_id, exterior, interior, options)


def _colour_text(colour: Colour | None) -> str:
    if colour is None:
        return _("no recorded colour")
    if colour.extra_price:
        return _("%(colour)s (+%(price)s)") % {"colour": colour.name, "price": yuan(colour.extra_price)}
    return colour.name


def vehicle_differences(spec: VehicleSpec, vehicle: StockVehicle) -> list[str]:
    """How a vehicle of the agreed trim differs from the agreed car (colour, options), each as a short translated
    phrase; empty when it is the agreed car."""
    differences = []
    if spec.exterior is not None:
        if vehicle.exterior_id != spec.exterior.pk:
            differences.append(
                _("exterior %(colour)s instead of %(chosen)s")
                % {"colour": _colour_text(vehicle.exterior), "chosen": _colour_text(spec.exterior)}
            )
    elif vehicle.exterior_id is None:
        differences.append(_("no exterior colour recorded (record it on the stock page)"))
    elif vehicle.exterior.extra_price > 0:
        differences.append(
            _("exterior %(colour)s, but the offer is for a standard colour at no extra price")
            % {"colour": _colour_text(vehicle.exterior)}
        )
    if spec.interior is not None and vehicle.interior_id != spec.interior.pk:
        differences.append(
            _("interior %(colour)s instead of %(chosen)s")
            % {"colour": _colour_text(vehicle.interior), "chosen": _colour_text(spec.interior)}
        )
    fitted = {o.code: o.name for o in vehicle.options.all()}
    extra = [name for code, name in fitted.items() if code not in spec.options]
    missing = [label for code, label in spec.options.items() if code not in fitted]
    if extra:
        differences.append(_("options fitted that the offer does not price: %(names)s") % {"names": "、".join(extra)})
    if missing:
        differences.append(_("options in the offer that are not fitted: %(names)s") % {"names": "、".join(missing)})
    return differences


def vehicle_mismatch(spec: VehicleSpec, vehicle: StockVehicle, *, trim_label: str = "") -> str | None:
    """Why a stock vehicle cannot deliver the agreed car (translated, naming what differs), or None."""
    if vehicle.store_id != spec.store_id:
        return _("Vehicle %(vin)s belongs to another store.") % {"vin": vehicle.vin}
    if vehicle.trim_id != spec.trim_id:
        return _("Vehicle %(vin)s is a %(trim)s, but the customer ordered a %(ordered)s.") % {
            "vin": vehicle.vin,
            "trim": vehicle.trim,
            "ordered": trim_label,
        }
    differences = vehicle_differences(spec, vehicle)
    if differences:
        return _(
            "Vehicle %(vin)s is not the car of the accepted offer: %(differences)s. Make a new version of the offer "
            "priced for this vehicle, or choose another vehicle."
        ) % {"vin": vehicle.vin, "differences": "；".join(differences)}
    if vehicle.is_demo:
        return _("Vehicle %(vin)s is a demo car; sell it only after it is retired.") % {"vin": vehicle.vin}
    return None


def free_stock_of_trim(store_id: int, trim_id: int):
    """The store's vehicles of a trim that are in stock and held by no live order, longest-standing first."""
    return (
        StockVehicle.objects.filter(store_id=store_id, trim_id=trim_id, status=StockStatus.IN_STOCK, is_demo=False)
        .exclude(orders__status__in=sorted(LIVE_ORDER_STATUSES))
        .select_related("exterior", "interior", "trim")
        .prefetch_related("options")
        .order_by("arrived_on", "id")
    )


def matching_vehicles(spec: VehicleSpec) -> list[StockVehicle]:
    """The free vehicles that are the agreed car (trim, colour, options), longest-standing first."""
    qs = free_stock_of_trim(spec.store_id, spec.trim_id)
    if spec.exterior is not None:
        qs = qs.filter(exterior_id=spec.exterior.pk)
    else:
        qs = qs.filter(exterior__isnull=False, exterior__extra_price=0)
    if spec.interior is not None:
        qs = qs.filter(interior_id=spec.interior.pk)
    return [vehicle for vehicle in qs if not vehicle_differences(spec, vehicle)]


def standard_exterior(trim_id: int) -> Colour | None:
    """The trim's one exterior colour at no extra price, or None when it has none or several (then the colour is
    chosen in the offer)."""
    found = list(Colour.objects.filter(trim_id=trim_id, kind=ColourKind.EXTERIOR, extra_price=0)[:2])
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------- orders


def _order_scope_q(user, prefix: str = "") -> Q | None:
    """Q over Order (or a model pointing at it through `prefix`): whole stores, or one's own orders."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    ids = user.visible_store_ids()
    if ids is None:
        return None
    whole = [s for s in ids if any(user_can(user, p, s) for p in WHOLE_STORE_PERMS)]
    own = [s for s in ids if s not in whole and user_can(user, "sales.sell", s)]
    q = Q(pk__in=[])
    if whole:
        q |= Q(**{f"{prefix}store_id__in": whole})
    if own:
        q |= Q(**{f"{prefix}store_id__in": own}) & (
            Q(**{f"{prefix}consultant_id": user.pk}) | Q(**{f"{prefix}customer__owner_id": user.pk})
        )
    return q


def order_visible_to(user) -> QuerySet[Order]:
    """Orders the user may open: a consultant's own, the whole store's for managers, clerks and cashiers."""
    q = _order_scope_q(user)
    return Order.objects.all() if q is None else Order.objects.filter(q)


def order_list_for(user) -> QuerySet[Order]:
    """The order list: visible orders with what each row shows."""
    return order_visible_to(user).select_related(
        "customer", "consultant", "store", "trim__series__brand", "exterior", "stock_vehicle"
    )


def order_search_q(text: str) -> Q:
    """The order list's search box: the order number (prefix), the customer's name (prefix) or the VIN — in full,
    or its last characters (at least 6, as read off the windscreen). Within the user's visible orders, which the
    store/consultant indexes already narrow; the full VIN is unique-indexed."""
    text = text.strip()
    q = Q(number__startswith=text.upper()) | Q(customer__name__startswith=text)
    vin = text.upper().replace(" ", "")
    if len(vin) == 17:
        q |= Q(stock_vehicle__vin=vin)
    elif len(vin) >= 6 and vin.isalnum() and vin.isascii():
        q |= Q(stock_vehicle__vin__endswith=vin)
    return q


def order_get(user, pk: int) -> Order:
    """One visible order with everything its page shows, or Order.DoesNotExist."""
    return order_list_for(user).select_related("interior", "offer", "offer_version", "contract").get(pk=pk)


def order_detail(user, pk: int) -> dict:
    """The order, its contracts (newest first, without the PDF bytes) and its payments: a fixed number of queries."""
    order = order_get(user, pk)
    contracts = list(
        Contract.objects.filter(order=order)
        .defer("pdf", "customer_signature")
        .select_related("consultant_signed_by", "manager_signed_by", "template_version__template", "amends")
        .order_by("-version")
    )
    payments = list(Payment.objects.filter(order=order).select_related("recorded_by").order_by("received_at", "id"))
    open_contract = next(
        (c for c in contracts if c.status in (ContractStatus.DRAFT, ContractStatus.PENDING_SIGNATURE)), None
    )
    return {
        "order": order,
        "contracts": contracts,
        "payments": payments,
        "open_contract": open_contract,
        **order_links(order),
    }


def order_links(order: Order) -> dict:
    """The order's delivery and live registration for the links on its page: one small query each, no blobs."""
    # deliveries and registrations read sales: import them here, not at module load
    from dealerdesk.deliveries.models import Delivery
    from dealerdesk.deliveries.selectors import registration_of_order

    delivery = Delivery.objects.filter(order_id=order.pk).only("pk", "number", "status", "order_id").first()
    return {"delivery": delivery, "registration": registration_of_order(order.pk)}


# ---------------------------------------------------------------- contracts


def contract_visible_to(user) -> QuerySet[Contract]:
    """Contracts of the orders the user may open."""
    q = _order_scope_q(user, "order__")
    qs = Contract.objects.all()
    return qs if q is None else qs.filter(q)


def contract_list_for(user) -> QuerySet[Contract]:
    """Visible contracts with their order, customer and signers, without the PDF bytes."""
    return (
        contract_visible_to(user)
        .defer("pdf", "customer_signature")
        .select_related(
            "order", "customer", "store", "consultant_signed_by", "manager_signed_by", "order__stock_vehicle"
        )
    )


def archive_stores(user) -> list[int]:
    """Stores whose signed contracts the user may search: admin clerks and managers."""
    ids = user.visible_store_ids() if getattr(user, "is_authenticated", False) else frozenset()
    if ids is None:
        ids = Store.objects.values_list("pk", flat=True)
    return [s for s in ids if any(user_can(user, p, s) for p in ARCHIVE_PERMS)]


def contract_archive_for(
    user,
    *,
    customer_ids: list[int] | None = None,
    vin: str = "",
    number: str = "",
    signed_from: date | None = None,
    signed_to: date | None = None,
) -> QuerySet[Contract]:
    """Signed contracts of the user's archive stores, filtered by customer, VIN (or its tail), number and date."""
    qs = (
        Contract.objects.filter(store_id__in=archive_stores(user), status=ContractStatus.SIGNED)
        .defer("pdf", "customer_signature", "body", "data")
        .select_related("customer", "store", "order__stock_vehicle", "order__trim__series__brand")
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    vin = (vin or "").strip().upper()
    if vin:
        qs = (
            qs.filter(order__stock_vehicle__vin__endswith=vin)
            if len(vin) < 17
            else qs.filter(order__stock_vehicle__vin=vin)
        )
    number = (number or "").strip().upper()
    if number:
        qs = qs.filter(number__startswith=number)
    if signed_from:
        qs = qs.filter(signed_at__date__gte=signed_from)
    if signed_to:
        qs = qs.filter(signed_at__date__lte=signed_to)
    return qs


def contract_pdf_bytes(contract: Contract) -> bytes | None:
    """The stored PDF of a signed contract."""
    raw = Contract.objects.filter(pk=contract.pk).values_list("pdf", flat=True).first()
    return bytes(raw) if raw is not None else None


# ---------------------------------------------------------------- templates


def template_in_force(store: Store | int) -> ContractTemplateVersion | None:
    """The newest version of the store's default template, or None when the store has none yet."""
    store_id = store if isinstance(store, int) else store.pk
    return (
        ContractTemplateVersion.objects.filter(template__store_id=store_id, template__is_default=True)
        .select_related("template")
        .order_by("-number")
        .first()
    )


def templates_managed_by(user) -> QuerySet[ContractTemplate]:
    """Templates of the stores the user administers."""
    ids = user.visible_store_ids()
    qs = ContractTemplate.objects.select_related("store")
    if ids is None:
        return qs
    return qs.filter(store_id__in=[s for s in ids if user_can(user, "store.manage", s)])


def contract_preview(order: Order) -> str:
    """The template in force filled with what the order holds now (blanks where a value is missing), for the
    screen: the customer's mobile and any ID number masked."""
    version = template_in_force(order.store_id)
    body = version.body if version is not None else contract_text.DEFAULT_TEMPLATE
    text = contract_text.render(body, contract_text.values_for(order))
    return contract_text.mask_personal_numbers(text, customer=order.customer, store=order.store)


# ---------------------------------------------------------------- payments


def payment_visible_to(user) -> QuerySet[Payment]:
    """Payments of the orders the user may open."""
    q = _order_scope_q(user, "order__")
    qs = Payment.objects.select_related("order", "recorded_by")
    return qs if q is None else qs.filter(q)
