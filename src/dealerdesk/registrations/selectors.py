"""Reads of registrations, always scoped to what the user may see."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.pagination import KeysetPage, keyset_page

from .choices import LIVE_STATUSES, OPEN_STATUSES, RegistrationStatus, status_label
from .models import Registration, RegistrationDocument, RegistrationPolicy


def local_today(store: Store, now: datetime | None = None) -> date:
    """The store's calendar day at `now`."""
    return timezone.localtime(now or timezone.now(), store.tz).date()


def registration_policy_for(store: Store | int) -> RegistrationPolicy:
    """The store's registration rules (defaults when the store never changed them)."""
    store_id = store if isinstance(store, int) else store.pk
    return RegistrationPolicy.objects.filter(store_id=store_id).first() or RegistrationPolicy(store_id=store_id)


def _scope_q(user) -> Q | None:
    """Q over Registration: the whole store for the clerk and managers, own orders' for consultants."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    ids = user.visible_store_ids()
    if ids is None:
        return None
    whole = [s for s in ids if user_can(user, "paperwork.manage", s) or user_can(user, "customers.view_store", s)]
    own = [s for s in ids if s not in whole and user_can(user, "sales.sell", s)]
    q = Q(pk__in=[])
    if whole:
        q |= Q(store_id__in=whole)
    if own:
        q |= Q(store_id__in=own) & (Q(order__consultant_id=user.pk) | Q(customer__owner_id=user.pk))
    return q


def registration_visible_to(user) -> QuerySet[Registration]:
    """Registrations the user may open: the whole store's for clerks and managers, a consultant's own orders'."""
    q = _scope_q(user)
    qs = Registration.objects.all()
    return qs if q is None else qs.filter(q)


def registration_list_for(user) -> QuerySet[Registration]:
    """Visible registrations with what a tracker row shows."""
    return registration_visible_to(user).select_related(
        "store", "customer", "clerk", "order", "stock_vehicle__trim__series"
    )


def overdue_q(stores: list[Store], now: datetime | None = None) -> Q:
    """Open cases of the store service past their target date, each store judged by its own calendar day."""
    q = Q(pk__in=[])
    for store in stores:
        q |= Q(store_id=store.pk, target_on__lt=local_today(store, now))
    return Q(status__in=sorted(OPEN_STATUSES), by_customer=False) & q


def registration_tracker(
    user,
    stores: list[Store],
    *,
    status: str = "",
    clerk_id: int | None = None,
    overdue: bool = False,
    open_only: bool = True,
    now: datetime | None = None,
) -> QuerySet[Registration]:
    """The tracker: visible cases filtered by status, clerk and overdue (open cases by default)."""
    qs = registration_list_for(user)
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    if clerk_id is not None:
        qs = qs.filter(clerk_id=clerk_id)
    if overdue:
        qs = qs.filter(overdue_q(stores, now))
    return qs


def registration_overdue(user, stores: list[Store], now: datetime | None = None) -> QuerySet[Registration]:
    """Open cases past their target date, the oldest target first."""
    return registration_tracker(user, stores, overdue=True, now=now).order_by("target_on", "id")


def registration_get(user, pk: int) -> Registration:
    """One visible registration with its documents, or Registration.DoesNotExist (shown as 404)."""
    documents = RegistrationDocument.objects.select_related("received_by").order_by("position", "id")
    return (
        registration_list_for(user)
        .select_related("order__consultant", "stock_vehicle__trim__series__brand", "created_by")
        .prefetch_related(Prefetch("documents", queryset=documents))
        .get(pk=pk)
    )


def delivery_of(registration: Registration):
    """The order's delivery (one per order) for the link on the registration page, or None: one query, no blobs."""
    from dealerdesk.deliveries.models import Delivery  # deliveries reads registrations for its links: import late
    from dealerdesk.deliveries.selectors import handover_date_note

    delivery = (
        Delivery.objects.filter(order_id=registration.order_id)
        .only("pk", "status", "scheduled_at", "handed_over_at", "order_id", "store_id")
        .first()
    )
    if delivery is not None:
        tz = registration.store.tz
        delivery.store = registration.store
        # the delivery date is the real handover once it happened (another day than booked is said so)
        delivery.local_start = timezone.localtime(delivery.handed_over_at or delivery.scheduled_at, tz)
        delivery.date_note = handover_date_note(delivery) if delivery.handed_over_at else ""
    return delivery


