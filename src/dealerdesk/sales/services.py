"""Writes of orders, contracts, contract templates and payments: each in one transaction, what changes locked,
permission re-checked, validated before anything is written, audited."""

import base64
import binascii
import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import staff_holding
from dealerdesk.catalog.choices import ColourKind, StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.catalog.services import stock_change_status
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue
from dealerdesk.core.validators import cny_into
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import Stage
from dealerdesk.offers.choices import LineKind, OfferStatus
from dealerdesk.offers.engine import yuan
from dealerdesk.offers.models import Offer, OfferLine

from . import contract_text, selectors
from .choices import (
    CONTRACT_MOVES,
    LIVE_ORDER_STATUSES,
    ORDER_MOVES,
    ContractStatus,
    DepositDecision,
    LoanStatus,
    OrderStatus,
    PaymentChannel,
    PaymentKind,
    PaymentMethod,
    SignatureParty,
)
from .models import Contract, ContractTemplate, ContractTemplateVersion, Order, Payment
from .pdf import contract_pdf

MAX_SIGNATURE_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
OPEN_CONTRACT = (ContractStatus.DRAFT, ContractStatus.PENDING_SIGNATURE)
PAYABLE = (OrderStatus.DRAFT, OrderStatus.PENDING_SIGNATURE, OrderStatus.SIGNED)
AMENDABLE_FIELDS = ("planned_delivery_on", "delivery_place", "payment_method", "deposit_amount")


def _require(actor, perm: str, obj, message: str) -> None:
    if not user_can(actor, perm, obj):
        raise NotPermitted(message)


def _lock_order(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related(
            "store", "customer", "consultant", "trim__series__brand", "exterior", "interior", "stock_vehicle"
        )
        .get(pk=order.pk)
    )


def _move_order(order: Order, to: str) -> None:
    if to not in ORDER_MOVES[order.status]:
        raise TransitionRefused(
            _("An order that is “%(status)s” cannot become “%(to)s”.")
            % {"status": OrderStatus(order.status).label, "to": OrderStatus(to).label},
            code="order_transition_refused",
        )


def _check_customer(customer) -> None:
    if customer.merged_into_id:
        raise DomainError(_("This customer was merged into another record; work there."), code="customer_merged")
    if customer.erased_at:
        raise DomainError(_("This customer's personal data was erased."), code="customer_erased")


def _on_customer(actor, order: Order, service, **kwargs) -> None:
    """Move the customer's stage along as the actor, else as the order's consultant (whose customer it is). A move
    the customer's workflow refuses (e.g. an owner buying again) leaves the customer as they are."""
    for who in dict.fromkeys([actor, order.consultant]):
        try:
            service(actor=who, customer=order.customer, **kwargs)
            return
        except NotPermitted:
            continue
        except DomainError:
            return


def _customer_ordered(actor, order: Order) -> None:
    stage = order.customer.stage
    if stage in (Stage.ORDERED, Stage.OWNER):
        return
    if stage != Stage.PROSPECT:
        _on_customer(actor, order, customer_services.customer_change_stage, stage=Stage.PROSPECT)
    _on_customer(actor, order, customer_services.customer_change_stage, stage=Stage.ORDERED)


