"""Reads of deliveries and gifts, always scoped to what the user may see."""

import datetime
from collections import defaultdict

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import CertificateHolder
from dealerdesk.sales.choices import OrderStatus
from dealerdesk.sales.models import Order
from dealerdesk.sales.selectors import order_delivery_blocker_short

from .choices import (
    DEFAULT_PDI_ITEMS,
    DELIVERY_MOVES,
    OPEN_STATUSES,
    DeliveryStatus,
    ExplanationItem,
    PdiResult,
    PromisedGiftStatus,
)
from .models import (
    Delivery,
    DeliveryDocument,
    DeliveryGift,
    DeliverySettings,
    GiftItem,
    HandoverPhoto,
    PdiCheck,
    PromisedGift,
)

DEFAULT_PDI_LABELS = dict(DEFAULT_PDI_ITEMS)


def _stores_where(user, perms: tuple[str, ...]) -> list[Store]:
    if not getattr(user, "is_authenticated", False):
        return []
    ids = user.visible_store_ids()
    stores = Store.objects.filter(is_active=True)
    if ids is not None:
        stores = stores.filter(pk__in=ids)
    return [s for s in stores if any(user_can(user, p, s) for p in perms)]


def delivery_stores(user) -> list[Store]:
    """Stores whose delivery calendar the user works with (clerks, consultants, managers)."""
    return _stores_where(user, ("paperwork.manage", "sales.sell"))


def gift_stores(user) -> list[Store]:
    """Stores whose gift stock the user may see."""
    return _stores_where(user, ("paperwork.manage", "store.manage", "sales.sell"))


def sees_whole_store(user, store) -> bool:
    """Clerks, managers and administrators work with every delivery of the store; consultants with their own."""
    return user_can(user, "paperwork.manage", store) or user_can(user, "customers.view_store", store)


def order_schedulable_by(user) -> QuerySet[Order]:
    """Orders whose handover the user may book: the store's for clerks and managers, a consultant's own."""
    whole, own = [], []
    for store in delivery_stores(user):
        (whole if sees_whole_store(user, store) else own).append(store.pk)
    return Order.objects.filter(Q(store_id__in=whole) | Q(store_id__in=own, consultant_id=user.pk))


def works_on_deliveries(user, store) -> bool:
    """Whether the user acts on the store's deliveries (the clerk, sellers, managers); the care desk only reads."""
    return user_can(user, "paperwork.manage", store) or user_can(user, "sales.sell", store)


def delivery_visible_to(user, *, to_act: bool = False) -> QuerySet[Delivery]:
    """Deliveries of the stores where the user prepares deliveries or sees every customer; a consultant's own; the
    care desk's stores to read (not `to_act`: an action's lookup does not find them for the care desk)."""
    if not getattr(user, "is_authenticated", False):
        return Delivery.objects.none()
    qs = Delivery.objects.select_related(
        "store", "customer", "consultant", "vehicle__trim__series__brand", "order"
    ).defer("confirmation_pdf", "customer_signature_png")  # the blobs are read only by the PDF download
    store_wide, own = [], []
    for store in delivery_stores(user):
        (store_wide if sees_whole_store(user, store) else own).append(store.pk)
    # the care desk reads every delivery of its stores (its calls are about them), read-only: care holds none of the
    # permissions the delivery's actions ask for
    if not to_act:
        store_wide += [s.pk for s in _stores_where(user, ("care.manage",)) if s.pk not in store_wide]
    return qs.filter(Q(store_id__in=store_wide) | Q(store_id__in=own, consultant_id=user.pk))


def gift_visible_to(user) -> QuerySet[GiftItem]:
    """Gift items of the user's stores."""
    return GiftItem.objects.select_related("store").filter(store__in=gift_stores(user))


def settings_of(store_id: int) -> DeliverySettings:
    """The store's delivery settings (defaults when never saved; not written here)."""
    return DeliverySettings.objects.filter(store_id=store_id).first() or DeliverySettings(store_id=store_id)


def pdi_labels(config: DeliverySettings) -> list[tuple[str, str]]:
    """The store's PDI checklist as (code, label); an empty label means the default item's translated label."""
    return [(i["code"], i.get("label") or str(DEFAULT_PDI_LABELS.get(i["code"], i["code"]))) for i in config.pdi_items]


