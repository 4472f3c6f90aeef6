"""Writes of deliveries and gifts. Each service re-checks permission, validates before writing, writes in one
transaction (locking what changes), records an audit entry and queues its messages."""

import base64
import binascii
import datetime
import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.catalog.choices import CertificateHolder, Origin, StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.catalog.services import stock_change_status
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue
from dealerdesk.core.validators import cny_into
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import STAGE_MOVES, FollowUpPurpose, Stage
from dealerdesk.offers.engine import yuan
from dealerdesk.offers.selectors import offer_policy_for
from dealerdesk.sales import selectors as sales_selectors
from dealerdesk.sales import services as sales_services
from dealerdesk.sales.contract_text import promised_gifts as contract_promised_gifts
from dealerdesk.sales.models import Order

from . import selectors
from .choices import (
    DELIVERY_MOVES,
    OPEN_STATUSES,
    TITLE_DOCUMENT,
    WARRANTY_TERMS,
    DeliveryStatus,
    DocumentKind,
    ExplanationItem,
    FollowUpRole,
    OriginSource,
    PdiResult,
    PromisedGiftStatus,
    documents_for,
    origin_from_vin,
)
from .models import (
    Delivery,
    DeliveryDocument,
    DeliveryFollowUp,
    DeliveryGift,
    DeliverySettings,
    GiftItem,
    GiftRule,
    HandoverPhoto,
    PdiCheck,
    PromisedGift,
    WarrantyClock,
)

MAX_SIGNATURE_BYTES = 200_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_ODOMETER_KM = 100_000
GIFT_VALUE_MAX = Decimal("100000000")  # a gift worth more is a typo (fen typed as yuan)
FOLLOW_UP_HOUR = 10  # post-delivery calls are due at 10:00 store time


# ---------------------------------------------------------------- helpers


def _require_any(actor: User, perms: tuple[str, ...], store_or_obj) -> None:
    if not any(user_can(actor, p, store_or_obj) for p in perms):
        raise NotPermitted()


PREPARERS = ("paperwork.manage", "sales.sell")  # the clerk prepares; consultants and managers may too
GIFT_MANAGERS = ("store.manage", "paperwork.manage")


def settings_for(store: Store | int) -> DeliverySettings:
    """The store's delivery settings, created with the defaults the first time."""
    store_id = store if isinstance(store, int) else store.pk
    found, _created = DeliverySettings.objects.get_or_create(store_id=store_id)
    return found


def _lock(delivery: Delivery) -> Delivery:
    return Delivery.objects.select_for_update().select_related("store").get(pk=delivery.pk)


def _refuse_move(delivery: Delivery, target: str) -> None:
    if target not in DELIVERY_MOVES[delivery.status]:
        raise TransitionRefused(
            _("A delivery that is “%(current)s” cannot become “%(target)s”.")
            % {"current": delivery.get_status_display(), "target": DeliveryStatus(target).label},
            code="delivery_move_refused",
        )


def _require_open(delivery: Delivery) -> None:
    if delivery.status not in OPEN_STATUSES:
        raise TransitionRefused(
            _("The car has been handed over; this delivery can no longer be changed."), code="delivery_closed"
        )


def _require_scheduled(delivery: Delivery) -> None:
    _require_open(delivery)
    if delivery.status != DeliveryStatus.SCHEDULED:
        raise TransitionRefused(
            _("The delivery is already marked prepared; PDI and documents can no longer be changed."),
            code="delivery_prepared",
        )


def _local(dt: datetime.datetime, store: Store) -> str:
    return timezone.localtime(dt, store.tz).strftime("%Y-%m-%d %H:%M")


def _notify_customer(delivery: Delivery, subject: str, body: str, kind: str) -> None:
    mobile = delivery.customer.mobile
    if mobile:
        notification_queue(channel="sms", recipient=mobile, store=delivery.store, subject=subject, body=body, kind=kind)


def _confirmation_text(delivery: Delivery) -> tuple[str, str]:
    store = delivery.store
    subject = _("Your delivery appointment at %(store)s") % {"store": store.name}
    body = _(
        "Dear %(name)s, your new car will be handed over on %(when)s at %(bay)s, %(store)s. "
        "Please bring your ID card. Your consultant: %(consultant)s."
    ) % {
        "name": delivery.customer.name,
        "when": _local(delivery.scheduled_at, store),
        "bay": delivery.bay,
        "store": store.name,
        "consultant": delivery.consultant,
    }
    return subject, body


# ---------------------------------------------------------------- settings


@transaction.atomic
def delivery_settings_update(
    *,
    actor: User,
    store: Store,
    bays: list[str] | None = None,
    slot_minutes: int | None = None,
    pdi_items: list[dict] | None = None,
    followups: list[dict] | None = None,
    odometer_warning_km: int | None = None,
) -> DeliverySettings:
    """Change a store's bays, slot length, PDI checklist or follow-up plan (store administrators)."""
    if not user_can(actor, "store.manage", store):
        raise NotPermitted()
    current = settings_for(store)
    current = DeliverySettings.objects.select_for_update().get(pk=current.pk)
    before = {
        "bays": current.bays,
        "slot_minutes": current.slot_minutes,
        "pdi_items": current.pdi_items,
        "followups": current.followups,
        "odometer_warning_km": current.odometer_warning_km,
    }
    errors: dict[str, list[str]] = {}
    if bays is not None:
        clean_bays = [b.strip() for b in bays if (b or "").strip()]
        if not clean_bays:
            errors["bays"] = [_("Name at least one delivery bay.")]
        elif len(set(clean_bays)) != len(clean_bays):
            errors["bays"] = [_("Each bay needs a different name.")]
        elif any(len(b) > 40 for b in clean_bays):
            errors["bays"] = [_("A bay name has at most 40 characters.")]
        current.bays = clean_bays
    if slot_minutes is not None:
        if not 15 <= int(slot_minutes) <= 480:
            errors["slot_minutes"] = [_("An appointment lasts between 15 and 480 minutes.")]
        current.slot_minutes = int(slot_minutes)
    if pdi_items is not None:
        items = []
        for item in pdi_items:
            code = str(item.get("code", "")).strip()
            if code:
                items.append({"code": code[:40], "label": str(item.get("label", "")).strip()[:120]})
        if not items:
            errors["pdi_items"] = [_("The PDI checklist needs at least one item.")]
        elif len({i["code"] for i in items}) != len(items):
            errors["pdi_items"] = [_("Each PDI item needs a different code.")]
        current.pdi_items = items
    if followups is not None:
        plan = []
        for entry in followups:
            try:
                day = int(entry.get("day"))
            except (TypeError, ValueError):
                day = 0
            role = entry.get("role")
            if not 1 <= day <= 365 or role not in FollowUpRole.values:
                errors["followups"] = [_("Each follow-up needs a day from 1 to 365 and a responsible role.")]
                break
            plan.append({"day": day, "role": role})
        if len({p["day"] for p in plan}) != len(plan):
            errors.setdefault("followups", []).append(_("Plan at most one follow-up per day."))
        current.followups = sorted(plan, key=lambda p: p["day"])
    if odometer_warning_km is not None:
        if int(odometer_warning_km) < 0:
            errors["odometer_warning_km"] = [_("The limit cannot be negative.")]
        current.odometer_warning_km = int(odometer_warning_km)
    if errors:
        raise ValidationError(errors)
    current.updated_by = actor
    current.save()
    after = {k: getattr(current, k) for k in before}
    audit_record(actor=actor, action="delivery_settings.updated", target=store, diff=diff_fields(before, after))
    return current


# ---------------------------------------------------------------- scheduling (5.2.1)


def _parse_slot(store: Store, scheduled_at: Any, errors: dict) -> datetime.datetime | None:
    if not isinstance(scheduled_at, datetime.datetime):
        errors["scheduled_at"] = [_("Enter the date and time of the handover.")]
        return None
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at, store.tz)
    if scheduled_at < timezone.now() - datetime.timedelta(minutes=5):
        errors["scheduled_at"] = [_("The handover cannot be in the past.")]
        return None
    return scheduled_at.replace(second=0, microsecond=0)