def _parse_date(value: Any, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


# ---------------------------------------------------------------- orders


def _snapshot(version) -> dict:
    """What the order keeps of the accepted offer version: options, services opted into, every line."""
    lines = list(OfferLine.objects.filter(version=version).order_by("position"))

    def item(line):
        return {"code": line.code, "label": line.label, "price": str(line.amount)}

    return {
        "options": [item(line) for line in lines if line.kind == LineKind.OPTION],
        "services": [item(line) for line in lines if line.kind == LineKind.SERVICE],
        "price_lines": [
            {
                "kind": line.kind,
                "code": line.code,
                "label": line.label,
                "amount": str(line.amount),
                "value": None if line.value is None else str(line.value),
                "optional": line.optional,
            }
            for line in lines
        ],
    }


def _clean_order_terms(order: Order, values: dict, errors: dict) -> dict:
    """Delivery date, place, deposit and payment method as given (only the keys present)."""
    clean: dict[str, Any] = {}
    if "planned_delivery_on" in values:
        day = _parse_date(values["planned_delivery_on"], "planned_delivery_on", errors)
        if day is not None and day < selectors.local_today(order.store):
            errors.setdefault("planned_delivery_on", []).append(_("The planned delivery date cannot be in the past."))
        clean["planned_delivery_on"] = day
    if "delivery_place" in values:
        clean["delivery_place"] = (values["delivery_place"] or "").strip()[:120]
    if "deposit_amount" in values:
        deposit = cny_into(errors, "deposit_amount", values["deposit_amount"])
        if deposit is not None and deposit > order.total:
            errors.setdefault("deposit_amount", []).append(
                _("The deposit (%(deposit)s) cannot be above the total (%(total)s).")
                % {"deposit": yuan(deposit), "total": yuan(order.total)}
            )
        clean["deposit_amount"] = deposit if deposit is not None else Decimal("0.00")
    if "payment_method" in values:
        method = values["payment_method"] or PaymentMethod.FULL
        if method not in PaymentMethod.values:
            errors.setdefault("payment_method", []).append(_("Choose full payment or a loan."))
        clean["payment_method"] = method
    return clean


def _vehicle_mismatch(order: Order, vehicle: StockVehicle) -> str | None:
    """Why a stock vehicle does not deliver the order's car (translated, naming what differs), or None."""
    return selectors.vehicle_mismatch(selectors.order_vehicle_spec(order), vehicle, trim_label=str(order.trim))


def _taken(vehicle: StockVehicle) -> Conflict:
    return Conflict(
        _("Vehicle %(vin)s is already reserved or sold for another order; choose another vehicle.")
        % {"vin": vehicle.vin},
        code="vehicle_taken",
        field="stock_vehicle",
    )


def _matching_vehicle(order: Order) -> StockVehicle | None:
    """The longest-standing free vehicle of the store that is the order's car: trim, exterior colour (a standard one
    when the offer chose none), the interior chosen, exactly the options."""
    found = selectors.matching_vehicles(selectors.order_vehicle_spec(order))
    return found[0] if found else None


def _refuse_unmatched_stock(order: Order) -> None:
    """No free vehicle is the order's car: when the store has vehicles of the trim that differ, refuse the order and
    say how each differs (a different car is priced in a new offer version first). No stock at all is no refusal:
    the vehicle is allocated or ordered from the factory later."""
    spec = selectors.order_vehicle_spec(order)
    others = [
        (vehicle, differences)
        for vehicle in selectors.free_stock_of_trim(order.store_id, order.trim_id)[:3]
        if (differences := selectors.vehicle_differences(spec, vehicle))
    ]
    if not others:
        return
    described = "；".join(f"{vehicle.vin}: {', '.join(differences)}" for vehicle, differences in others)
    raise ValidationError(
        {
            "stock_vehicle": [
                _(
                    "No vehicle in stock is the car of the accepted offer (%(vehicles)s). Make a new version of the "
                    "offer priced for one of them, or record the factory order."
                )
                % {"vehicles": described}
            ]
        }
    )


def _record_colours_unreserved(order: Order) -> None:
    """Without a vehicle the order names the colours the offer chose, or the trim's one standard exterior colour."""
    spec = selectors.order_vehicle_spec(order)
    order.exterior = spec.exterior or selectors.standard_exterior(order.trim_id)
    order.interior = spec.interior


def _reserve(actor, order: Order, vehicle: StockVehicle) -> None:
    """Hold `vehicle` for the order: the stock status moves to reserved; a vehicle already held is a conflict. The
    order records the vehicle's colours (the standard exterior picked when the offer chose none), so every document
    names the colour of the car handed over."""
    vehicle = StockVehicle.objects.select_for_update(of=("self",)).select_related("exterior", "trim").get(pk=vehicle.pk)
    mismatch = _vehicle_mismatch(order, vehicle)
    if mismatch:
        raise ValidationError({"stock_vehicle": [mismatch]})
    if vehicle.status != StockStatus.IN_STOCK:
        raise _taken(vehicle)
    order.stock_vehicle = vehicle
    order.factory_order_ref = ""
    order.exterior_id = vehicle.exterior_id
    order.interior_id = vehicle.interior_id
    try:
        with transaction.atomic():
            order.save(update_fields=["stock_vehicle", "factory_order_ref", "exterior", "interior", "updated_at"])
    except IntegrityError as exc:
        if "order_one_live_per_vehicle" in str(exc) or "stock_vehicle" in str(exc):
            raise _taken(vehicle) from exc
        raise
    stock_change_status(actor=actor, vehicle=vehicle, status=StockStatus.RESERVED)


def _release(actor, order: Order) -> None:
    """Put the order's vehicle back in stock (reserved or sold → in stock)."""
    vehicle = order.stock_vehicle
    if vehicle is not None and vehicle.status in (StockStatus.RESERVED, StockStatus.SOLD):
        stock_change_status(actor=actor, vehicle=vehicle, status=StockStatus.IN_STOCK)


@transaction.atomic
def order_create_from_offer(
    *,
    actor,
    offer: Offer,
    stock_vehicle: StockVehicle | None = None,
    factory_order_ref: str = "",
    planned_delivery_on: Any = None,
    delivery_place: str = "",
    deposit_amount: Any = None,
    payment_method: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Turn an accepted offer into an order: the offer's choices and prices are copied, a matching stock vehicle of
    the store is reserved (the one given, else the longest-standing match) or the factory order is recorded."""
    now = now or timezone.now()
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "current__trim__series__brand", "current__colour")
        .get(pk=offer.pk)
    )
    _require(actor, "sales.sell", offer.store, _("Only sales staff of the store can take orders."))
    _check_customer(offer.customer)
    if offer.status != OfferStatus.ACCEPTED:
        raise TransitionRefused(
            _("Only an offer the customer accepted becomes an order (this one is “%(status)s”).")
            % {"status": OfferStatus(offer.status).label},
            code="offer_not_accepted",
        )
    existing = Order.objects.filter(offer=offer, status__in=sorted(LIVE_ORDER_STATUSES)).first()
    if existing is not None:
        raise Conflict(
            _("This offer already became order %(number)s.") % {"number": existing.number}, code="offer_has_order"
        )
    version = offer.current
    colour = version.colour
    order = Order(
        store=offer.store,
        customer=offer.customer,
        consultant=offer.consultant,
        offer=offer,
        offer_version=version,
        trim=version.trim,
        exterior=colour if colour is not None and colour.kind == ColourKind.EXTERIOR else None,
        interior=colour if colour is not None and colour.kind == ColourKind.INTERIOR else None,
        marked_price_amount=version.marked_price_amount,
        total=version.total,
        payment_method=PaymentMethod.LOAN if version.loan else PaymentMethod.FULL,
        created_by=actor,
        created_at=now,
        **_snapshot(version),
    )
    errors: dict[str, list[str]] = {}
    terms = {"planned_delivery_on": planned_delivery_on, "delivery_place": delivery_place}
    if deposit_amount not in (None, ""):
        terms["deposit_amount"] = deposit_amount
    if payment_method:
        terms["payment_method"] = payment_method
    for name, value in _clean_order_terms(order, terms, errors).items():
        setattr(order, name, value)
    factory_order_ref = (factory_order_ref or "").strip()
    if len(factory_order_ref) > 40:
        errors["factory_order_ref"] = [_("The factory order reference has at most 40 characters.")]
    if errors:
        raise ValidationError(errors)
    vehicle = stock_vehicle or (version.stock_vehicle if version.stock_vehicle_id else None)
    if vehicle is None and not factory_order_ref:
        vehicle = _matching_vehicle(order)
        if vehicle is None:
            _refuse_unmatched_stock(order)
    if vehicle is None:
        _record_colours_unreserved(order)
        order.factory_order_ref = factory_order_ref
    order.number = f"tmp-{offer.pk}-{now.timestamp()}"
    order.save()
    order.number = f"SO{order.pk:08d}"
    order.save(update_fields=["number"])
    if vehicle is not None:
        _reserve(actor, order, vehicle)
    audit_record(
        actor=actor,
        action="order.created",
        target=order,
        diff={
            "status": [None, order.status],
            "total": [None, str(order.total)],
            "offer": [None, offer.number],
            "vin": [None, order.stock_vehicle.vin if order.stock_vehicle_id else None],
        },
    )
    return order


@transaction.atomic
def order_allocate(
    *, actor, order: Order, stock_vehicle: StockVehicle | None = None, factory_order_ref: str = ""
) -> Order:
    """Change what the draft order delivers: another stock vehicle of the store, or a factory order."""
    order = _lock_order(order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can change an order."))
    if order.status != OrderStatus.DRAFT:
        raise TransitionRefused(
            _("The vehicle of an order can change only before the contract goes for signature."),
            code="order_not_draft",
        )
    factory_order_ref = (factory_order_ref or "").strip()
    if stock_vehicle is None and not factory_order_ref:
        raise ValidationError({"stock_vehicle": [_("Choose a stock vehicle or enter the factory order reference.")]})
    if len(factory_order_ref) > 40:
        raise ValidationError({"factory_order_ref": [_("The factory order reference has at most 40 characters.")]})
    before = order.stock_vehicle.vin if order.stock_vehicle_id else order.factory_order_ref
    if stock_vehicle is not None and stock_vehicle.pk == order.stock_vehicle_id:
        return order
    _release(actor, order)
    order.stock_vehicle = None
    order.save(update_fields=["stock_vehicle", "updated_at"])
    if stock_vehicle is not None:
        _reserve(actor, order, stock_vehicle)
    else:
        order.factory_order_ref = factory_order_ref
        _record_colours_unreserved(order)
        order.save(update_fields=["factory_order_ref", "exterior", "interior", "updated_at"])
    after = order.stock_vehicle.vin if order.stock_vehicle_id else order.factory_order_ref
    audit_record(actor=actor, action="order.vehicle_allocated", target=order, diff={"vehicle": [before, after]})
    return order


@transaction.atomic
def order_update(*, actor, order: Order, **values) -> Order:
    """Change a draft order's terms: planned delivery date and place, deposit, payment method."""
    order = _lock_order(order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can change an order."))
    if order.status != OrderStatus.DRAFT:
        raise TransitionRefused(
            _("Only a draft order can be changed; after signing, changes are amendments of the contract."),
            code="order_not_draft",
        )
    unknown = set(values) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    clean = _clean_order_terms(order, values, errors)
    if errors:
        raise ValidationError(errors)
    before = {k: str(getattr(order, k)) for k in clean}
    for name, value in clean.items():
        setattr(order, name, value)
    if order.payment_method == PaymentMethod.FULL:
        order.loan_status = LoanStatus.NONE
    order.save()
    after = {k: str(getattr(order, k)) for k in clean}
    changes = {k: [before[k], after[k]] for k in clean if before[k] != after[k]}
    if changes:
        audit_record(actor=actor, action="order.updated", target=order, diff=changes)
    return order


LOAN_MOVES = {
    LoanStatus.NONE: {LoanStatus.APPLIED},
    LoanStatus.APPLIED: {LoanStatus.APPROVED, LoanStatus.REFUSED},
    LoanStatus.REFUSED: {LoanStatus.APPLIED},
    LoanStatus.APPROVED: set(),
}


@transaction.atomic
def order_set_loan_status(*, actor, order: Order, loan_status: str) -> Order:
    """Record where the customer's loan application stands (applied, approved, refused)."""
    order = _lock_order(order)
    _require(actor, "payments.record", order.store, _("Only the cashier or a manager records loan decisions."))
    if order.payment_method != PaymentMethod.LOAN:
        raise TransitionRefused(_("This order is paid in full, not financed."), code="order_not_financed")
    if order.status not in PAYABLE:
        raise TransitionRefused(
            _("The loan of a %(status)s order cannot change.") % {"status": order.get_status_display()},
            code="order_closed",
        )
    if loan_status not in LoanStatus.values:
        raise ValidationError({"loan_status": [_("Choose applied, approved or refused.")]})
    if loan_status not in LOAN_MOVES[order.loan_status]:
        raise TransitionRefused(
            _("A loan that is “%(status)s” cannot become “%(to)s”.")
            % {"status": LoanStatus(order.loan_status).label, "to": LoanStatus(loan_status).label},
            code="loan_transition_refused",
        )
    before = order.loan_status
    order.loan_status = loan_status
    order.save(update_fields=["loan_status", "updated_at"])
    audit_record(actor=actor, action=f"order.loan_{loan_status}", target=order, diff={"loan": [before, loan_status]})
    return order


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str, deposit_decision: str = "", now: datetime | None = None) -> Order:
    """Cancel an order under the contract's terms. A signed order is cancelled only by a manager, and what happens
    to a paid deposit (refund or forfeit) is recorded. The vehicle goes back to stock; open contracts are void."""
    now = now or timezone.now()
    order = _lock_order(order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can cancel an order."))
    _move_order(order, OrderStatus.CANCELLED)
    if order.status == OrderStatus.SIGNED and not user_can(actor, "sales.sign_for_store", order.store):
        raise NotPermitted(
            _("A signed order is cancelled only by a manager, under the contract's cancellation terms."),
            code="cancel_needs_manager",
        )
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the order is cancelled.")]
    deposit_paid = _paid(order, PaymentKind.DEPOSIT)
    if deposit_decision and deposit_decision not in DepositDecision.values:
        errors["deposit_decision"] = [_("Choose whether the deposit is refunded or forfeited.")]
    elif order.amount_paid > 0 and not deposit_decision:
        errors["deposit_decision"] = [
            _("%(paid)s was paid: record whether the deposit is refunded or forfeited.")
            % {"paid": yuan(order.amount_paid)}
        ]
    elif deposit_decision == DepositDecision.FORFEIT and order.status != OrderStatus.SIGNED:
        errors["deposit_decision"] = [_("Before the contract is signed, the deposit is always refunded.")]
    elif deposit_decision == DepositDecision.FORFEIT and deposit_paid <= 0:
        errors["deposit_decision"] = [_("No deposit was paid, so there is nothing to forfeit.")]
    if errors:
        raise ValidationError(errors)
    before = order.status
    for contract in Contract.objects.select_for_update().filter(order=order, status__in=OPEN_CONTRACT):
        contract.status = ContractStatus.CANCELLED
        contract.save(update_fields=["status", "updated_at"])
    _release(actor, order)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.cancel_reason = reason[:300]
    order.deposit_decision = deposit_decision
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "deposit_decision", "updated_at"])
    audit_record(
        actor=actor,
        action="order.cancelled",
        target=order,
        diff={"status": [before, order.status], "reason": [None, reason], "deposit": [None, deposit_decision or None]},
    )
    for handler in ORDER_CANCELLED_HANDLERS:
        handler(actor=actor, order=order, reason=reason)
    other_live = Order.objects.filter(customer=order.customer, status__in=sorted(LIVE_ORDER_STATUSES)).exists()
    if order.customer.stage == Stage.ORDERED and not other_live:
        _on_customer(actor, order, customer_services.customer_change_stage, stage=Stage.PROSPECT)
    return order


# Later apps (deliveries, registrations) close their open work on an order that is cancelled: each registers
# `fn(*, actor, order, reason)`, called inside order_cancel's transaction (sales imports neither app).
ORDER_CANCELLED_HANDLERS: list = []


def register_order_cancelled(handler) -> None:
    """Let a later app close its own records of an order when the order is cancelled."""
    if handler not in ORDER_CANCELLED_HANDLERS:
        ORDER_CANCELLED_HANDLERS.append(handler)


@transaction.atomic
def order_mark_delivered(*, actor, order: Order) -> Order:
    """The car was handed over: the order is delivered. Called by the deliveries app inside its handover."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    blocker = selectors.order_delivery_blocker(order)
    if blocker:
        raise TransitionRefused(blocker, code="order_not_ready")
    order.status = OrderStatus.DELIVERED
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_at", "updated_at"])
    audit_record(
        actor=actor, action="order.delivered", target=order, diff={"status": [OrderStatus.SIGNED, order.status]}
    )
    return order


# ---------------------------------------------------------------- contract templates


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": [_("Write the text of the contract.")]})
    unknown = contract_text.unknown_placeholders(body)
    if unknown:
        raise ValidationError(
            {
                "body": [
                    _("Unknown placeholders: %(names)s. Use only the ones listed.")
                    % {"names": "、".join("{{" + n + "}}" for n in unknown)}
                ]
            }
        )
    return body


def contract_template_ensure_default(store: Store | int) -> ContractTemplate:
    """The store's default template, created with the standard text on first use."""
    store_id = store if isinstance(store, int) else store.pk
    template = ContractTemplate.objects.filter(store_id=store_id, is_default=True).first()
    if template is not None:
        return template
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store_id).first()  # one creator per store at a time
        template = ContractTemplate.objects.filter(store_id=store_id, is_default=True).first()
        if template is None:
            template = ContractTemplate.objects.create(
                store_id=store_id, name=contract_text.DEFAULT_TEMPLATE_NAME, is_default=True
            )
            ContractTemplateVersion.objects.create(
                template=template, number=1, body=contract_text.DEFAULT_TEMPLATE, note="标准文本"
            )
            audit_record(actor=None, action="contract_template.created", target=template, store_id=store_id)
    return template