def is_overdue(registration: Registration, now: datetime | None = None) -> bool:
    """Past its target date while the store still has work to do."""
    return (
        not registration.by_customer
        and registration.status in OPEN_STATUSES
        and registration.target_on is not None
        and registration.target_on < local_today(registration.store, now)
    )


def missing_documents(registration: Registration) -> list[RegistrationDocument]:
    """Checklist documents not yet received (uses the prefetched documents when there are some)."""
    return [d for d in registration.documents.all() if d.received_at is None]


@dataclass(slots=True)
class TrackerRow:
    """One tracker row: plain values, no model instances (a page of 50 stays cheap whatever the table size)."""

    pk: int
    store_id: int
    number: str
    status: str
    by_customer: bool
    company_name: str
    target_on: date | None
    plate: str
    customer_name: str
    clerk_name: str
    vin: str
    vehicle: str
    docs_total: int = 0
    docs_missing: int = 0
    is_late: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.by_customer)

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.status, "text-bg-secondary")


STATUS_BADGES = {
    RegistrationStatus.COLLECTING_DOCUMENTS: "text-bg-warning",
    RegistrationStatus.SUBMITTED: "text-bg-info",
    RegistrationStatus.PLATE_ISSUED: "text-bg-primary",
    RegistrationStatus.COMPLETED: "text-bg-success",
}


_ROW_FIELDS = (
    "pk",
    "store_id",
    "number",
    "status",
    "by_customer",
    "company_name",
    "target_on",
    "plate",
    "customer__name",
    "clerk__full_name",
    "clerk__username",
    "stock_vehicle__vin",
    "stock_vehicle__trim__series__name",
    "stock_vehicle__trim__name",
)


def document_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    """{registration id: (documents, still missing)} for a page of registrations, in one grouped query."""
    rows = (
        RegistrationDocument.objects.filter(registration_id__in=ids)
        .order_by()
        .values("registration_id")
        .annotate(total=Count("pk"), missing=Count("pk", filter=Q(received_at__isnull=True)))
    )
    return {row["registration_id"]: (row["total"], row["missing"]) for row in rows}


def tracker_page(
    qs: QuerySet[Registration], stores: list[Store], *, cursor: str | None, size: int = 50, now: datetime | None = None
) -> KeysetPage:
    """A keyset page of the tracker as TrackerRows with their document counts and overdue flag (3 queries)."""
    ids_page = keyset_page(qs.select_related(None).only("pk"), cursor=cursor, size=size)
    ids = [r.pk for r in ids_page.items]
    values = {row[0]: row for row in Registration.objects.filter(pk__in=ids).values_list(*_ROW_FIELDS)}
    counts = document_counts(ids) if ids else {}
    today = {s.pk: local_today(s, now) for s in stores}
    rows = []
    for pk in ids:
        (_, store_id, number, status, by_customer, company, target_on, plate, customer, full_name, username, vin,
         series, trim) = values[pk]  # fmt: skip
        total, missing = counts.get(pk, (0, 0))
        day = today.get(store_id)
        rows.append(
            TrackerRow(
                pk=pk,
                store_id=store_id,
                number=number,
                status=status,
                by_customer=by_customer,
                company_name=company,
                target_on=target_on,
                plate=plate,
                customer_name=customer,
                clerk_name=full_name or username or "",
                vin=vin or "",
                vehicle=f"{series} {trim}" if trim else "",
                docs_total=total,
                docs_missing=missing,
                is_late=bool(
                    not by_customer
                    and status in OPEN_STATUSES
                    and target_on is not None
                    and day is not None
                    and target_on < day
                ),
            )
        )
    return KeysetPage(items=rows, next_cursor=ids_page.next_cursor, has_previous=ids_page.has_previous)


def orders_awaiting_registration(user, limit: int = 200) -> list:
    """Signed or delivered orders the user may see that have no live registration yet, newest first."""
    from dealerdesk.sales.selectors import order_visible_to

    live = Registration.objects.filter(order_id=OuterRef("pk"), status__in=sorted(LIVE_STATUSES))
    return list(
        order_visible_to(user)
        .filter(status__in=["signed", "delivered"])
        .filter(~Exists(live))
        .select_related("customer", "trim__series", "store")
        .order_by("-id")[:limit]
    )


def clerks_of(store_id: int) -> list:
    """The active registration clerks of a store."""
    from dealerdesk.accounts.models import Membership
    from dealerdesk.accounts.roles import Role

    memberships = (
        Membership.objects.filter(store_id=store_id, role=Role.ADMIN_CLERK, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in memberships}.values())