def _check_bay_free(store: Store, bay: str, start, end, *, exclude: int | None = None) -> None:
    clash = Delivery.objects.filter(store=store, bay=bay, scheduled_at__lt=end, ends_at__gt=start).exclude(
        status=DeliveryStatus.CANCELLED
    )
    if exclude:
        clash = clash.exclude(pk=exclude)
    other = clash.only("scheduled_at", "number").first()
    if other is not None:
        raise Conflict(
            _("%(bay)s is already booked at %(when)s (order %(number)s); choose another time or bay.")
            % {"bay": bay, "when": _local(other.scheduled_at, store), "number": other.number},
            code="bay_taken",
            field="scheduled_at",
        )


def _matching_rules(order: Order) -> list[GiftRule]:
    """The store's active gift rules this order meets: trim, promotion of the accepted offer, order value."""
    promotion_ids: set[int] = set()
    if order.offer_version_id:
        from dealerdesk.offers.models import OfferLine

        promotion_ids |= set(
            OfferLine.objects.filter(version_id=order.offer_version_id, promotion__isnull=False).values_list(
                "promotion_id", flat=True
            )
        )
    for line in order.price_lines or []:
        if isinstance(line, dict):
            value = line.get("promotion_id", line.get("promotion"))
            if isinstance(value, int):
                promotion_ids.add(value)
    rules = []
    for rule in GiftRule.objects.filter(store_id=order.store_id, is_active=True, gift__is_active=True):
        if rule.trim_id and rule.trim_id != order.trim_id:
            continue
        if rule.promotion_id and rule.promotion_id not in promotion_ids:
            continue
        if rule.min_order_total is not None and order.total < rule.min_order_total:
            continue
        rules.append(rule)
    return rules


@transaction.atomic
def delivery_schedule(
    *, actor: User, order: Order, scheduled_at: datetime.datetime, bay: str, origin: str | None = None, origin_note=""
) -> Delivery:
    """Book the handover of an order that is ready (signed and paid or loan approved) in a free bay.

    Builds the PDI checklist and the document pack (by origin: from the VIN unless `origin` overrides it), applies
    the gift rules, and sends the customer a confirmation.
    """
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "trim", "stock_vehicle")
        .get(pk=order.pk)
    )
    store = order.store
    _require_any(actor, PREPARERS, store)
    if not selectors.sees_whole_store(actor, store) and order.consultant_id != actor.pk:
        raise NotPermitted(_("Only the order's own consultant, a manager or the clerk can book its handover."))
    blocker = sales_selectors.order_delivery_blocker(order)
    if blocker:
        raise TransitionRefused(blocker, code="order_not_ready", field="order")
    if order.stock_vehicle_id is None:
        raise DomainError(
            _("No vehicle is allocated to this order yet; allocate a stock vehicle before booking the handover."),
            code="no_vehicle",
            field="order",
        )
    if Delivery.objects.filter(order=order).exists():
        raise Conflict(_("This order already has a delivery appointment."), code="delivery_exists", field="order")
    # one writer per store at a time: the bay check and the insert cannot interleave (both databases)
    config = DeliverySettings.objects.select_for_update().get(pk=settings_for(store).pk)
    errors: dict[str, list[str]] = {}
    start = _parse_slot(store, scheduled_at, errors)
    bay = (bay or "").strip()
    if bay not in config.bays:
        errors["bay"] = [_("Choose one of the store's delivery bays: %(bays)s.") % {"bays": "、".join(config.bays)}]
    if origin not in (None, "") and origin not in Origin.values:
        errors["origin"] = [_("Choose domestic or imported.")]
    if errors:
        raise ValidationError(errors)
    end = start + datetime.timedelta(minutes=config.slot_minutes)
    _check_bay_free(store, bay, start, end)
    vehicle = order.stock_vehicle
    from_vin = origin_from_vin(vehicle.vin)
    if origin:
        chosen, source = origin, OriginSource.OVERRIDE
        note = (origin_note or "").strip() or _("Set by %(user)s; the VIN's WMI %(wmi)s suggests %(guess)s.") % {
            "user": actor,
            "wmi": vehicle.vin[:3],
            "guess": Origin(from_vin).label,
        }
    else:
        chosen, source = from_vin, OriginSource.VIN
        note = _("The VIN's WMI %(wmi)s starts with “%(char)s”: %(origin)s.") % {
            "wmi": vehicle.vin[:3],
            "char": vehicle.vin[:1],
            "origin": Origin(chosen).label,
        }
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                store=store,
                number=order.number,
                order=order,
                customer=order.customer,
                consultant_id=order.consultant_id,
                vehicle=vehicle,
                scheduled_at=start,
                ends_at=end,
                bay=bay,
                origin=chosen,
                origin_source=source,
                origin_note=note[:200],
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            _("%(bay)s was booked at that time a moment ago; choose another time or bay.") % {"bay": bay},
            code="bay_taken",
            field="scheduled_at",
        ) from None
    labels = selectors.pdi_labels(config)
    PdiCheck.objects.bulk_create(
        PdiCheck(delivery=delivery, code=code, label=label, position=i) for i, (code, label) in enumerate(labels)
    )
    _build_pack(delivery, order.trim.energy_type)
    gifts = []
    for rule in _matching_rules(order):
        if rule.gift_id not in {g.gift_id for g in gifts}:
            gifts.append(DeliveryGift(delivery=delivery, gift_id=rule.gift_id, quantity=rule.quantity, rule=rule))
    DeliveryGift.objects.bulk_create(gifts)
    # every gift the contract promised is on the handover checklist, item by item
    promised = [
        PromisedGift(delivery=delivery, position=position, item=item[:100], source=source[:200])
        for position, (item, source) in enumerate(contract_promised_gifts(order.price_lines))
    ]
    PromisedGift.objects.bulk_create(promised)
    audit_record(
        actor=actor,
        action="delivery.scheduled",
        target=delivery,
        diff={
            "scheduled_at": [None, start.isoformat()],
            "bay": [None, bay],
            "origin": [None, chosen],
            "origin_source": [None, source],
            "gifts": [None, [g.gift_id for g in gifts]],
            "promised_gifts": [None, [p.item for p in promised]],
        },
    )
    subject, body = _confirmation_text(delivery)
    _notify_customer(delivery, subject, body, "delivery.confirmation")
    return delivery


def _build_pack(delivery: Delivery, energy_type: str) -> None:
    """Add the documents this origin needs (received ones stay); drop unreceived ones it does not need."""
    wanted = documents_for(delivery.origin, energy_type)
    existing = {d.kind: d for d in DeliveryDocument.objects.filter(delivery=delivery)}
    title = TITLE_DOCUMENT[delivery.origin]
    holder = delivery.vehicle.certificate_holder
    for kind, doc in existing.items():
        if kind not in wanted and doc.received_at is None:
            doc.delete()
    new = []
    for position, kind in enumerate(wanted):
        if kind in existing:
            DeliveryDocument.objects.filter(pk=existing[kind].pk).update(position=position)
            continue
        new.append(
            DeliveryDocument(
                delivery=delivery,
                kind=kind,
                position=position,
                quantity=2 if kind == DocumentKind.KEYS else 1,
                holder=holder if kind == title else CertificateHolder.STORE,
            )
        )
    DeliveryDocument.objects.bulk_create(new)