@transaction.atomic
def contract_template_create(
    *, actor, store: Store, name: str, body: str, make_default: bool = False
) -> ContractTemplate:
    """A new template of the store with its first version."""
    _require(actor, "store.manage", store, _("Only a store administrator manages contract templates."))
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("Give the template a name.")]
    try:
        body = _clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if make_default:
        ContractTemplate.objects.filter(store=store, is_default=True).update(is_default=False)
    template = ContractTemplate.objects.create(store=store, name=name[:100], is_default=make_default, created_by=actor)
    ContractTemplateVersion.objects.create(template=template, number=1, body=body, created_by=actor)
    audit_record(actor=actor, action="contract_template.created", target=template, store_id=store.pk)
    return template


@transaction.atomic
def contract_template_add_version(
    *, actor, template: ContractTemplate, body: str, note: str = ""
) -> ContractTemplateVersion:
    """A new version of a template's text; contracts already filled keep the version they were filled from."""
    template = ContractTemplate.objects.select_for_update().select_related("store").get(pk=template.pk)
    _require(actor, "store.manage", template.store, _("Only a store administrator manages contract templates."))
    body = _clean_body(body)
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ContractTemplateVersion.objects.create(
        template=template, number=number, body=body, note=(note or "").strip()[:200], created_by=actor
    )
    audit_record(
        actor=actor,
        action="contract_template.version_added",
        target=template,
        store_id=template.store_id,
        diff={"version": [number - 1, number]},
    )
    return version