def preparation_missing(delivery: Delivery, pdi=None, documents=None) -> list[str]:
    """What stands between this delivery and `prepared`, each as a short translated phrase.

    `pdi` and `documents` may be given already loaded (ordered by position) to save the queries.
    """
    if pdi is None:
        pdi = PdiCheck.objects.filter(delivery=delivery).order_by("position")
    if documents is None:
        documents = DeliveryDocument.objects.filter(delivery=delivery).order_by("position")
    missing = []
    for item in pdi:
        if item.result == PdiResult.FAILED:
            missing.append(_("PDI failed: %(item)s (%(note)s)") % {"item": item.label, "note": item.note})
        elif item.result != PdiResult.PASSED:
            missing.append(_("PDI: %(item)s") % {"item": item.label})
    for doc in documents:
        if doc.received_at is None:
            if doc.holder != CertificateHolder.STORE:
                missing.append(
                    # the holder is a choice label ("The carmaker"): shown after a colon, not inside a sentence
                    _("%(document)s (holder: %(holder)s; promised by: %(date)s)")
                    % {
                        "document": doc.get_kind_display(),
                        "holder": doc.holder_name or doc.get_holder_display(),
                        "date": doc.promised_on.isoformat() if doc.promised_on else "—",
                    }
                )
            else:
                missing.append(str(doc.get_kind_display()))
    return missing


def handover_missing(delivery: Delivery, *, odometer: bool = True, gifts: bool = True, promised=None) -> list[str]:
    """What the consultant must still do before the confirmation can be signed: each explanation item not yet
    ticked, the odometer reading when none is recorded, and each promised gift neither handed over nor substituted
    (the same rules `delivery_confirm` enforces). `promised` may be given already loaded."""
    missing = [str(label) for value, label in ExplanationItem.choices if value not in (delivery.explained or [])]
    if odometer and delivery.odometer_km is None:
        missing.append(_("Odometer reading"))
    if gifts:
        if promised is None:
            promised = PromisedGift.objects.filter(delivery_id=delivery.pk).order_by("position", "id")
        missing += [
            _("Promised gift: %(item)s") % {"item": p.item} for p in promised if p.status == PromisedGiftStatus.PENDING
        ]
    return missing


def promised_gifts_of(delivery: Delivery) -> list[PromisedGift]:
    """The gifts the contract promised, in the contract's order, with the stock item and who recorded them."""
    return list(
        PromisedGift.objects.filter(delivery_id=delivery.pk)
        .select_related("gift", "recorded_by")
        .order_by("position", "id")
    )