@transaction.atomic
def delivery_reschedule(*, actor: User, delivery: Delivery, scheduled_at: datetime.datetime, bay: str) -> Delivery:
    """Move the appointment to another time or bay; the customer gets a new confirmation and reminder."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_open(delivery)
    store = delivery.store
    config = DeliverySettings.objects.select_for_update().get(pk=settings_for(store).pk)
    errors: dict[str, list[str]] = {}
    start = _parse_slot(store, scheduled_at, errors)
    bay = (bay or "").strip()
    if bay not in config.bays:
        errors["bay"] = [_("Choose one of the store's delivery bays: %(bays)s.") % {"bays": "、".join(config.bays)}]
    if errors:
        raise ValidationError(errors)
    end = start + datetime.timedelta(minutes=config.slot_minutes)
    _check_bay_free(store, bay, start, end, exclude=delivery.pk)
    before = {"scheduled_at": delivery.scheduled_at.isoformat(), "bay": delivery.bay}
    delivery.scheduled_at, delivery.ends_at, delivery.bay = start, end, bay
    delivery.reminder_sent_at = None
    try:
        with transaction.atomic():
            delivery.save(update_fields=["scheduled_at", "ends_at", "bay", "reminder_sent_at", "updated_at"])
    except IntegrityError:
        raise Conflict(
            _("%(bay)s was booked at that time a moment ago; choose another time or bay.") % {"bay": bay},
            code="bay_taken",
            field="scheduled_at",
        ) from None
    audit_record(
        actor=actor,
        action="delivery.rescheduled",
        target=delivery,
        diff=diff_fields(before, {"scheduled_at": start.isoformat(), "bay": bay}),
    )
    delivery = Delivery.objects.select_related("store", "customer", "consultant").get(pk=delivery.pk)
    subject, body = _confirmation_text(delivery)
    _notify_customer(delivery, subject, body, "delivery.confirmation")
    return delivery


@transaction.atomic
def delivery_set_origin(*, actor: User, delivery: Delivery, origin: str, note: str) -> Delivery:
    """Override where the car was made (the VIN's guess is wrong); the document pack follows."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_scheduled(delivery)
    errors = {}
    if origin not in Origin.values:
        errors["origin"] = [_("Choose domestic or imported.")]
    if not (note or "").strip():
        errors["note"] = [_("Say why the VIN's origin is overridden (e.g. what the certificate shows).")]
    if errors:
        raise ValidationError(errors)
    before = {"origin": delivery.origin, "origin_source": delivery.origin_source}
    delivery.origin, delivery.origin_source, delivery.origin_note = origin, OriginSource.OVERRIDE, note.strip()[:200]
    delivery.save(update_fields=["origin", "origin_source", "origin_note", "updated_at"])
    vehicle = StockVehicle.objects.select_related("trim").get(pk=delivery.vehicle_id)
    delivery.vehicle = vehicle
    _build_pack(delivery, vehicle.trim.energy_type)
    audit_record(
        actor=actor,
        action="delivery.origin_set",
        target=delivery,
        diff={**diff_fields(before, {"origin": origin, "origin_source": OriginSource.OVERRIDE}), "note": [None, note]},
    )
    return delivery


def deliveries_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Remind customers the day before their handover (store calendar); each appointment once."""
    now = now or timezone.now()
    sent = 0
    window_end = now + datetime.timedelta(hours=48)
    candidates = Delivery.objects.filter(
        status__in=OPEN_STATUSES, reminder_sent_at__isnull=True, scheduled_at__gt=now, scheduled_at__lte=window_end
    ).select_related("store", "customer", "consultant")
    for delivery in candidates:
        tz = delivery.store.tz
        tomorrow = timezone.localtime(now, tz).date() + datetime.timedelta(days=1)
        if timezone.localtime(delivery.scheduled_at, tz).date() != tomorrow:
            continue
        with transaction.atomic():
            claimed = Delivery.objects.filter(pk=delivery.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            subject = _("Reminder: your car is handed over tomorrow")
            body = _(
                "Dear %(name)s, a reminder that your new car will be handed over on %(when)s at %(bay)s, %(store)s. "
                "Please bring your ID card."
            ) % {
                "name": delivery.customer.name,
                "when": _local(delivery.scheduled_at, delivery.store),
                "bay": delivery.bay,
                "store": delivery.store.name,
            }
            _notify_customer(delivery, subject, body, "delivery.reminder")
            audit_record(actor=None, action="delivery.reminded", target=delivery)
            sent += 1
    return sent


# ---------------------------------------------------------------- PDI (5.2.2)


@transaction.atomic
def pdi_check(*, actor: User, delivery: Delivery, code: str, passed: bool, note: str = "") -> PdiCheck:
    """Record one PDI item as passed or failed (a failure needs a note); a failed item is checked again once fixed."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_scheduled(delivery)
    item = PdiCheck.objects.select_for_update().filter(delivery=delivery, code=code).first()
    if item is None:
        raise ValidationError({"item": [_("There is no such item on this delivery's PDI checklist.")]})
    note = (note or "").strip()
    if not passed and not note:
        raise ValidationError({"note": [_("Describe what failed, so it can be fixed.")]})
    before = {"result": item.result, "note": item.note}
    item.result = PdiResult.PASSED if passed else PdiResult.FAILED
    item.note = note[:300]
    item.checked_by = actor
    item.checked_at = timezone.now()
    item.save(update_fields=["result", "note", "checked_by", "checked_at"])
    # audited on the item: the customer's timeline shows the milestones (booked, prepared, handed over), not each tick
    audit_record(
        actor=actor,
        action="delivery.pdi_checked",
        target=item,
        store_id=delivery.store_id,
        diff={"delivery": [None, delivery.number], **diff_fields(before, {"result": item.result, "note": item.note})},
    )
    return item


# ---------------------------------------------------------------- documents (5.2.2)


@transaction.atomic
def document_receive(
    *,
    actor: User,
    delivery: Delivery,
    kind: str,
    quantity: int | None = None,
    invoice_number: str = "",
    invoice_date: datetime.date | None = None,
    note: str = "",
) -> DeliveryDocument:
    """Mark a document or item of the pack received. Keys need their count (at least 1); the invoice its date."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_scheduled(delivery)
    doc = DeliveryDocument.objects.select_for_update().filter(delivery=delivery, kind=kind).first()
    if doc is None:
        raise ValidationError({"kind": [_("This document is not part of this car's pack.")]})
    if doc.received_at is not None:
        raise Conflict(
            _("%(document)s was already marked received on %(when)s by %(who)s.")
            % {
                "document": doc.get_kind_display(),
                "when": _local(doc.received_at, delivery.store),
                "who": doc.received_by,
            },
            code="document_already_received",
            field="kind",
        )
    errors: dict[str, list[str]] = {}
    if kind == DocumentKind.KEYS:
        count = doc.quantity if quantity in (None, "") else quantity
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            errors["quantity"] = [_("A car is handed over with at least one key.")]
        elif count > 10:
            errors["quantity"] = [_("Count the keys again: more than 10 is not plausible.")]
        doc.quantity = max(count, 1)
    if kind == DocumentKind.SALES_INVOICE:
        if not isinstance(invoice_date, datetime.date):
            errors["invoice_date"] = [_("Enter the invoice date: the warranty starts on it.")]
        elif invoice_date > timezone.localdate(timezone.now(), delivery.store.tz):
            errors["invoice_date"] = [_("The invoice date cannot be in the future.")]
        delivery.invoice_number = (invoice_number or "").strip()[:40]
        delivery.invoice_date = invoice_date if isinstance(invoice_date, datetime.date) else None
    if errors:
        raise ValidationError(errors)
    doc.received_at = timezone.now()
    doc.received_by = actor
    doc.note = (note or "").strip()[:200]
    doc.save(update_fields=["quantity", "received_at", "received_by", "note"])
    if kind == DocumentKind.SALES_INVOICE:
        delivery.save(update_fields=["invoice_number", "invoice_date", "updated_at"])
    diff: dict[str, list] = {"document": [None, kind]}
    if kind == DocumentKind.KEYS:
        diff["quantity"] = [None, doc.quantity]
    if kind == DocumentKind.SALES_INVOICE:
        diff["invoice_date"] = [None, delivery.invoice_date.isoformat()]
    diff["delivery"] = [None, delivery.number]
    audit_record(actor=actor, action="delivery.document_received", target=doc, store_id=delivery.store_id, diff=diff)
    return doc


@transaction.atomic
def document_record_holder(
    *,
    actor: User,
    delivery: Delivery,
    kind: str,
    holder: str,
    holder_name: str = "",
    promised_on: datetime.date | None = None,
) -> DeliveryDocument:
    """Record who holds a document not yet here (a lender holding the 合格证 of financed stock) and when it is due."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_scheduled(delivery)
    doc = DeliveryDocument.objects.select_for_update().filter(delivery=delivery, kind=kind).first()
    if doc is None:
        raise ValidationError({"kind": [_("This document is not part of this car's pack.")]})
    if doc.received_at is not None:
        raise Conflict(
            _("%(document)s is already here; there is no holder to record.") % {"document": doc.get_kind_display()},
            code="document_already_received",
            field="kind",
        )
    errors: dict[str, list[str]] = {}
    if holder not in CertificateHolder.values:
        errors["holder"] = [_("Choose who holds the document.")]
    holder_name = (holder_name or "").strip()
    if holder != CertificateHolder.STORE and not holder_name:
        errors["holder_name"] = [_("Name the lender or carmaker holding it.")]
    if holder != CertificateHolder.STORE and not isinstance(promised_on, datetime.date):
        errors["promised_on"] = [_("Enter the date the holder promised to send it.")]
    if errors:
        raise ValidationError(errors)
    before = {"holder": doc.holder, "holder_name": doc.holder_name, "promised_on": doc.promised_on}
    doc.holder = holder
    doc.holder_name = holder_name[:100]
    doc.promised_on = promised_on if holder != CertificateHolder.STORE else None
    doc.save(update_fields=["holder", "holder_name", "promised_on"])
    audit_record(
        actor=actor,
        action="delivery.document_holder_recorded",
        target=doc,
        store_id=delivery.store_id,
        diff={
            "delivery": [None, delivery.number],
            "document": [None, kind],
            **diff_fields(
                before, {"holder": doc.holder, "holder_name": doc.holder_name, "promised_on": doc.promised_on}
            ),
        },
    )
    return doc


# ---------------------------------------------------------------- prepared


@transaction.atomic
def delivery_mark_prepared(*, actor: User, delivery: Delivery) -> Delivery:
    """PDI passed and the pack complete: the car is ready. Refused with the list of what is missing."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _refuse_move(delivery, DeliveryStatus.PREPARED)
    missing = selectors.preparation_missing(delivery)
    if missing:
        raise TransitionRefused(
            _("The car is not ready yet. Missing: %(missing)s.") % {"missing": "；".join(missing)},
            code="not_prepared",
            extra={"missing": missing},
        )
    delivery.status = DeliveryStatus.PREPARED
    delivery.prepared_at = timezone.now()
    delivery.save(update_fields=["status", "prepared_at", "updated_at"])
    audit_record(
        actor=actor,
        action="delivery.prepared",
        target=delivery,
        diff={
            "status": [DeliveryStatus.SCHEDULED, DeliveryStatus.PREPARED],
            "pdi_passed": [None, PdiCheck.objects.filter(delivery=delivery).count()],
            "documents_received": [
                None,
                list(DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True)),
            ],
        },
    )
    return delivery


# ---------------------------------------------------------------- gifts (5.2.5)


def _clean_gift(name: Any, unit_value: Any, errors: dict) -> tuple[str, Decimal | None]:
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Name the gift.")]
    elif len(name) > 100:
        errors["name"] = [_("A gift name has at most 100 characters.")]
    value = cny_into(errors, "unit_value", unit_value, maximum=GIFT_VALUE_MAX)
    if value is None and "unit_value" not in errors:
        value = Decimal("0.00")  # a gift of no declared value
    return name, value


@transaction.atomic
def gift_create(*, actor: User, store: Store, name: str, unit_value: Any = 0, stock: int = 0) -> GiftItem:
    """Add a gift item to a store's gift stock."""
    _require_any(actor, GIFT_MANAGERS, store)
    errors: dict[str, list[str]] = {}
    name, value = _clean_gift(name, unit_value, errors)
    if not isinstance(stock, int) or stock < 0:
        errors["stock"] = [_("Stock cannot be negative.")]
    if name and GiftItem.objects.filter(store=store, name=name).exists():
        errors["name"] = [_("This store already has a gift with this name.")]
    if errors:
        raise ValidationError(errors)
    gift = GiftItem.objects.create(store=store, name=name, unit_value=value, stock=stock)
    audit_record(actor=actor, action="gift.created", target=gift, diff={"name": [None, name], "stock": [None, stock]})
    return gift


@transaction.atomic
def gift_restock(*, actor: User, gift: GiftItem, change: int, reason: str = "") -> GiftItem:
    """Add to (or, with a negative change, write off) a gift's stock; never below zero."""
    _require_any(actor, GIFT_MANAGERS, gift)
    if not isinstance(change, int) or change == 0:
        raise ValidationError({"change": [_("Enter how many to add (or a negative number to write off).")]})
    if change < 0 and not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why stock is written off.")]})
    updated = GiftItem.objects.filter(pk=gift.pk, stock__gte=-change).update(stock=F("stock") + change)
    if not updated:
        raise Conflict(_("Only %(stock)s left; stock cannot go below zero.") % {"stock": gift.stock}, code="gift_stock")
    gift.refresh_from_db()
    audit_record(
        actor=actor,
        action="gift.restocked",
        target=gift,
        diff={"stock": [gift.stock - change, gift.stock], "reason": [None, reason]},
    )
    return gift


def _promotion_fits_gift(promotion, gift: GiftItem) -> bool:
    """The gift's store's own promotion, or a group-wide one of that store's dealer group (never another group's)."""
    store_group_id = Store.objects.filter(pk=gift.store_id).values_list("group_id", flat=True).first()
    if promotion.group_id != store_group_id:
        return False
    return promotion.store_id in (None, gift.store_id)


@transaction.atomic
def gift_rule_create(
    *,
    actor: User,
    gift: GiftItem,
    quantity: int = 1,
    trim=None,
    promotion=None,
    min_order_total: Any = None,
) -> GiftRule:
    """A gift policy: orders of this trim, with this promotion, or worth at least this much get the gift."""
    _require_any(actor, ("store.manage",), gift)
    errors: dict[str, list[str]] = {}
    if not isinstance(quantity, int) or quantity < 1:
        errors["quantity"] = [_("Give at least one.")]
    total = cny_into(errors, "min_order_total", min_order_total)
    if promotion is not None and not _promotion_fits_gift(promotion, gift):
        errors["promotion"] = [_("This promotion belongs to another store.")]
    if trim is None and promotion is None and total is None:
        errors["__all__"] = [_("Set at least one condition: trim, promotion or order value.")]
    if errors:
        raise ValidationError(errors)
    rule = GiftRule.objects.create(
        store_id=gift.store_id, gift=gift, quantity=quantity, trim=trim, promotion=promotion, min_order_total=total
    )
    audit_record(actor=actor, action="gift_rule.created", target=gift, diff={"rule": [None, rule.pk]})
    return rule


@transaction.atomic
def gift_rule_retire(*, actor: User, rule: GiftRule) -> GiftRule:
    """Stop a gift policy for deliveries booked from now on (gifts already on deliveries stay)."""
    rule = GiftRule.objects.select_for_update().select_related("gift").get(pk=rule.pk)
    _require_any(actor, ("store.manage",), rule.gift)
    if not rule.is_active:
        raise TransitionRefused(_("This gift rule has already been retired."), code="rule_retired")
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    audit_record(actor=actor, action="gift_rule.retired", target=rule.gift, diff={"rule": [rule.pk, None]})
    return rule


def hand_added_gift_value(delivery: Delivery) -> Decimal:
    """The value of the delivery's gifts beyond what the store's gift rules gave.

    A gift from a rule keeps the rule on its row (set at booking); only units above the rule's quantity, and rows
    without a rule, were given by hand.
    """
    total = Decimal("0")
    for row in DeliveryGift.objects.filter(delivery_id=delivery.pk).select_related("gift", "rule"):
        from_rule = row.rule.quantity if row.rule_id else 0
        total += max(row.quantity - from_rule, 0) * row.gift.unit_value
    return total


def _check_gift_authority(actor: User, delivery: Delivery, before: Decimal) -> None:
    """Gifts by hand are a discount in kind: above the consultant's discount authority a sales manager decides."""
    if user_can(actor, "sales.approve_discount", delivery.store):
        return
    after = hand_added_gift_value(delivery)
    if after <= before:
        return  # taking gifts back is always allowed, even when what is left stays above the limit
    limit = offer_policy_for(delivery.store_id).discount_limit
    if after > limit:
        raise NotPermitted(
            _(
                "Gifts added by hand would be worth %(value)s, above the limit of %(limit)s without a sales "
                "manager: ask a sales manager to add them."
            )
            % {"value": yuan(after), "limit": yuan(limit)},
            code="gift_value_above_limit",
            extra={"limit": str(limit), "value": str(after)},
        )


@transaction.atomic
def delivery_gift_set(*, actor: User, delivery: Delivery, gift: GiftItem, quantity: int) -> DeliveryGift | None:
    """Give (or, with quantity 0, take back) a gift on this delivery before the handover."""
    delivery = _lock(delivery)
    _require_any(actor, PREPARERS, delivery)
    _require_open(delivery)
    if gift.store_id != delivery.store_id or not gift.is_active:
        raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
    if not isinstance(quantity, int) or quantity < 0 or quantity > 20:
        raise ValidationError({"quantity": [_("Enter a quantity from 0 to 20.")]})
    row = DeliveryGift.objects.filter(delivery=delivery, gift=gift).first()
    before = row.quantity if row else 0
    value_before = hand_added_gift_value(delivery)
    if quantity == 0:
        if row:
            row.delete()
        row = None
    elif row:
        row.quantity = quantity
        row.save(update_fields=["quantity"])
    else:
        row = DeliveryGift.objects.create(delivery=delivery, gift=gift, quantity=quantity)
    # checked on the rows as written; a refusal rolls the change back with the transaction
    _check_gift_authority(actor, delivery, value_before)
    audit_record(
        actor=actor,
        action="delivery.gift_set",
        target=delivery,
        diff={"gift": [None, gift.name], "quantity": [before, quantity]},
    )
    return row


def gift_shortages_report(*, now: datetime.datetime | None = None, days_ahead: int = 3) -> int:
    """Tell consultants about gifts short for their deliveries of the next days (once per gift and delivery)."""
    now = now or timezone.now()
    reported = 0
    rows = selectors.gift_shortages(until=now + datetime.timedelta(days=days_ahead), after=now)
    for row in rows:
        if row.shortage_notified_at is not None:
            continue
        with transaction.atomic():
            claimed = DeliveryGift.objects.filter(pk=row.pk, shortage_notified_at__isnull=True).update(
                shortage_notified_at=now
            )
            if not claimed:
                continue
            delivery = row.delivery
            notification_queue(
                channel="in_app",
                recipient_user=delivery.consultant,
                store=delivery.store,
                subject=_("Gift out of stock for delivery %(number)s: %(gift)s")
                % {"number": delivery.number, "gift": row.gift.name},
                body=f"/deliveries/{delivery.pk}/",
                kind="delivery.gift_shortage",
            )
            reported += 1
    return reported


# ---------------------------------------------------------------- promised gifts (5.2.3)


def _promised_stock_needs(delivery: Delivery, promised: list[PromisedGift]) -> dict[int, int]:
    """Units of stock gift items the promised gifts take at the handover beyond the delivery's gift list: a promised
    gift handed over as an item the list already holds is that item, not another one."""
    linked: dict[int, int] = {}
    for row in promised:
        if row.status != PromisedGiftStatus.PENDING and row.gift_id:
            linked[row.gift_id] = linked.get(row.gift_id, 0) + 1
    if not linked:
        return {}
    listed = dict(
        DeliveryGift.objects.filter(delivery_id=delivery.pk, gift_id__in=list(linked)).values_list(
            "gift_id", "quantity"
        )
    )
    return {gift_id: n - listed.get(gift_id, 0) for gift_id, n in linked.items() if n > listed.get(gift_id, 0)}


def _out_of_stock(gift: GiftItem, quantity: int) -> Conflict:
    return Conflict(
        _("%(gift)s is out of stock (%(quantity)s needed); restock it or take it off this delivery.")
        % {"gift": gift.name, "quantity": quantity},
        code="gift_out_of_stock",
        field="gift",
    )


def _open_promised_gift(actor: User, delivery: Delivery, promised: PromisedGift) -> tuple[Delivery, PromisedGift]:
    """The delivery and the promised gift, locked, once the actor may record it now (at the handover)."""
    delivery = _lock(delivery)
    _require_any(actor, ("sales.sell",), delivery)
    _require_open(delivery)
    if delivery.status != DeliveryStatus.PREPARED:
        raise TransitionRefused(
            _("Promised gifts are handed over at the handover: prepare the car first."), code="not_prepared"
        )
    row = PromisedGift.objects.select_for_update().filter(delivery=delivery, pk=promised.pk).first()
    if row is None:
        raise ValidationError({"promised_gift": [_("This delivery has no such promised gift.")]})
    return delivery, row


def _stock_gift(delivery: Delivery, gift: GiftItem | None, row: PromisedGift) -> GiftItem | None:
    """The store's gift item the promise is kept with, checked against the stock left for it."""
    if gift is None:
        return None
    gift = GiftItem.objects.filter(pk=gift.pk, store_id=delivery.store_id, is_active=True).first()
    if gift is None:
        raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
    others = list(PromisedGift.objects.filter(delivery=delivery).exclude(pk=row.pk))
    row.gift, row.status = gift, PromisedGiftStatus.HANDED_OVER  # kept with this item: count what it will take
    needed = _promised_stock_needs(delivery, [*others, row]).get(gift.pk, 0)
    listed = DeliveryGift.objects.filter(delivery=delivery, gift=gift).values_list("quantity", flat=True).first() or 0
    if needed and gift.stock < needed + listed:
        raise _out_of_stock(gift, needed + listed)
    return gift


def _record_promised(actor: User, delivery: Delivery, row: PromisedGift, action: str, before: dict) -> PromisedGift:
    row.recorded_by = actor
    row.recorded_at = timezone.now()
    row.save(update_fields=["status", "gift", "substitute", "reason", "recorded_by", "recorded_at"])
    after = {
        "status": row.status,
        "gift": row.gift.name if row.gift_id else None,
        "substitute": row.substitute,
        "reason": row.reason,
    }
    audit_record(
        actor=actor, action=action, target=delivery, diff={"item": [None, row.item], **diff_fields(before, after)}
    )
    return row


def _promised_before(row: PromisedGift) -> dict:
    return {
        "status": row.status,
        "gift": row.gift.name if row.gift_id else None,
        "substitute": row.substitute,
        "reason": row.reason,
    }


def _promised_outcome(row: PromisedGift) -> str:
    return row.item if row.status == PromisedGiftStatus.HANDED_OVER else f"{row.item} → {row.substitute}"


@transaction.atomic
def promised_gift_hand_over(
    *, actor: User, delivery: Delivery, promised: PromisedGift, gift: GiftItem | None = None
) -> PromisedGift:
    """A gift the contract promised is handed over, optionally as one of the store's gift items (taken from stock
    with the handover, unless the delivery's gift list already holds it)."""
    delivery, row = _open_promised_gift(actor, delivery, promised)
    before = _promised_before(row)
    row.gift = _stock_gift(delivery, gift, row)
    row.status, row.substitute, row.reason = PromisedGiftStatus.HANDED_OVER, "", ""
    return _record_promised(actor, delivery, row, "delivery.promised_gift_handed_over", before)


@transaction.atomic
def promised_gift_substitute(
    *,
    actor: User,
    delivery: Delivery,
    promised: PromisedGift,
    substitute: str = "",
    reason: str = "",
    gift: GiftItem | None = None,
) -> PromisedGift:
    """A promised gift is replaced by something else (given as text, or one of the store's gift items), with the
    reason. The confirmation prints the substitution beside the customer's signature, which accepts it."""
    delivery, row = _open_promised_gift(actor, delivery, promised)
    substitute, reason = (substitute or "").strip(), (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not substitute and gift is None:
        errors["substitute"] = [_("Say what the customer is given instead.")]
    elif len(substitute) > 100:
        errors["substitute"] = [_("Describe the substitute in at most 100 characters.")]
    if not reason:
        errors["reason"] = [_("Say why the promised gift is substituted.")]
    elif len(reason) > 200:
        errors["reason"] = [_("Give the reason in at most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    before = _promised_before(row)
    row.gift = _stock_gift(delivery, gift, row)
    row.status = PromisedGiftStatus.SUBSTITUTED
    row.substitute = substitute or row.gift.name
    row.reason = reason
    return _record_promised(actor, delivery, row, "delivery.promised_gift_substituted", before)


@transaction.atomic
def promised_gift_reset(*, actor: User, delivery: Delivery, promised: PromisedGift) -> PromisedGift:
    """Undo what was recorded for a promised gift before the confirmation is signed: it is open again."""
    delivery, row = _open_promised_gift(actor, delivery, promised)
    if row.status == PromisedGiftStatus.PENDING:
        return row
    before = _promised_before(row)
    row.status, row.gift, row.substitute, row.reason = PromisedGiftStatus.PENDING, None, "", ""
    row.recorded_by = None
    row.recorded_at = None
    row.save(update_fields=["status", "gift", "substitute", "reason", "recorded_by", "recorded_at"])
    audit_record(
        actor=actor,
        action="delivery.promised_gift_reset",
        target=delivery,
        diff={"item": [None, row.item], **diff_fields(before, _promised_before(row))},
    )
    return row


# ---------------------------------------------------------------- handover (5.2.3)


@transaction.atomic
def delivery_record_handover(
    *, actor: User, delivery: Delivery, explained: list[str], odometer_km: Any, note: str = ""
) -> tuple[Delivery, list[str]]:
    """The explanation checklist and the odometer. Returns warnings (odometer above the store's limit)."""
    delivery = _lock(delivery)
    _require_any(actor, ("sales.sell",), delivery)
    _require_open(delivery)
    if delivery.status != DeliveryStatus.PREPARED:
        raise TransitionRefused(
            _("Prepare the car first: PDI and the document pack must be complete before the handover."),
            code="not_prepared",
        )
    errors: dict[str, list[str]] = {}
    unknown = [e for e in explained if e not in ExplanationItem.values]
    if unknown:
        errors["explained"] = [_("Unknown explanation item: %(items)s.") % {"items": ", ".join(unknown)}]
    try:
        km = int(odometer_km)
    except (TypeError, ValueError):
        km = None
    if km is None:
        errors["odometer_km"] = [_("Enter the odometer reading in km.")]
    elif km < 0:
        errors["odometer_km"] = [_("The odometer cannot be negative.")]
    elif km > MAX_ODOMETER_KM:
        errors["odometer_km"] = [_("Check the reading: a new car does not have %(km)s km.") % {"km": km}]
    if errors:
        raise ValidationError(errors)
    config = settings_for(delivery.store_id)
    warnings = []
    delivery.odometer_warning = km > config.odometer_warning_km
    if delivery.odometer_warning:
        warnings.append(
            _("The odometer shows %(km)s km, above %(limit)s km: note why on the confirmation (e.g. transfer drive).")
            % {"km": km, "limit": config.odometer_warning_km}
        )
    before = {"explained": delivery.explained, "odometer_km": delivery.odometer_km}
    delivery.explained = [e for e in ExplanationItem.values if e in explained]
    delivery.odometer_km = km
    delivery.handover_note = (note or "").strip()[:300]
    delivery.save(update_fields=["explained", "odometer_km", "odometer_warning", "handover_note", "updated_at"])
    audit_record(
        actor=actor,
        action="delivery.handover_recorded",
        target=delivery,
        diff=diff_fields(before, {"explained": delivery.explained, "odometer_km": km}),
    )
    return delivery, warnings


def _parse_signature(data: Any) -> bytes | None:
    """A drawn signature: a PNG as a data URL or base64 (from the canvas), at most 200 kB."""
    if data in (None, ""):
        return None
    if isinstance(data, bytes):
        raw = data
    else:
        text = str(data)
        if text.startswith("data:"):
            head, _sep, text = text.partition(",")
            if head != "data:image/png;base64":
                raise ValidationError({"signature": [_("The drawn signature must be a PNG image.")]})
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"signature": [_("The drawn signature could not be read; draw it again.")]}) from None
    if not raw.startswith(PNG_MAGIC):
        raise ValidationError({"signature": [_("The drawn signature must be a PNG image.")]})
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": [_("The drawn signature is too large (at most 200 kB).")]})
    return raw


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def stage_path(current: str) -> list[str]:
    """The moves from the customer's stage to owner along the stage machine (never through lost)."""
    if current == Stage.OWNER:
        return []
    paths = {current: []}
    queue = [current]
    while queue:
        stage = queue.pop(0)
        for nxt in sorted(STAGE_MOVES.get(stage, ())):
            if nxt in paths or nxt == Stage.LOST:
                continue
            paths[nxt] = [*paths[stage], nxt]
            if nxt == Stage.OWNER:
                return paths[nxt]
            queue.append(nxt)
    return []


def may_confirm(actor: User, delivery: Delivery) -> bool:
    """Signing for the store needs the seller's right and the right to update the customer (owner or whole store)."""
    if not user_can(actor, "sales.sell", delivery):
        return False
    customer = delivery.customer
    return user_can(actor, "customers.edit", customer) and (
        customer.owner_id == actor.pk or user_can(actor, "customers.view_store", customer)
    )


@transaction.atomic
def delivery_confirm(*, actor: User, delivery: Delivery, customer_name: str, signature: Any = None) -> Delivery:
    """Both sides sign the delivery confirmation (交车确认单) and the car is handed over, all in one transaction.

    The customer types their name (and may draw a signature); the actor signs for the store. Then: the confirmation
    PDF with its SHA-256, gifts taken from stock, the order and the stock vehicle delivered, the warranty clocks
    started from the invoice date, the customer made an owner with the car among their vehicles, and the
    post-delivery calls planned.
    """
    from .pdf import confirmation_pdf

    # the order before the delivery, as an order's cancellation takes them: the reverse order could deadlock
    Order.objects.select_for_update(of=("self",)).filter(pk=delivery.order_id).values_list("pk", flat=True).first()
    delivery = _lock(delivery)
    delivery = Delivery.objects.select_related(
        "store",
        "customer",
        "consultant",
        "order",
        "vehicle__trim__series__brand",
        "vehicle__exterior",
        "vehicle__interior",
    ).get(pk=delivery.pk)
    if not may_confirm(actor, delivery):
        raise NotPermitted(
            _("Only the customer's sales consultant or a sales manager can sign the handover for the store.")
        )
    _refuse_move(delivery, DeliveryStatus.HANDED_OVER)
    if delivery.odometer_km is None:
        raise TransitionRefused(
            _("Record the handover first: the explanation checklist and the odometer reading."),
            code="handover_not_recorded",
        )
    missing_explained = [str(ExplanationItem(e).label) for e in ExplanationItem.values if e not in delivery.explained]
    if missing_explained:
        raise TransitionRefused(
            _("Explain to the customer before signing: %(items)s.") % {"items": "、".join(missing_explained)},
            code="explanation_incomplete",
        )
    promised = list(PromisedGift.objects.filter(delivery=delivery).select_related("gift").order_by("position", "id"))
    still_open = [p.item for p in promised if p.status == PromisedGiftStatus.PENDING]
    if still_open:
        raise TransitionRefused(
            _(
                "Every gift promised on the contract is handed over, or substituted with the reason, before the "
                "customer signs. Still open: %(items)s."
            )
            % {"items": "、".join(still_open)},
            code="promised_gifts_open",
            extra={"items": still_open},
        )
    blocker = sales_selectors.order_delivery_blocker(delivery.order)
    if blocker:
        raise TransitionRefused(blocker, code="order_not_ready")
    errors: dict[str, list[str]] = {}
    customer_name = (customer_name or "").strip()
    if not customer_name:
        errors["customer_name"] = [_("The customer types their full name to sign.")]
    elif customer_name != delivery.customer.name:
        errors["customer_name"] = [
            _("The typed name “%(typed)s” does not match the customer “%(name)s”.")
            % {"typed": customer_name, "name": delivery.customer.name}
        ]
    try:
        png = _parse_signature(signature)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        png = None
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    # gifts: taken from stock with a conditional UPDATE, so two handovers can never take the last one twice
    gifts = list(DeliveryGift.objects.filter(delivery=delivery).select_related("gift").order_by("gift_id"))
    for row in gifts:
        taken = GiftItem.objects.filter(pk=row.gift_id, stock__gte=row.quantity).update(stock=F("stock") - row.quantity)
        if not taken:
            raise Conflict(
                _("%(gift)s is out of stock (%(quantity)s needed); restock it or take it off this delivery.")
                % {"gift": row.gift.name, "quantity": row.quantity},
                code="gift_out_of_stock",
                field="gifts",
            )
    # promised gifts kept with stock items the gift list does not hold: taken from stock the same way
    by_id = {p.gift_id: p.gift for p in promised if p.gift_id}
    for gift_id, units in sorted(_promised_stock_needs(delivery, promised).items()):
        if not GiftItem.objects.filter(pk=gift_id, stock__gte=units).update(stock=F("stock") - units):
            raise _out_of_stock(by_id[gift_id], units)
    DeliveryGift.objects.filter(delivery=delivery).update(handed_over_at=now)
    delivery.customer_signed_name = customer_name
    delivery.customer_signed_at = now
    delivery.customer_signature_png = png
    delivery.consultant_signed_by = actor
    delivery.consultant_signed_at = now
    delivery.status = DeliveryStatus.HANDED_OVER
    delivery.handed_over_at = now
    booked_on, handed_on = selectors.handover_dates(delivery)
    documents = list(DeliveryDocument.objects.filter(delivery=delivery).order_by("position"))
    content = confirmation_pdf(delivery, documents, gifts, promised=promised)
    delivery.confirmation_pdf = content
    delivery.confirmation_sha256 = hashlib.sha256(content).hexdigest()
    delivery.save()
    # the order and the car
    sales_services.order_mark_delivered(actor=actor, order=delivery.order)
    vehicle = StockVehicle.objects.select_for_update().get(pk=delivery.vehicle_id)
    if vehicle.status in (StockStatus.IN_STOCK, StockStatus.RESERVED):
        vehicle = stock_change_status(actor=actor, vehicle=vehicle, status=StockStatus.SOLD)
    stock_change_status(actor=actor, vehicle=vehicle, status=StockStatus.DELIVERED)
    # warranty clocks from the invoice date
    start = delivery.invoice_date or timezone.localtime(now, delivery.store.tz).date()
    WarrantyClock.objects.bulk_create(
        WarrantyClock(
            store_id=delivery.store_id,
            customer_id=delivery.customer_id,
            delivery=delivery,
            vin=vehicle.vin,
            kind=kind,
            starts_on=start,
            ends_on=_add_years(start, years) - datetime.timedelta(days=1),
            km_limit=km,
        )
        for kind, (years, km) in WARRANTY_TERMS.items()
    )
    # the customer becomes an owner, with the car
    customer = delivery.customer
    for stage in stage_path(customer.stage):
        customer = customer_services.customer_change_stage(actor=actor, customer=customer, stage=stage)
    trim = delivery.vehicle.trim
    if not customer.vehicles.filter(vin=vehicle.vin).exists():
        customer_services.vehicle_add(
            actor=actor,
            customer=customer,
            brand=trim.series.brand.name,
            vin=vehicle.vin,
            series=trim.series.name,
            model_year=trim.model_year,
            purchase_date=start,
            bought_here=True,
        )
    _plan_followups(actor, delivery, customer, now)
    audit_record(
        actor=actor,
        action="delivery.handed_over",
        target=delivery,
        diff={
            "status": [DeliveryStatus.PREPARED, DeliveryStatus.HANDED_OVER],
            "sha256": [None, delivery.confirmation_sha256],
            "gifts": [None, [f"{g.gift.name}×{g.quantity}" for g in gifts]],
            "promised_gifts": [None, [_promised_outcome(p) for p in promised]],
            "odometer_km": [None, delivery.odometer_km],
            "warranty_from": [None, start.isoformat()],
            # a handover on another day than booked is said so: the booked day stays the appointment, the real one
            # is the handover's everywhere (warranty, registration, timeline)
            **({"handover_date": [booked_on.isoformat(), handed_on.isoformat()]} if booked_on != handed_on else {}),
        },
    )
    _notify_customer(
        delivery,
        _("Thank you for choosing %(store)s") % {"store": delivery.store.name},
        _(
            "Dear %(name)s, congratulations on your new car. Your repair warranty runs until %(until)s; "
            "we will call you in the coming days to see how you get on."
        )
        % {"name": customer.name, "until": _add_years(start, 3).isoformat()},
        "delivery.handed_over",
    )
    return delivery


def _care_specialist_for(delivery: Delivery) -> User | None:
    """The store's care specialist for this customer's calls: spread by customer over the active ones.

    None when the store has none (the consultant then makes the call).
    """
    specialists = list(
        User.objects.filter(
            memberships__store_id=delivery.store_id,
            memberships__role=Role.CARE_SPECIALIST,
            memberships__is_active=True,
            is_active=True,
        )
        .order_by("pk")
        .distinct()
    )
    return specialists[delivery.customer_id % len(specialists)] if specialists else None


def _plan_followups(actor: User, delivery: Delivery, customer, now: datetime.datetime) -> None:
    config = settings_for(delivery.store_id)
    tz = delivery.store.tz
    today = timezone.localtime(now, tz).date()
    rows = []
    care = _care_specialist_for(delivery)
    for entry in config.followups:
        day, role = int(entry["day"]), entry["role"]
        due = datetime.datetime.combine(today + datetime.timedelta(days=day), datetime.time(FOLLOW_UP_HOUR), tzinfo=tz)
        notes = _("Post-delivery call, day %(day)s after handover (%(role)s responsible); order %(number)s.") % {
            "day": day,
            "role": FollowUpRole(role).label,
            "number": delivery.number,
        }
        follow_up = customer_services.followup_schedule(
            actor=actor,
            customer=customer,
            due_at=due,
            purpose=FollowUpPurpose.POST_DELIVERY,
            notes=notes,
            assignee=care if role == FollowUpRole.CARE_SPECIALIST else None,
            # the care desk's call: on the queue of every care specialist of the store, whoever it was given to
            role=role if role == FollowUpRole.CARE_SPECIALIST else "",
        )
        rows.append(DeliveryFollowUp(delivery=delivery, day=day, role=role, follow_up=follow_up))
    DeliveryFollowUp.objects.bulk_create(rows)


def delivery_cancel_with_order(*, actor: User, order: Order, reason: str) -> None:
    """The order was cancelled (in its transaction): an open delivery of it is cancelled and frees its bay."""
    delivery = Delivery.objects.select_for_update().filter(order=order, status__in=OPEN_STATUSES).first()
    if delivery is None:
        return
    before = delivery.status
    delivery.status = DeliveryStatus.CANCELLED
    delivery.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="delivery.cancelled",
        target=delivery,
        diff={"status": [before, delivery.status], "reason": [None, reason[:300]]},
    )


# ---------------------------------------------------------------- handover photos (5.2.3, optional)

MAX_PHOTOS = 12  # per delivery
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 2048  # long side after downscaling
MAX_PHOTO_PIXELS = 60_000_000  # refused before decoding: a small file can unpack into gigabytes (decompression bomb)
THUMBNAIL_SIDE = 320
# what Pillow says the file is → (stored format, extension, content type); MPO is how phones' JPEGs often open
PHOTO_FORMATS = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "MPO": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
}
PHOTO_DECODERS = ["JPEG", "PNG", "WEBP"]  # the only decoders Pillow may try (the JPEG one also opens MPO)