@transaction.atomic
def contract_template_set_default(*, actor, template: ContractTemplate) -> ContractTemplate:
    """Use this template for the store's new contracts."""
    template = ContractTemplate.objects.select_for_update().select_related("store").get(pk=template.pk)
    _require(actor, "store.manage", template.store, _("Only a store administrator manages contract templates."))
    ContractTemplate.objects.filter(store_id=template.store_id, is_default=True).exclude(pk=template.pk).update(
        is_default=False
    )
    template.is_default = True
    template.save(update_fields=["is_default"])
    audit_record(actor=actor, action="contract_template.made_default", target=template, store_id=template.store_id)
    return template


# ---------------------------------------------------------------- contracts


def _lock_contract(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("order", "amends", "consultant_signed_by", "manager_signed_by", "template_version")
        .get(pk=contract.pk)
    )


def _signed_refusal() -> TransitionRefused:
    return TransitionRefused(
        _("A signed contract can no longer be changed; make an amendment instead."), code="contract_signed"
    )


def _move_contract(contract: Contract, to: str) -> None:
    if contract.status == ContractStatus.SIGNED:
        raise _signed_refusal()
    if to not in CONTRACT_MOVES[contract.status]:
        raise TransitionRefused(
            _("A contract that is “%(status)s” cannot become “%(to)s”.")
            % {"status": ContractStatus(contract.status).label, "to": ContractStatus(to).label},
            code="contract_transition_refused",
        )


