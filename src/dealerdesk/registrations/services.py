"""Writes of registrations (上牌, standard 5.3). Each service checks permission, validates everything before writing,
writes in one transaction with the rows it changes locked, records an audit entry and tells the customer."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import Origin
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core import validators as v
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.models import Customer, OwnedVehicle
from dealerdesk.customers.search import reindex_customer
from dealerdesk.customers.services import vehicle_add
from dealerdesk.sales.choices import OrderStatus, PaymentMethod
from dealerdesk.sales.models import Order

from . import selectors
from .choices import (
    LIVE_STATUSES,
    NEW_ENERGY_TYPES,
    OPEN_STATUSES,
    Case,
    DocumentHolder,
    DocumentKind,
    OwnerKind,
    RegistrationStatus,
    checklist_for,
    moves_for,
)
from .models import Registration, RegistrationDocument, RegistrationPolicy
from .workdays import add_working_days

S = RegistrationStatus
OPENABLE_ORDER_STATUSES = frozenset({OrderStatus.SIGNED, OrderStatus.DELIVERED})


# ---------------------------------------------------------------- helpers


def may_work_on(actor, order: Order) -> bool:
    """The admin clerk, a manager of the store, or the order's consultant."""
    if user_can(actor, "paperwork.manage", order.store_id):
        return True
    if user_can(actor, "sales.sell", order.store_id):
        return order.consultant_id == actor.pk or user_can(actor, "customers.view_store", order.store_id)
    return False


def _require_paperwork(actor, registration: Registration) -> None:
    if not user_can(actor, "paperwork.manage", registration.store_id):
        raise NotPermitted(_("Only the store's registration clerk can do this."), code="paperwork_only")


def _status_label(status: str) -> str:
    return str(S(status).label)


def _move(registration: Registration, to: str) -> None:
    if to not in moves_for(registration.by_customer)[registration.status]:
        if registration.by_customer and to in (S.SUBMITTED, S.PLATE_ISSUED):
            raise TransitionRefused(
                _("The customer registers this car themselves: only the plate they report is recorded."),
                code="registration_by_customer",
            )
        raise TransitionRefused(
            _("A registration that is “%(status)s” cannot become “%(to)s”.")
            % {"status": _status_label(registration.status), "to": _status_label(to)},
            code="registration_transition_refused",
        )


def _lock(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "order", "stock_vehicle__trim__series__brand")
        .get(pk=registration.pk)
    )