def gift_demand(deliveries_gifts: list[DeliveryGift], delivery: Delivery) -> dict[int, int]:
    """For each gift of `delivery`: how many open deliveries up to and including this one need in all."""
    ids = [g.gift_id for g in deliveries_gifts]
    if not ids:
        return {}
    rows = (
        DeliveryGift.objects.filter(gift_id__in=ids, delivery__status__in=OPEN_STATUSES)
        .filter(
            Q(delivery__scheduled_at__lt=delivery.scheduled_at)
            | Q(delivery__scheduled_at=delivery.scheduled_at, delivery_id__lte=delivery.pk)
        )
        .values("gift_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["gift_id"]: r["total"] for r in rows}


def gift_shortages(*, after: datetime.datetime, until: datetime.datetime) -> list[DeliveryGift]:
    """Gifts of open deliveries in the window that stock cannot cover, counting earlier deliveries first."""
    rows = list(
        DeliveryGift.objects.filter(delivery__status__in=OPEN_STATUSES, delivery__scheduled_at__lte=until)
        .select_related("gift", "delivery__store", "delivery__consultant")
        .order_by("gift_id", "delivery__scheduled_at", "delivery_id")
    )
    short = []
    used: dict[int, int] = defaultdict(int)
    for row in rows:
        used[row.gift_id] += row.quantity
        if used[row.gift_id] > row.gift.stock and row.delivery.scheduled_at > after:
            short.append(row)
    return short


def delivery_detail(user, pk: int) -> dict:
    """One delivery with its checklist, pack, gifts (shortages flagged), follow-ups and what the user may do."""
    delivery = delivery_visible_to(user).select_related("vehicle__exterior", "vehicle__interior").get(pk=pk)
    pdi = list(PdiCheck.objects.filter(delivery=delivery).select_related("checked_by").order_by("position"))
    documents = list(DeliveryDocument.objects.filter(delivery=delivery).select_related("received_by"))
    gifts = list(DeliveryGift.objects.filter(delivery=delivery).select_related("gift"))
    demand = gift_demand(gifts, delivery) if delivery.status in OPEN_STATUSES else {}
    for g in gifts:
        g.short = delivery.status in OPEN_STATUSES and demand.get(g.gift_id, g.quantity) > g.gift.stock
    store = delivery.store
    prepares = user_can(user, "paperwork.manage", store) or user_can(user, "sales.sell", store)
    sells = user_can(user, "sales.sell", store)
    is_open = delivery.status in OPEN_STATUSES
    config = settings_of(store.pk)
    return {
        "delivery": delivery,
        "pdi": pdi,
        "documents": documents,
        "gifts": gifts,
        "gift_shortage": any(g.short for g in gifts),
        "store_gifts": list(GiftItem.objects.filter(store=store, is_active=True).order_by("name"))
        if is_open and prepares
        else [],
        "followups": list(delivery.followups.select_related("follow_up__assignee").order_by("day")),
        "warranty": list(delivery.warranty_clocks.order_by("kind")),
        "photos": list(HandoverPhoto.objects.filter(delivery=delivery).select_related("taken_by")),
        "promised": promised_gifts_of(delivery),
        "may_record_promised": sells and delivery.status == DeliveryStatus.PREPARED,
        "registration": registration_of_order(delivery.order_id),
        "missing": preparation_missing(delivery, pdi, documents) if delivery.status == DeliveryStatus.SCHEDULED else [],
        "bays": config.bays,
        "may_prepare": prepares and delivery.status == DeliveryStatus.SCHEDULED,
        "may_mark_prepared": prepares and DeliveryStatus.PREPARED in DELIVERY_MOVES[delivery.status],
        "may_reschedule": prepares and is_open,
        "may_gift": prepares and is_open,
        "may_handover": sells and delivery.status == DeliveryStatus.PREPARED,
        "may_confirm": sells and delivery.status == DeliveryStatus.PREPARED and delivery.odometer_km is not None,
    }


def registration_of_order(order_id: int):
    """The order's live registration (the newest not cancelled), or None: one query, for the links between pages."""
    from dealerdesk.registrations.choices import RegistrationStatus  # registrations reads deliveries: import late
    from dealerdesk.registrations.models import Registration

    return (
        Registration.objects.filter(order_id=order_id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .only("pk", "number", "status", "order_id")
        .order_by("-id")
        .first()
    )


def photos_visible_to(user) -> QuerySet[HandoverPhoto]:
    """Handover photos of the deliveries the user may see (the same scoping as the delivery itself)."""
    return HandoverPhoto.objects.filter(delivery__in=delivery_visible_to(user).values("pk")).select_related("taken_by")


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def delivery_calendar(user, store: Store, monday: datetime.date) -> dict:
    """The store's appointments of one week by day (cancelled ones left out); the user's visible ones link to the
    delivery."""
    tz = store.tz
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=7)
    visible = set(
        delivery_visible_to(user)
        .filter(store=store, scheduled_at__gte=start, scheduled_at__lt=end)
        .values_list("pk", flat=True)
    )
    rows = list(
        Delivery.objects.filter(store=store, scheduled_at__gte=start, scheduled_at__lt=end)
        .exclude(status=DeliveryStatus.CANCELLED)
        .select_related("customer", "consultant", "vehicle__trim__series__brand")
        .order_by("scheduled_at", "bay")
    )
    days = {monday + datetime.timedelta(days=i): [] for i in range(7)}
    for row in rows:
        row.visible = row.pk in visible
        row.local_start = timezone.localtime(row.scheduled_at, tz)
        days[row.local_start.date()].append(row)
    return {"days": list(days.items()), "count": len(rows)}


def orders_ready_to_schedule(user, store: Store, *, limit: int = 100) -> list[Order]:
    """Signed orders of the store with a vehicle and no delivery yet, in one query; each carries `not_bookable`:
    why it cannot be booked yet in a few words (not paid, loan refused), or None (booking checks it again)."""
    qs = (
        Order.objects.filter(store=store, status=OrderStatus.SIGNED, stock_vehicle__isnull=False, delivery__isnull=True)
        .select_related("customer", "trim")
        .order_by("planned_delivery_on", "id")
    )
    if not sees_whole_store(user, store):
        qs = qs.filter(consultant_id=user.pk)
    orders = list(qs[:limit])
    for order in orders:
        order.not_bookable = order_delivery_blocker_short(order)
    return orders


def rule_promotions(user, stores) -> QuerySet:
    """Running or coming promotions a gift rule may name: those of the stores the user administers and their dealer
    groups' shared ones (services.gift_rule_create checks the same for the one chosen)."""
    from dealerdesk.offers.models import Promotion

    managed = [s for s in stores if user_can(user, "store.manage", s)]
    if not managed:
        return Promotion.objects.none()
    return (
        Promotion.objects.filter(is_active=True, ends_on__gte=timezone.localdate())
        .filter(Q(store__in=managed) | Q(store__isnull=True, group_id__in={s.group_id for s in managed}))
        .order_by("ends_on", "id")
    )


def handover_dates(delivery: Delivery, now: datetime.datetime | None = None) -> tuple[datetime.date, datetime.date]:
    """The booked and the real handover day, in the store's local time (issue #10.6).

    The real day is the handover's, or today's while the car is not handed over yet (the day it would be signed)."""
    tz = delivery.store.tz
    actual = delivery.handed_over_at or now or timezone.now()
    return timezone.localtime(delivery.scheduled_at, tz).date(), timezone.localtime(actual, tz).date()


def handover_date_note(delivery: Delivery, now: datetime.datetime | None = None) -> str:
    """The note "Handover date differs from the appointment: booked …, actual …" when the days differ, else ""."""
    booked, actual = handover_dates(delivery, now)
    if booked == actual:
        return ""
    return _("Handover date differs from the appointment: booked %(booked)s, actual %(actual)s.") % {
        "booked": booked.isoformat(),
        "actual": actual.isoformat(),
    }