# A placeholder the contract would leave blank: the field the message goes under and what to do about it. The
# placeholders the other checks already cover (date, place, deposit, vehicle, customer) come under their fields.
BLANK_PLACEHOLDER_FIELDS = {
    "customer_name": "customer",
    "delivery_date": "planned_delivery_on",
    "delivery_place": "delivery_place",
    "deposit": "deposit_amount",
    "balance": "deposit_amount",
    "vin": "stock_vehicle",
    "vehicle": "stock_vehicle",
    "total": "total",
    "marked_price": "total",
    "price_lines": "total",
}
FILLED_AT_FILLING = ("contract_number", "sign_date")


def _blank_message(name: str) -> tuple[str, str]:
    """The field and the translated message for a placeholder that would be blank."""
    messages = {
        "customer_id_number": _("Record the buyer's resident ID number on the customer page."),
        "customer_address": _("Record the buyer's address on the customer page."),
        "customer_mobile": _("Record the buyer's mobile on the customer page."),
        "customer_name": _("The customer's name is needed for the contract."),
        "store_address": _("Record the store's address (store administration) before contracts are filled."),
        "store_phone": _("Record the store's phone number (store administration) before contracts are filled."),
        "exterior": _(
            "The exterior colour is not known: the offer chose none and the trim has no single standard colour. "
            "Reserve a vehicle, or make a new version of the offer with the colour."
        ),
        "vin": _("Allocate a stock vehicle or record the factory order reference."),
        "delivery_date": _("Enter the planned delivery date."),
        "delivery_place": _("Enter where the car is handed over."),
    }
    field = BLANK_PLACEHOLDER_FIELDS.get(name, name)
    label = contract_text.PLACEHOLDERS.get(name, name)
    return field, messages.get(name) or _("The contract would leave “%(field)s” blank: record it first.") % {
        "field": label
    }


def contract_blockers(
    order: Order, changes: dict | None = None, *, body: str | None = None, contract: Contract | None = None
) -> dict[str, list[str]]:
    """What keeps the order's contract from being filled: missing or inconsistent fields, keyed by field, and every
    placeholder of the template (`body`, else the store's template in force) that would be left blank."""
    changes = changes or {}
    errors: dict[str, list[str]] = {}
    total = order.total
    deposit = Decimal(str(changes.get("deposit_amount", order.deposit_amount)))
    delivery_on = changes.get("planned_delivery_on", order.planned_delivery_on)
    if isinstance(delivery_on, str):
        delivery_on = date.fromisoformat(delivery_on)
    place = changes.get("delivery_place", order.delivery_place)
    if order.offer_version_id and order.offer_version.total != total:
        errors["total"] = [
            _("The price (%(price)s) is not the accepted offer's total (%(total)s); make a new offer.")
            % {"price": yuan(total), "total": yuan(order.offer_version.total)}
        ]
    if deposit <= 0:
        errors["deposit_amount"] = [_("Enter the deposit agreed with the customer.")]
    elif deposit > total:
        errors["deposit_amount"] = [
            _("The deposit (%(deposit)s) cannot be above the total (%(total)s).")
            % {"deposit": yuan(deposit), "total": yuan(total)}
        ]
    if delivery_on is None:
        errors["planned_delivery_on"] = [_("Enter the planned delivery date.")]
    elif delivery_on < selectors.local_today(order.store):
        errors["planned_delivery_on"] = [
            _("The planned delivery date %(date)s is in the past.") % {"date": delivery_on.isoformat()}
        ]
    if not (place or "").strip():
        errors["delivery_place"] = [_("Enter where the car is handed over.")]
    if order.stock_vehicle_id:
        mismatch = _vehicle_mismatch(order, order.stock_vehicle)
        if mismatch:
            errors["stock_vehicle"] = [mismatch]
    elif not order.factory_order_ref:
        errors["stock_vehicle"] = [_("Allocate a stock vehicle or record the factory order reference.")]
    if order.customer.erased_at or not order.customer.name:
        errors["customer"] = [_("The customer's name is needed for the contract.")]
    if body is None:
        version = selectors.template_in_force(order.store_id)
        body = version.body if version is not None else contract_text.DEFAULT_TEMPLATE
    values = contract_text.values_for(order, contract=contract, changes=changes)
    for name in contract_text.placeholders_in(body):
        if name in FILLED_AT_FILLING or (values.get(name) or "").strip():
            continue
        field, message = _blank_message(name)
        if field not in errors:
            errors[field] = [message]
    return errors


def _next_version(order: Order) -> int:
    return (Contract.objects.filter(order=order).aggregate(n=Max("version"))["n"] or 0) + 1


def _new_contract(*, actor, order: Order, amends: Contract | None = None, reason: str = "", changes=None) -> Contract:
    template = contract_template_ensure_default(order.store_id)
    version = template.versions.order_by("-number").first()
    number = _next_version(order)
    contract = Contract.objects.create(
        store_id=order.store_id,
        order=order,
        customer_id=order.customer_id,
        number=f"tmp-{order.pk}-{number}",
        version=number,
        amends=amends,
        template_version=version,
        amendment_reason=reason,
        amendment_changes=changes or {},
        created_by=actor,
    )
    root = amends
    while root is not None and root.amends_id:
        root = root.amends
    contract.number = f"{root.number}-A{number - 1}" if root is not None else f"HT{contract.pk:08d}"
    contract.save(update_fields=["number"])
    return contract