def _normalise_city(name: str) -> str:
    name = (name or "").strip()
    for suffix in ("市", "地区", "自治州"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
    return name


def is_local_owner(customer: Customer, store: Store) -> bool:
    """Whether the customer counts as local for the store's vehicle office.

    Decided by the customer's city (city / region field) against the store's city, ignoring 市-style suffixes; a
    customer city such as 深圳市福田区 counts for a 深圳 store. A customer without a city is taken as local (the usual
    case for a store's buyers); the clerk corrects the case when the ID shows otherwise. The resident ID's region
    code is not used: it names the county where the ID was issued, and no table of counties to cities is kept.
    """
    city, store_city = _normalise_city(customer.city), _normalise_city(store.city)
    if not city or not store_city:
        return True
    return city.startswith(store_city) or store_city.startswith(city)


def _target(store: Store, order: Order, opened_at: datetime) -> tuple[date, bool]:
    """The target date (working days from delivery, or from opening while the car is not delivered yet)."""
    days = selectors.registration_policy_for(store).target_working_days
    start = order.delivered_at or opened_at
    return add_working_days(selectors.local_today(store, start), days), order.delivered_at is not None


def _tell_customer(registration: Registration, subject: str, body: str, kind: str) -> None:
    """A text message to the customer's mobile (registration rests on the contract: no marketing consent needed)."""
    customer = registration.customer
    if not customer.mobile or customer.erased_at:
        return
    notification_queue(
        channel="sms",
        recipient=customer.mobile,
        subject=subject,
        body=body,
        store=registration.store,
        kind=kind,
    )


def _check_clerk(clerk, store_id: int) -> None:
    if clerk is not None and not user_can(clerk, "paperwork.manage", store_id):
        raise ValidationError({"clerk": [_("This person is not a registration clerk of the store.")]})


def _write_checklist(registration: Registration) -> list[str]:
    """Bring the documents in line with the case; returns the kinds removed (received ones included)."""
    if registration.by_customer:
        return []
    wanted = checklist_for(
        Case(
            local=registration.is_local,
            company=registration.owner_kind == OwnerKind.COMPANY,
            financed=registration.financed,
            imported=registration.imported,
            new_energy=registration.new_energy,
        )
    )
    existing = {d.kind: d for d in RegistrationDocument.objects.filter(registration=registration)}
    removed = sorted(k for k in existing if k not in wanted)
    if removed:
        RegistrationDocument.objects.filter(registration=registration, kind__in=removed).delete()
    for position, kind in enumerate(wanted):
        doc = existing.get(kind)
        if doc is None:
            RegistrationDocument.objects.create(
                registration=registration, store_id=registration.store_id, kind=kind, position=position
            )
        elif doc.position != position:
            RegistrationDocument.objects.filter(pk=doc.pk).update(position=position)
    return removed


def _clean_case(owner_kind: str, company_name: str) -> tuple[str, str]:
    if owner_kind not in OwnerKind.values:
        raise ValidationError({"owner_kind": [_("Choose whether the owner is a person or a company.")]})
    company_name = (company_name or "").strip()
    if owner_kind == OwnerKind.COMPANY and not company_name:
        raise ValidationError({"company_name": [_("Enter the company's name as on its business licence.")]})
    if owner_kind == OwnerKind.INDIVIDUAL:
        company_name = ""
    return owner_kind, company_name[:100]


# ---------------------------------------------------------------- opening


@transaction.atomic
def registration_open(
    *,
    actor,
    order: Order,
    by_customer: bool = False,
    owner_kind: str = OwnerKind.INDIVIDUAL,
    company_name: str = "",
    local: bool | None = None,
    clerk=None,
    note: str = "",
    now: datetime | None = None,
) -> Registration:
    """Open the registration of a signed or delivered order: by the store (with its document checklist) or recorded
    as done by the customer themselves. One live registration per order."""
    now = now or timezone.now()
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "stock_vehicle", "trim")
        .get(pk=order.pk)
    )
    if not may_work_on(actor, order):
        raise NotPermitted(_("Only the registration clerk or the order's consultant can open its registration."))
    if order.status not in OPENABLE_ORDER_STATUSES:
        raise TransitionRefused(
            _("Only a signed or delivered order can be registered; this order is “%(status)s”.")
            % {"status": OrderStatus(order.status).label},
            code="order_not_signed",
        )
    if Registration.objects.filter(order=order, status__in=sorted(LIVE_STATUSES)).exists():
        raise Conflict(
            _("Order %(number)s already has a registration.") % {"number": order.number},
            code="registration_exists",
        )
    owner_kind, company_name = _clean_case(owner_kind, company_name)
    if clerk is None and not by_customer and user_can(actor, "paperwork.manage", order.store_id):
        clerk = actor
    _check_clerk(clerk, order.store_id)
    store, customer = order.store, order.customer
    target_on, from_delivery = (None, False) if by_customer else _target(store, order, now)
    registration = Registration(
        store=store,
        order=order,
        customer=customer,
        stock_vehicle=order.stock_vehicle,
        number=order.number,
        by_customer=bool(by_customer),
        owner_kind=owner_kind,
        company_name=company_name,
        is_local=is_local_owner(customer, store) if local is None else bool(local),
        financed=order.payment_method == PaymentMethod.LOAN,
        imported=order.trim.origin == Origin.IMPORTED,
        new_energy=order.trim.energy_type in NEW_ENERGY_TYPES,
        clerk=None if by_customer else clerk,
        target_on=target_on,
        target_from_delivery=from_delivery,
        opened_at=now,
        note=(note or "").strip()[:300],
        created_by=actor,
    )
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise Conflict(
            _("Order %(number)s already has a registration.") % {"number": order.number},
            code="registration_exists",
        ) from None
    _write_checklist(registration)
    audit_record(
        actor=actor,
        action="registration.opened",
        target=registration,
        diff={
            "status": [None, registration.status],
            "by_customer": [None, registration.by_customer],
            "case": [
                None,
                {
                    "owner_kind": owner_kind,
                    "local": registration.is_local,
                    "financed": registration.financed,
                    "imported": registration.imported,
                    "new_energy": registration.new_energy,
                },
            ],
            "target_on": [None, target_on.isoformat() if target_on else None],
        },
    )
    if by_customer:
        _tell_customer(
            registration,
            _("Registration of your car"),
            _(
                "%(store)s: you register your car (order %(number)s) yourself. Please tell us the plate number "
                "once you have it."
            )
            % {"store": store.name, "number": order.number},
            "registration.opened",
        )
    else:
        _tell_customer(
            registration,
            _("Registration of your car"),
            _(
                "%(store)s: we have started registering your car (order %(number)s). Please bring the documents on "
                "the checklist; we aim to have your plates ready by %(date)s."
            )
            % {"store": store.name, "number": order.number, "date": target_on.isoformat()},
            "registration.opened",
        )
    return registration