@dataclass
class PhotoRefusal:
    """One file that was not kept, and why (translated)."""

    name: str
    code: str
    detail: str


@dataclass
class _CleanPhoto:
    name: str
    content: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _photo_refusal(name: str, code: str, detail: str) -> PhotoRefusal:
    return PhotoRefusal(name=name, code=code, detail=detail)


def _encode(image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _clean_photo(upload) -> _CleanPhoto | PhotoRefusal:
    """Check one uploaded file is really a JPEG, PNG or WebP image (by its content, not its name) and re-encode it:
    turned upright, at most 2048 px on the long side, and without EXIF, XMP or text chunks (GPS position, camera
    serial) — only the colour profile is kept."""
    from PIL import Image, ImageOps

    name = str(getattr(upload, "name", "") or "")[:255]
    size = getattr(upload, "size", None) or 0
    if size == 0:
        return _photo_refusal(name, "photo_empty", _("%(name)s: the file is empty.") % {"name": name})
    if size > MAX_PHOTO_BYTES:
        return _photo_refusal(
            name,
            "photo_too_large",
            _("%(name)s: the file is larger than %(mb)s MB.") % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
        )
    not_image = _photo_refusal(
        name, "photo_not_image", _("%(name)s: this is not a JPEG, PNG or WebP image.") % {"name": name}
    )

    too_many_pixels = _photo_refusal(
        name,
        "photo_too_many_pixels",
        _("%(name)s: the image has too many pixels (at most %(mp)s megapixels).")
        % {"name": name, "mp": MAX_PHOTO_PIXELS // 1_000_000},
    )

    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; here any image past them is refused
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=PHOTO_DECODERS) as probe:
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    return too_many_pixels
                probe.verify()  # a damaged file fails here, before it is decoded
            upload.seek(0)
            with Image.open(upload, formats=PHOTO_DECODERS) as image:
                fmt, extension, content_type = PHOTO_FORMATS[image.format]
                icc_profile = image.info.get("icc_profile")
                image.load()  # a truncated file fails here
                upright = ImageOps.exif_transpose(image)  # phones store the rotation in EXIF, which is dropped below
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return too_many_pixels
    except Exception:  # any other failure to decode (broken EXIF, odd chunks) is a bad file, not a server error
        return not_image
    upright.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif fmt == "WEBP" and upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
    elif fmt == "PNG" and upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA")
    # a fresh info dict: nothing of the original's metadata reaches the encoder
    upright.info = {}
    params: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt == "JPEG":
        params.update(quality=85, optimize=True)
    elif fmt == "WEBP":
        params.update(quality=85)
    else:
        params.update(optimize=True)
    content = _encode(upright, fmt, **params)
    thumb = upright.convert("RGBA") if upright.mode in ("P", "LA") else upright.copy()
    if thumb.mode == "RGBA":  # JPEG has no transparency: on white
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumb.info = {}
    return _CleanPhoto(
        name=name,
        content=content,
        thumbnail=_encode(thumb, "JPEG", quality=80),
        extension=extension,
        content_type=content_type,
        width=upright.width,
        height=upright.height,
    )


def may_work_on_photos(actor: User, delivery: Delivery) -> bool:
    """Who prepares or hands over the delivery: the clerk, a manager, or the delivery's own consultant."""
    if not any(user_can(actor, p, delivery) for p in PREPARERS):
        return False
    return selectors.sees_whole_store(actor, delivery.store_id) or delivery.consultant_id == actor.pk


def manages_deliveries(actor: User, delivery: Delivery) -> bool:
    """Sales managers and administrators (sell and see the whole store), not clerks or consultants."""
    return user_can(actor, "sales.sell", delivery) and user_can(actor, "customers.view_store", delivery)


def _require_photos_open(delivery: Delivery) -> None:
    """Photos are added and taken away only while the car is prepared and being handed over."""
    if delivery.status == DeliveryStatus.HANDED_OVER:
        raise TransitionRefused(
            _("The car has been handed over: its photos can no longer be changed."), code="photos_locked"
        )
    if delivery.status != DeliveryStatus.PREPARED:
        raise TransitionRefused(_("Photos are taken at the handover: prepare the car first."), code="photos_not_open")


def may_delete_photo(actor: User, photo: "HandoverPhoto", delivery: Delivery) -> bool:
    """The uploader or a manager, before the car is handed over."""
    if delivery.status != DeliveryStatus.PREPARED or not may_work_on_photos(actor, delivery):
        return False
    return photo.taken_by_id == actor.pk or manages_deliveries(actor, delivery)


def photos_upload(
    *, actor: User, delivery: Delivery, files: list, caption: str = ""
) -> tuple[list["HandoverPhoto"], list[PhotoRefusal]]:
    """Keep the good files of an upload (at most 12 photos per delivery) and say for each bad one why not.

    The images are checked and re-encoded before the delivery is locked (that is the slow part); the stored files of
    a transaction that fails are removed again.
    """
    if not may_work_on_photos(actor, delivery):
        raise NotPermitted()
    _require_photos_open(delivery)
    if not files:
        raise ValidationError({"files": [_("Choose one or more photos.")]})
    caption = (caption or "").strip()[:200]
    cleaned = [_clean_photo(f) for f in files]
    refused = [c for c in cleaned if isinstance(c, PhotoRefusal)]
    good = [c for c in cleaned if isinstance(c, _CleanPhoto)]
    created: list[HandoverPhoto] = []
    stored: list[str] = []
    try:
        with transaction.atomic():
            delivery = _lock(delivery)
            if not may_work_on_photos(actor, delivery):
                raise NotPermitted()
            _require_photos_open(delivery)
            room = MAX_PHOTOS - HandoverPhoto.objects.filter(delivery=delivery).count()
            for photo in good:
                if room <= 0:
                    refused.append(
                        _photo_refusal(
                            photo.name,
                            "photo_limit",
                            _("%(name)s: a delivery has at most %(n)s photos.") % {"name": photo.name, "n": MAX_PHOTOS},
                        )
                    )
                    continue
                key = uuid.uuid4().hex
                row = HandoverPhoto(
                    delivery=delivery,
                    content_type=photo.content_type,
                    width=photo.width,
                    height=photo.height,
                    size=len(photo.content),
                    sha256=hashlib.sha256(photo.content).hexdigest(),
                    original_name=photo.name,
                    caption=caption,
                    taken_by=actor,
                )
                row.file.save(f"{key}.{photo.extension}", ContentFile(photo.content), save=False)
                stored.append(row.file.name)
                row.thumbnail.save(f"{key}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
                stored.append(row.thumbnail.name)
                row.save()
                created.append(row)
                room -= 1
                audit_record(
                    actor=actor,
                    action="delivery.photo_added",
                    target=delivery,
                    diff={
                        "photo": [None, row.pk],
                        "sha256": [None, row.sha256],
                    },
                )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return created, refused


def photo_delete(*, actor: User, photo: "HandoverPhoto") -> None:
    """Take a photo away (the uploader or a manager) while the car is not yet handed over; the files go after
    commit."""
    with transaction.atomic():
        delivery = _lock(photo.delivery)
        photo = HandoverPhoto.objects.select_for_update().filter(pk=photo.pk, delivery=delivery).first()
        if photo is None:
            raise DomainError(_("This photo has already been removed."), code="photo_gone")
        if not may_work_on_photos(actor, delivery):
            raise NotPermitted()
        _require_photos_open(delivery)
        if not may_delete_photo(actor, photo, delivery):
            raise NotPermitted(_("Only whoever uploaded the photo or a manager can remove it."))
        names = [photo.file.name, photo.thumbnail.name]
        audit_record(
            actor=actor,
            action="delivery.photo_deleted",
            target=delivery,
            diff={
                "photo": [photo.pk, None],
                "sha256": [photo.sha256, None],
                "taken_by": [photo.taken_by_id, None],
            },
        )
        photo.delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names if n])