@transaction.atomic
def contract_create(*, actor, order: Order) -> Contract:
    """Start the order's contract from the store's template version in force (the default one on first use)."""
    order = _lock_order(order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can prepare contracts."))
    _check_customer(order.customer)
    if order.status != OrderStatus.DRAFT:
        if order.status == OrderStatus.SIGNED:
            raise TransitionRefused(
                _("The order is signed: a change is an amendment of its contract."), code="order_signed"
            )
        raise TransitionRefused(
            _("A contract is prepared only for a draft order (this one is “%(status)s”).")
            % {"status": order.get_status_display()},
            code="order_not_draft",
        )
    open_one = Contract.objects.filter(order=order, status__in=OPEN_CONTRACT).first()
    if open_one is not None:
        raise Conflict(
            _("The order already has contract %(number)s in progress.") % {"number": open_one.number},
            code="contract_in_progress",
        )
    contract = _new_contract(actor=actor, order=order)
    audit_record(
        actor=actor,
        action="contract.created",
        target=contract,
        diff={"order": [None, order.number], "template": [None, str(contract.template_version)]},
    )
    return contract


@transaction.atomic
def contract_fill(*, actor, contract: Contract, now: datetime | None = None) -> Contract:
    """Fill the contract's text from its order; missing or inconsistent fields block it with their messages."""
    now = now or timezone.now()
    contract = _lock_contract(contract)
    if contract.status == ContractStatus.SIGNED:
        raise _signed_refusal()
    order = _lock_order(contract.order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can fill contracts."))
    if contract.status != ContractStatus.DRAFT:
        raise TransitionRefused(
            _("The contract is waiting for signatures; take it back to editing before filling it again."),
            code="contract_not_draft",
        )
    body = contract.template_version.body
    errors = contract_blockers(order, contract.amendment_changes, body=body, contract=contract)
    if errors:
        raise ValidationError(errors)
    values = contract_text.values_for(
        order, contract=contract, changes=contract.amendment_changes, today=selectors.local_today(order.store, now)
    )
    contract.body = contract_text.render(body, values)
    contract.data = contract_text.stored_values(values)
    contract.total = order.total
    contract.deposit_amount = Decimal(str(contract.amendment_changes.get("deposit_amount", order.deposit_amount)))
    contract.filled_at = now
    contract.save()
    audit_record(actor=actor, action="contract.filled", target=contract, diff={"total": [None, str(order.total)]})
    return contract


@transaction.atomic
def contract_submit(*, actor, contract: Contract, now: datetime | None = None) -> Contract:
    """The customer reviewed the filled text: it goes for signatures (the order waits for signatures too)."""
    now = now or timezone.now()
    contract = _lock_contract(contract)
    order = _lock_order(contract.order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can submit contracts."))
    _move_contract(contract, ContractStatus.PENDING_SIGNATURE)
    if not contract.filled_at:
        raise TransitionRefused(_("Fill the contract before it is signed."), code="contract_not_filled")
    errors = contract_blockers(
        order, contract.amendment_changes, body=contract.template_version.body, contract=contract
    )
    if errors:
        raise ValidationError(errors)
    fresh = contract_text.stored_values(
        contract_text.values_for(order, contract=contract, changes=contract.amendment_changes)
    )
    if any(fresh[k] != contract.data.get(k) for k in fresh if k != "sign_date"):
        raise TransitionRefused(
            _("The order changed after the contract was filled; fill it again and review it."), code="contract_stale"
        )
    contract.status = ContractStatus.PENDING_SIGNATURE
    contract.submitted_at = now
    contract.save(update_fields=["status", "submitted_at", "updated_at"])
    if not contract.amends_id:
        _move_order(order, OrderStatus.PENDING_SIGNATURE)
        order.status = OrderStatus.PENDING_SIGNATURE
        order.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.submitted",
        target=contract,
        diff={"status": [ContractStatus.DRAFT, contract.status]},
    )
    return contract


def _clear_signatures(contract: Contract) -> None:
    contract.customer_signed_name = ""
    contract.customer_signed_at = None
    contract.customer_signature = None
    contract.consultant_signed_by = None
    contract.consultant_signed_at = None
    contract.manager_signed_by = None
    contract.manager_signed_at = None


@transaction.atomic
def contract_reopen(*, actor, contract: Contract) -> Contract:
    """Take a contract waiting for signatures back to editing; signatures given so far are void."""
    contract = _lock_contract(contract)
    order = _lock_order(contract.order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can change contracts."))
    _move_contract(contract, ContractStatus.DRAFT)
    _clear_signatures(contract)
    contract.status = ContractStatus.DRAFT
    contract.submitted_at = None
    contract.save()
    if not contract.amends_id and order.status == OrderStatus.PENDING_SIGNATURE:
        order.status = OrderStatus.DRAFT
        order.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.reopened",
        target=contract,
        diff={"status": [ContractStatus.PENDING_SIGNATURE, contract.status]},
    )
    return contract


@transaction.atomic
def contract_discard(*, actor, contract: Contract, reason: str = "") -> Contract:
    """Give up a contract that is not signed (e.g. an amendment the customer declined)."""
    contract = _lock_contract(contract)
    order = _lock_order(contract.order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can change contracts."))
    _move_contract(contract, ContractStatus.CANCELLED)
    before = contract.status
    contract.status = ContractStatus.CANCELLED
    contract.save(update_fields=["status", "updated_at"])
    if not contract.amends_id and order.status == OrderStatus.PENDING_SIGNATURE:
        order.status = OrderStatus.DRAFT
        order.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.discarded",
        target=contract,
        diff={"status": [before, contract.status], "reason": [None, (reason or "").strip() or None]},
    )
    return contract


def _signature_png(value: Any) -> bytes | None:
    """The drawn signature as PNG bytes (from bytes or a data: URL), or a field error."""
    if value in (None, "", b""):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("data:"):
            text = text.partition(",")[2]
        try:
            value = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"signature_png": [_("The drawn signature could not be read.")]}) from None
    value = bytes(value)
    if not value.startswith(PNG_MAGIC):
        raise ValidationError({"signature_png": [_("The drawn signature must be a PNG image.")]})
    if len(value) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature_png": [_("The drawn signature is too large.")]})
    return value