@transaction.atomic
def registration_set_case(
    *,
    actor,
    registration: Registration,
    owner_kind: str | None = None,
    company_name: str | None = None,
    local: bool | None = None,
) -> Registration:
    """Correct the case while documents are collected (owner kind, local or not); the checklist follows."""
    registration = _lock(registration)
    _require_paperwork(actor, registration)
    if registration.by_customer or registration.status != S.COLLECTING_DOCUMENTS:
        raise TransitionRefused(
            _("The case can only change while the store is collecting documents."), code="registration_case_locked"
        )
    kind, name = _clean_case(
        owner_kind if owner_kind is not None else registration.owner_kind,
        company_name if company_name is not None else registration.company_name,
    )
    before = {"owner_kind": registration.owner_kind, "local": registration.is_local}
    registration.owner_kind, registration.company_name = kind, name
    if local is not None:
        registration.is_local = bool(local)
    registration.save(update_fields=["owner_kind", "company_name", "is_local", "updated_at"])
    removed = _write_checklist(registration)
    audit_record(
        actor=actor,
        action="registration.case_changed",
        target=registration,
        diff={
            "owner_kind": [before["owner_kind"], kind],
            "local": [before["local"], registration.is_local],
            "documents_removed": [removed, []],
        },
    )
    return registration


@transaction.atomic
def registration_assign(*, actor, registration: Registration, clerk) -> Registration:
    """Make a clerk responsible for the case."""
    registration = _lock(registration)
    _require_paperwork(actor, registration)
    if registration.status not in OPEN_STATUSES or registration.by_customer:
        raise TransitionRefused(_("Only an open case of the store can be assigned."), code="registration_closed")
    if clerk is None:
        raise ValidationError({"clerk": [_("Choose the clerk responsible.")]})
    _check_clerk(clerk, registration.store_id)
    before = registration.clerk_id
    registration.clerk = clerk
    registration.save(update_fields=["clerk", "updated_at"])
    audit_record(actor=actor, action="registration.assigned", target=registration, diff={"clerk": [before, clerk.pk]})
    return registration


# ---------------------------------------------------------------- collecting (5.3.2)