@transaction.atomic
def contract_sign(
    *,
    actor,
    contract: Contract,
    party: str,
    typed_name: str = "",
    signature_png: Any = None,
    now: datetime | None = None,
) -> Contract:
    """One party signs: the customer (typed name, optional drawn signature, recorded by the consultant), the
    order's consultant, and a manager with authority to sign for the store. The last signature freezes the text,
    stores the PDF with its SHA-256 and signs the order (an amendment's changes then apply to the order)."""
    now = now or timezone.now()
    contract = _lock_contract(contract)
    if contract.status == ContractStatus.SIGNED:
        raise _signed_refusal()
    order = _lock_order(contract.order)
    if contract.status != ContractStatus.PENDING_SIGNATURE:
        raise TransitionRefused(
            _("Submit the filled contract for signature first (it is “%(status)s”).")
            % {"status": ContractStatus(contract.status).label},
            code="contract_not_submitted",
        )
    if party not in SignatureParty.values:
        raise ValidationError({"party": [_("Choose who signs: the customer, the consultant or the manager.")]})
    if party == SignatureParty.CUSTOMER:
        _require(actor, "sales.sell", order.store, _("Only sales staff of the store take the customer's signature."))
        if contract.customer_signed_at:
            raise Conflict(_("The customer has already signed."), code="already_signed")
        name = (typed_name or "").strip()
        if not name:
            raise ValidationError({"typed_name": [_("The customer types their full name to sign.")]})
        if name != order.customer.name:
            raise ValidationError(
                {
                    "typed_name": [
                        _("The typed name must be the customer's name as on the contract: %(name)s.")
                        % {"name": order.customer.name}
                    ]
                }
            )
        contract.customer_signature = _signature_png(signature_png)
        contract.customer_signed_name = name
        contract.customer_signed_at = now
    elif party == SignatureParty.CONSULTANT:
        if actor.pk != order.consultant_id or not user_can(actor, "sales.sell", order.store):
            raise NotPermitted(
                _("Only the order's sales consultant (%(name)s) signs as consultant.") % {"name": order.consultant}
            )
        if contract.consultant_signed_at:
            raise Conflict(_("The consultant has already signed."), code="already_signed")
        contract.consultant_signed_by = actor
        contract.consultant_signed_at = now
    else:
        _require(actor, "sales.sign_for_store", order.store, _("Only a manager with authority signs for the store."))
        if actor.pk == order.consultant_id:
            raise NotPermitted(
                _("The consultant who sold the car cannot also sign for the store; another manager must."),
                code="same_signer",
            )
        if contract.manager_signed_at:
            raise Conflict(_("The store has already signed."), code="already_signed")
        contract.manager_signed_by = actor
        contract.manager_signed_at = now
    complete = contract.customer_signed_at and contract.consultant_signed_at and contract.manager_signed_at
    audit_record(actor=actor, action="contract.signature_added", target=contract, diff={"party": [None, party]})
    if not complete:
        contract.save()
        if party != SignatureParty.MANAGER and contract.customer_signed_at and contract.consultant_signed_at:
            _ask_store_signature(contract, order)
        return contract
    return _finalise(actor, contract, order, now)


def _ask_store_signature(contract: Contract, order: Order) -> None:
    """The customer and the consultant signed: the managers who may sign for the store are told it waits for them."""
    for manager in staff_holding(order.store_id, "sales.sign_for_store"):
        if manager.pk == order.consultant_id:
            continue  # the seller never signs for the store on their own sale
        notification_queue(
            channel="in_app",
            recipient_user=manager,
            store=order.store,
            subject=_("Contract %(number)s of %(customer)s (%(total)s) waits for your signature")
            % {"number": contract.number, "customer": order.customer.name, "total": yuan(order.total)},
            body=reverse("order_detail", args=[order.pk]),
            kind="contract.awaiting_store_signature",
        )


def _finalise(actor, contract: Contract, order: Order, now: datetime) -> Contract:
    """Every party signed: freeze the text, store the PDF and its hash, sign the order."""
    pdf = contract_pdf(contract, store=order.store, customer_signature=contract.customer_signature)
    contract.pdf = pdf
    contract.sha256 = hashlib.sha256(pdf).hexdigest()
    contract.status = ContractStatus.SIGNED
    contract.signed_at = now
    contract.save()
    before = order.status
    changes = dict(contract.amendment_changes or {})
    if contract.amends_id:
        for name in AMENDABLE_FIELDS:
            if name in changes:
                value = changes[name]
                if name == "planned_delivery_on":
                    value = date.fromisoformat(value) if value else None
                elif name == "deposit_amount":
                    value = Decimal(value)
                setattr(order, name, value)
        if order.payment_method == PaymentMethod.FULL:
            order.loan_status = LoanStatus.NONE
    else:
        _move_order(order, OrderStatus.SIGNED)
        order.status = OrderStatus.SIGNED
        order.signed_at = now
    order.contract = contract
    order.save()
    if order.stock_vehicle_id and order.stock_vehicle.status == StockStatus.RESERVED:
        stock_change_status(actor=actor, vehicle=order.stock_vehicle, status=StockStatus.SOLD)
    audit_record(
        actor=actor,
        action="contract.signed",
        target=contract,
        diff={"status": [ContractStatus.PENDING_SIGNATURE, contract.status], "sha256": [None, contract.sha256]},
    )
    if contract.amends_id:
        audit_record(
            actor=actor,
            action="order.amended",
            target=order,
            diff={"contract": [contract.amends.number, contract.number], **{k: [None, v] for k, v in changes.items()}},
        )
    else:
        audit_record(actor=actor, action="order.signed", target=order, diff={"status": [before, order.status]})
    _customer_ordered(actor, order)
    return contract


@transaction.atomic
def contract_amend(*, actor, contract: Contract, reason: str, **changes) -> Contract:
    """Changes after signing: a new contract version linked to the signed one, filled and signed again. It may
    change the planned delivery date and place, the payment method and the deposit."""
    contract = _lock_contract(contract)
    order = _lock_order(contract.order)
    _require(actor, "sales.sell", order.store, _("Only sales staff of the store can amend contracts."))
    if contract.status != ContractStatus.SIGNED or order.contract_id != contract.pk:
        raise TransitionRefused(_("Only the signed contract in force can be amended."), code="contract_not_in_force")
    if order.status != OrderStatus.SIGNED:
        raise TransitionRefused(
            _("A %(status)s order's contract can no longer be amended.") % {"status": order.get_status_display()},
            code="order_closed",
        )
    open_one = Contract.objects.filter(order=order, status__in=OPEN_CONTRACT).first()
    if open_one is not None:
        raise Conflict(
            _("Amendment %(number)s is already in progress.") % {"number": open_one.number},
            code="contract_in_progress",
        )
    errors: dict[str, list[str]] = {}
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("An amendment cannot change this.")]
    clean = _clean_order_terms(
        order, {k: v for k, v in changes.items() if k in AMENDABLE_FIELDS and v not in (None, "")}, errors
    )
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the contract is amended.")]
    effective = {k: v for k, v in clean.items() if v != getattr(order, k)}
    if not errors and not effective:
        errors["__all__"] = [_("The amendment changes nothing: give at least one new value.")]
    if errors:
        raise ValidationError(errors)
    stored = {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in effective.items()}
    amendment = _new_contract(actor=actor, order=order, amends=contract, reason=reason[:300], changes=stored)
    audit_record(
        actor=actor,
        action="contract.amended",
        target=amendment,
        diff={"amends": [None, contract.number], **{k: [None, v] for k, v in stored.items()}},
    )
    return amendment


# ---------------------------------------------------------------- payments


def _paid(order: Order, kind: str) -> Decimal:
    return Payment.objects.filter(order=order, kind=kind).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


@transaction.atomic
def payment_record(
    *,
    actor,
    order: Order,
    kind: str,
    method: str,
    receipt_number: str,
    amount: Any,
    received_at: datetime | None = None,
    note: str = "",
) -> Payment:
    """Record money received (deposit, balance) or paid back (refund) with its receipt number; the order's paid
    amount follows. Overpaying, a deposit above the agreed one and refunding more than may be refunded are refused."""
    order = _lock_order(order)
    _require(actor, "payments.record", order.store, _("Only the cashier or a manager records payments."))
    errors: dict[str, list[str]] = {}
    if kind not in PaymentKind.values:
        errors["kind"] = [_("Choose deposit, balance or refund.")]
    if method not in PaymentChannel.values:
        errors["method"] = [_("Choose how the money was paid.")]
    receipt_number = (receipt_number or "").strip()
    if not receipt_number:
        errors["receipt_number"] = [_("Enter the receipt number.")]
    elif len(receipt_number) > 40:
        errors["receipt_number"] = [_("A receipt number has at most 40 characters.")]
    elif Payment.objects.filter(store_id=order.store_id, receipt_number=receipt_number).exists():
        errors["receipt_number"] = [
            _("Receipt %(number)s is already recorded in this store.") % {"number": receipt_number}
        ]
    value = cny_into(errors, "amount", amount, required=True)
    if value is not None and value <= 0:
        errors["amount"] = [_("The amount must be above zero.")]
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        errors["received_at"] = [_("A payment cannot be dated in the future.")]
    if errors:
        raise ValidationError(errors)
    if kind in (PaymentKind.DEPOSIT, PaymentKind.BALANCE):
        if order.status not in PAYABLE:
            raise TransitionRefused(
                _("Money is taken only for an open order (this one is “%(status)s”).")
                % {"status": order.get_status_display()},
                code="order_closed",
            )
        due = order.total - order.amount_paid
        if value > due:
            raise ValidationError(
                {"amount": [_("That is more than is due: only %(due)s is still to pay.") % {"due": yuan(max(due, 0))}]}
            )
        if kind == PaymentKind.DEPOSIT:
            open_deposit = order.deposit_amount - _paid(order, PaymentKind.DEPOSIT)
            if value > open_deposit:
                raise ValidationError(
                    {
                        "amount": [
                            _(
                                "The agreed deposit is %(deposit)s and %(open)s of it is open; record the rest as "
                                "balance."
                            )
                            % {"deposit": yuan(order.deposit_amount), "open": yuan(max(open_deposit, 0))}
                        ]
                    }
                )
        if method == PaymentChannel.LOAN and order.payment_method != PaymentMethod.LOAN:
            raise ValidationError({"method": [_("This order is not financed: no loan disbursement.")]})
    else:
        refundable = order.amount_paid
        if order.status == OrderStatus.CANCELLED and order.deposit_decision == DepositDecision.FORFEIT:
            refundable -= min(_paid(order, PaymentKind.DEPOSIT), order.amount_paid)
        if value > refundable:
            raise ValidationError(
                {"amount": [_("At most %(max)s can be refunded.") % {"max": yuan(max(refundable, 0))}]}
            )
    payment = Payment(
        store_id=order.store_id,
        order=order,
        customer_id=order.customer_id,
        kind=kind,
        method=method,
        receipt_number=receipt_number,
        amount=value,
        received_at=received_at,
        note=(note or "").strip()[:200],
        recorded_by=actor,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "receipt_number": [
                    _("Receipt %(number)s is already recorded in this store.") % {"number": receipt_number}
                ]
            }
        ) from exc
    before = order.amount_paid
    order.amount_paid = before - value if kind == PaymentKind.REFUND else before + value
    order.save(update_fields=["amount_paid", "updated_at"])
    audit_record(
        actor=actor,
        action=f"payment.{'refunded' if kind == PaymentKind.REFUND else 'received'}",
        target=payment,
        diff={"kind": [None, kind], "amount": [None, str(value)], "paid": [str(before), str(order.amount_paid)]},
    )
    if (
        kind == PaymentKind.DEPOSIT
        and order.deposit_amount > 0
        and _paid(order, PaymentKind.DEPOSIT) >= order.deposit_amount
    ):
        # by rule, recorded as whoever took the money (a cashier may not edit customers otherwise)
        customer_services.customer_grade_deposit_paid(actor=actor, customer=order.customer)
    return payment


__all__ = [
    "contract_amend",
    "contract_blockers",
    "contract_create",
    "contract_discard",
    "contract_fill",
    "contract_reopen",
    "contract_sign",
    "contract_submit",
    "contract_template_add_version",
    "contract_template_create",
    "contract_template_ensure_default",
    "contract_template_set_default",
    "order_allocate",
    "order_cancel",
    "order_create_from_offer",
    "order_mark_delivered",
    "order_set_loan_status",
    "order_update",
    "payment_record",
]