@transaction.atomic
def registration_document_receive(
    *,
    actor,
    registration: Registration,
    kind: str,
    holder: str,
    note: str = "",
    id_number: str = "",
    now: datetime | None = None,
) -> RegistrationDocument:
    """Mark one checklist document received, with who holds it and when. Receiving one twice is refused.

    With the owner's ID card, the number on it (when given) goes to the customer's encrypted field (5.3.2), so the
    application is filled from the record; a number differing from the one on record is refused."""
    now = now or timezone.now()
    registration = _lock(registration)
    _require_paperwork(actor, registration)
    if registration.by_customer:
        raise TransitionRefused(
            _("The customer registers this car themselves: the store collects no documents."),
            code="registration_by_customer",
        )
    if registration.status != S.COLLECTING_DOCUMENTS:
        raise TransitionRefused(
            _("Documents are collected before submission; this registration is “%(status)s”.")
            % {"status": _status_label(registration.status)},
            code="registration_not_collecting",
        )
    if holder not in DocumentHolder.values:
        raise ValidationError({"holder": [_("Say who holds the document: the customer, the store or the lender.")]})
    doc = RegistrationDocument.objects.select_for_update().filter(registration=registration, kind=kind).first()
    if doc is None:
        label = DocumentKind(kind).label if kind in DocumentKind.values else kind
        message = _("“%(document)s” is not on this registration's checklist.") % {"document": label}
        raise ValidationError({"kind": [message]})
    if doc.received_at is not None:
        raise Conflict(
            _("“%(document)s” was already marked received on %(date)s by %(who)s.")
            % {
                "document": doc.get_kind_display(),
                "date": timezone.localtime(doc.received_at, registration.store.tz).strftime("%Y-%m-%d %H:%M"),
                "who": doc.received_by or "—",
            },
            code="document_already_received",
            field="kind",
        )
    if kind == DocumentKind.OWNER_ID and (id_number or "").strip():
        customer_services.customer_record_id_number(actor=actor, customer=registration.customer, id_number=id_number)
    doc.holder, doc.received_at, doc.received_by, doc.note = holder, now, actor, (note or "").strip()[:200]
    doc.save(update_fields=["holder", "received_at", "received_by", "note"])
    audit_record(
        actor=actor,
        action="registration.document_received",
        target=registration,
        diff={"document": [None, kind], "holder": [None, holder]},
    )
    return doc


# ---------------------------------------------------------------- submitting and tracking (5.3.3)


@transaction.atomic
def registration_submit(
    *, actor, registration: Registration, office: str = "", now: datetime | None = None
) -> Registration:
    """Submit the file to the vehicle office; refused until every checklist document is received."""
    now = now or timezone.now()
    registration = _lock(registration)
    _require_paperwork(actor, registration)
    _move(registration, S.SUBMITTED)
    missing = list(
        RegistrationDocument.objects.filter(registration=registration, received_at__isnull=True).order_by("position")
    )
    if missing:
        raise TransitionRefused(
            _("Not all documents are in yet: %(missing)s.")
            % {"missing": "、".join(str(d.get_kind_display()) for d in missing)},
            code="documents_missing",
            extra={"missing": [d.kind for d in missing]},
        )
    before = registration.status
    registration.status, registration.submitted_at = S.SUBMITTED, now
    registration.office = (office or "").strip()[:100] or registration.office
    if registration.clerk_id is None:
        registration.clerk = actor
    _retarget(registration)
    registration.save(
        update_fields=["status", "submitted_at", "office", "clerk", "target_on", "target_from_delivery", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="registration.submitted",
        target=registration,
        diff={"status": [before, S.SUBMITTED], "office": [None, registration.office]},
    )
    _tell_customer(
        registration,
        _("Registration of your car"),
        _("%(store)s: the documents for your car (order %(number)s) were submitted to the vehicle office.")
        % {"store": registration.store.name, "number": registration.number},
        "registration.submitted",
    )
    return registration


def _retarget(registration: Registration) -> bool:
    """Count the target from delivery once the car is delivered (it was counted from opening before)."""
    delivered_at = registration.order.delivered_at
    if registration.by_customer or registration.target_from_delivery or delivered_at is None:
        return False
    registration.target_on, registration.target_from_delivery = _target(
        registration.store, registration.order, registration.opened_at
    )
    return True


def registrations_retarget(*, now: datetime | None = None) -> int:
    """Periodic: open cases opened before delivery get their target counted from the delivery. Idempotent."""
    ids = list(
        Registration.objects.filter(
            status__in=sorted(OPEN_STATUSES),
            by_customer=False,
            target_from_delivery=False,
            order__delivered_at__isnull=False,
        ).values_list("pk", flat=True)[:500]
    )
    count = 0
    for pk in ids:
        with transaction.atomic():
            registration = _lock(Registration(pk=pk))
            before = registration.target_on
            if _retarget(registration):
                registration.save(update_fields=["target_on", "target_from_delivery", "updated_at"])
                audit_record(
                    actor=None,
                    action="registration.retargeted",
                    target=registration,
                    diff={"target_on": [before.isoformat() if before else None, registration.target_on.isoformat()]},
                )
                count += 1
    return count


def registrations_remind_overdue(*, now: datetime | None = None) -> int:
    """Periodic: tell the clerk responsible (else every clerk of the store) in the app about each overdue case, once
    a day per case. Idempotent within the store's day."""
    now = now or timezone.now()
    candidates = (
        Registration.objects.filter(
            status__in=sorted(OPEN_STATUSES), by_customer=False, target_on__lt=timezone.localdate(now) + timedelta(1)
        )
        .select_related("store", "customer", "clerk")
        .order_by("store_id", "target_on", "id")[:1000]
    )
    sent = 0
    clerks_by_store: dict[int, list] = {}
    for registration in candidates:
        today = selectors.local_today(registration.store, now)
        if registration.target_on >= today or registration.overdue_reminded_on == today:
            continue
        with transaction.atomic():
            claimed = (
                Registration.objects.filter(pk=registration.pk)
                .exclude(overdue_reminded_on=today)
                .update(overdue_reminded_on=today)
            )
            if not claimed:
                continue
            if registration.clerk_id and registration.clerk.is_active:
                recipients = [registration.clerk]
            else:
                if registration.store_id not in clerks_by_store:
                    clerks_by_store[registration.store_id] = selectors.clerks_of(registration.store_id)
                recipients = clerks_by_store[registration.store_id]
            days = (today - registration.target_on).days
            for clerk in recipients:
                notification_queue(
                    channel="in_app",
                    subject=_("Registration %(number)s is overdue") % {"number": registration.number},
                    body=_(
                        "The registration of %(customer)s (order %(number)s) was due on %(date)s, %(days)s days ago; "
                        "it is “%(status)s”."
                    )
                    % {
                        "customer": registration.customer.name,
                        "number": registration.number,
                        "date": registration.target_on.isoformat(),
                        "days": days,
                        "status": _status_label(registration.status),
                    },
                    recipient_user=clerk,
                    store=registration.store,
                    kind="registration.overdue",
                )
            sent += 1
    return sent


# ---------------------------------------------------------------- plate (5.3.4)


def _clean_plate(plate: str, licence_issued_on, store: Store, now: datetime) -> tuple[str, date]:
    errors: dict[str, list[str]] = {}
    try:
        plate = v.normalize_plate(plate or "")
    except ValidationError as exc:
        errors["plate"] = exc.messages
    if not isinstance(licence_issued_on, date):
        errors["licence_issued_on"] = [_("Enter the date the vehicle licence (行驶证) was issued.")]
    elif licence_issued_on > selectors.local_today(store, now):
        errors["licence_issued_on"] = [_("The licence issue date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    return plate, licence_issued_on


def _plate_in_use(plate: str, registration: Registration) -> None:
    other = StockVehicle.objects.filter(plate=plate).exclude(pk=registration.stock_vehicle_id).first()
    taken = other is not None or (
        Registration.objects.filter(plate=plate, status__in=sorted(LIVE_STATUSES)).exclude(pk=registration.pk).exists()
    )
    if taken:
        raise Conflict(
            _("Plate %(plate)s is already on another vehicle; check the number on the licence.") % {"plate": plate},
            code="plate_in_use",
            field="plate",
        )


def _write_plate_to_vehicles(*, actor, registration: Registration, plate: str) -> None:
    """The plate goes on the stock vehicle and on the customer's owned vehicle (found by VIN, added if missing)."""
    vehicle = registration.stock_vehicle
    if vehicle is not None:
        vehicle = StockVehicle.objects.select_for_update().get(pk=vehicle.pk)
        try:
            with transaction.atomic():
                StockVehicle.objects.filter(pk=vehicle.pk).update(plate=plate, updated_at=timezone.now())
        except IntegrityError:
            raise Conflict(
                _("Plate %(plate)s is already on another vehicle; check the number on the licence.") % {"plate": plate},
                code="plate_in_use",
                field="plate",
            ) from None
    customer = registration.customer
    vin = vehicle.vin if vehicle is not None else ""
    owned = (
        OwnedVehicle.objects.select_for_update().filter(store_id=customer.store_id, customer=customer, vin=vin).first()
        if vin
        else None
    )
    if owned is not None:
        OwnedVehicle.objects.filter(pk=owned.pk).update(plate=plate, bought_here=True)
        reindex_customer(customer)
        return
    trim = vehicle.trim if vehicle is not None else registration.order.trim
    fields = {
        "series": trim.series.name,
        "model_year": trim.model_year,
        "purchase_date": selectors.local_today(
            registration.store, registration.order.delivered_at or registration.order.signed_at or timezone.now()
        ),
        "bought_here": True,
    }
    try:
        vehicle_add(actor=actor, customer=customer, brand=trim.series.brand.name, plate=plate, vin=vin, **fields)
    except NotPermitted:
        # The clerk may not edit customers; the car bought here is still the customer's (same checks, same audit).
        created = OwnedVehicle.objects.create(
            store_id=customer.store_id, customer=customer, brand=trim.series.brand.name, plate=plate, vin=vin, **fields
        )
        reindex_customer(customer)
        audit_record(
            actor=actor, action="customer.vehicle_added", target=customer, diff={"vehicle": [None, str(created)]}
        )


@transaction.atomic
def registration_record_plate(
    *, actor, registration: Registration, plate: str, licence_issued_on: date, now: datetime | None = None
) -> Registration:
    """Record the plate and the licence issue date. The store's case becomes `plate_issued`; a registration by the
    customer is completed by it (the plates are already theirs)."""
    now = now or timezone.now()
    registration = _lock(registration)
    if registration.by_customer:
        if not may_work_on(actor, registration.order):
            raise NotPermitted(_("Only the registration clerk or the order's consultant can record the plate."))
        to = S.COMPLETED
    else:
        _require_paperwork(actor, registration)
        to = S.PLATE_ISSUED
    _move(registration, to)
    plate, licence_issued_on = _clean_plate(plate, licence_issued_on, registration.store, now)
    _plate_in_use(plate, registration)
    _write_plate_to_vehicles(actor=actor, registration=registration, plate=plate)
    before = registration.status
    registration.status, registration.plate, registration.licence_issued_on = to, plate, licence_issued_on
    registration.plate_issued_at = now
    if to == S.COMPLETED:
        registration.completed_at = now
    registration.save(
        update_fields=["status", "plate", "licence_issued_on", "plate_issued_at", "completed_at", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="registration.plate_recorded",
        target=registration,
        diff={
            "status": [before, to],
            "plate": [None, plate],
            "licence_issued_on": [None, licence_issued_on.isoformat()],
        },
    )
    if to == S.PLATE_ISSUED:
        _tell_customer(
            registration,
            _("Your plates are ready"),
            _(
                "%(store)s: your car (order %(number)s) is registered as %(plate)s. Your licence and plates are ready "
                "to collect."
            )
            % {"store": registration.store.name, "number": registration.number, "plate": plate},
            "registration.plate_issued",
        )
    return registration


@transaction.atomic
def registration_complete(*, actor, registration: Registration, now: datetime | None = None) -> Registration:
    """The licence (行驶证) and the plates were handed to the customer."""
    now = now or timezone.now()
    registration = _lock(registration)
    _require_paperwork(actor, registration)
    _move(registration, S.COMPLETED)
    if not registration.plate:
        # A case the customer handles themselves completes when their plate is recorded (registration_record_plate);
        # a completed case always has its plate (registration_plate_when_issued).
        raise TransitionRefused(
            _("Record the plate first: a registration is completed with the plate the car was registered under."),
            code="registration_plate_missing",
            field="plate",
        )
    before = registration.status
    registration.status, registration.completed_at = S.COMPLETED, now
    registration.save(update_fields=["status", "completed_at", "updated_at"])
    audit_record(
        actor=actor, action="registration.completed", target=registration, diff={"status": [before, S.COMPLETED]}
    )
    _tell_customer(
        registration,
        _("Registration of your car"),
        _("%(store)s: you collected the licence and plates %(plate)s. Thank you, and enjoy your car.")
        % {"store": registration.store.name, "plate": registration.plate},
        "registration.completed",
    )
    return registration


@transaction.atomic
def registration_cancel(*, actor, registration: Registration, reason: str, now: datetime | None = None) -> Registration:
    """Cancel an unfinished case, saying why (e.g. the customer now registers the car themselves)."""
    now = now or timezone.now()
    registration = _lock(registration)
    if not (user_can(actor, "paperwork.manage", registration.store_id) or may_work_on(actor, registration.order)):
        raise NotPermitted()
    _move(registration, S.CANCELLED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the registration is cancelled.")]})
    before = registration.status
    registration.status, registration.cancelled_at, registration.cancel_reason = S.CANCELLED, now, reason[:300]
    registration.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="registration.cancelled",
        target=registration,
        diff={"status": [before, S.CANCELLED], "reason": [None, reason[:300]]},
    )
    return registration


def registration_cancel_with_order(*, actor, order, reason: str) -> None:
    """The order was cancelled (in its transaction): an unfinished registration of it is cancelled too."""
    registration = (
        Registration.objects.select_for_update()
        .filter(order=order)
        .exclude(status__in=[S.COMPLETED, S.CANCELLED])
        .first()
    )
    if registration is None:
        return
    before = registration.status
    text = (_("Order cancelled: %(reason)s") % {"reason": reason})[:300]
    registration.status, registration.cancelled_at, registration.cancel_reason = S.CANCELLED, timezone.now(), text
    registration.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="registration.cancelled",
        target=registration,
        diff={"status": [before, S.CANCELLED], "reason": [None, text]},
    )


@transaction.atomic
def registration_policy_update(*, actor, store: Store, target_working_days: int) -> RegistrationPolicy:
    """A store administrator sets the target (working days from delivery) for new cases."""
    if not user_can(actor, "store.manage", store):
        raise NotPermitted(_("Only a store administrator can change the registration target."))
    if not isinstance(target_working_days, int) or not 1 <= target_working_days <= 120:
        raise ValidationError({"target_working_days": [_("The target is between 1 and 120 working days.")]})
    policy, _created = RegistrationPolicy.objects.select_for_update().get_or_create(store=store)
    before = policy.target_working_days
    policy.target_working_days, policy.updated_by = target_working_days, actor
    policy.save()
    audit_record(
        actor=actor,
        action="registration_policy.updated",
        target=policy,
        store_id=store.pk,
        diff={"target_working_days": [before, target_working_days]},
    )
    return policy


__all__ = [
    "is_local_owner",
    "registration_assign",
    "registration_cancel",
    "registration_complete",
    "registration_document_receive",
    "registration_open",
    "registration_policy_update",
    "registration_record_plate",
    "registration_set_case",
    "registration_submit",
    "registrations_remind_overdue",
    "registrations_retarget",
]
