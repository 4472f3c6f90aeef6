"""Reads of the care desk, scoped to the user: the calls due and overdue, one call with its script, the scripts.

"Today" is each store's own calendar day: a call is overdue when it was due before the store's midnight that began
today, due today when it is due before the next one (whatever the hour now).
"""

import base64
import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.customers.choices import CARE_ROLE, FollowUpPurpose, FollowUpStatus
from dealerdesk.customers.models import FollowUp
from dealerdesk.customers.selectors import followup_visible_to
from dealerdesk.customers.services import followup_may_complete
from dealerdesk.deliveries.models import DeliveryFollowUp

from .choices import DELIVERY_DAY_TYPES, CallType, Due, delivery_call_type
from .models import CallScript
from .scripts import Script, default_script

PAGE_SIZE = 50


def care_stores(user) -> list[Store]:
    """The visible stores where the user works the care desk (`care.manage`), in display order."""
    return [s for s in store_visible_to(user).order_by("group_id", "code") if user_can(user, "care.manage", s)]


def script_stores(user) -> list[Store]:
    """The stores whose call scripts the user may edit: the care desk and the store administrators."""
    return [
        s
        for s in store_visible_to(user).order_by("group_id", "code")
        if user_can(user, "care.manage", s) or user_can(user, "store.manage", s)
    ]


Bounds = list[tuple[list[int], datetime.datetime, datetime.datetime]]


def _day_bounds(stores: list[Store], now: datetime.datetime) -> Bounds:
    """(store ids, start of today, start of tomorrow) per time zone of the stores."""
    by_tz: dict[str, list[Store]] = defaultdict(list)
    for store in stores:
        by_tz[str(store.tz)].append(store)
    bounds = []
    for group in by_tz.values():
        tz = group[0].tz
        today = timezone.localtime(now, tz).date()
        start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
        bounds.append(([s.pk for s in group], start, start + datetime.timedelta(days=1)))
    return bounds


def _due_q(stores: list[Store], now: datetime.datetime, due: str) -> Q:
    q = Q(pk__in=[])
    for ids, start, end in _day_bounds(stores, now):
        if due == Due.OVERDUE:
            q |= Q(store_id__in=ids, due_at__lt=start)
        elif due == Due.TODAY:
            q |= Q(store_id__in=ids, due_at__gte=start, due_at__lt=end)
        else:
            q |= Q(store_id__in=ids, due_at__lt=end)
    return q


def _queue(user, stores: list[Store]) -> QuerySet[FollowUp]:
    """Open calls of the stores for the care desk (planned for the care role) or given to the user."""
    return FollowUp.objects.filter(
        Q(role=CARE_ROLE) | Q(assignee_id=user.pk), store_id__in=[s.pk for s in stores], status=FollowUpStatus.OPEN
    )


def _with_delivery(qs: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """Each call with its post-delivery day and delivery (None for other calls), in the same query."""
    link = DeliveryFollowUp.objects.filter(follow_up_id=OuterRef("pk")).order_by("pk")
    return qs.annotate(
        delivery_day=Subquery(link.values("day")[:1], output_field=IntegerField()),
        delivery_ref=Subquery(link.values("delivery_id")[:1], output_field=IntegerField()),
    )


def _type_q(call_type: str) -> Q:
    post = Q(purpose=FollowUpPurpose.POST_DELIVERY, delivery_day__isnull=False)
    for low, high, kind in DELIVERY_DAY_TYPES:
        if kind == call_type:
            return post & Q(delivery_day__gte=low) & (Q() if high is None else Q(delivery_day__lte=high))
    if call_type == CallType.AFTER_TEST_DRIVE:
        return Q(purpose=FollowUpPurpose.AFTER_TEST_DRIVE)
    return ~post & ~Q(purpose=FollowUpPurpose.AFTER_TEST_DRIVE)  # general


def call_type_of(follow_up: FollowUp) -> str:
    """The kind of call (for its script): a post-delivery call by its day, the call after a test drive, or general."""
    day = getattr(follow_up, "delivery_day", None)
    if follow_up.purpose == FollowUpPurpose.POST_DELIVERY and day is not None:
        return delivery_call_type(day)
    if follow_up.purpose == FollowUpPurpose.AFTER_TEST_DRIVE:
        return CallType.AFTER_TEST_DRIVE
    return CallType.GENERAL


@dataclass
class CareDay:
    stores: list[Store]
    rows: list[FollowUp]
    overdue: int
    today: int
    next_cursor: str | None
    has_previous: bool


def _encode(row: FollowUp) -> str:
    data = {"d": row.due_at.isoformat(), "i": row.pk}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    if not cursor:
        return None
    try:
        data: Any = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        return datetime.datetime.fromisoformat(data["d"]), int(data["i"])
    except (ValueError, TypeError, KeyError):
        return None  # a tampered or stale cursor starts again from the first page


def care_day(
    user,
    *,
    due: str = Due.ALL,
    call_type: str = "",
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    now: datetime.datetime | None = None,
) -> CareDay:
    """The care desk's day: the open calls of the user's care stores planned for the care role or given to the user,
    due today or overdue (each store's own day), oldest first, one keyset page (due time, id), and the two counts.
    A fixed number of queries whatever the data: the stores, the counts, the page."""
    now = now or timezone.now()
    stores = care_stores(user)
    if not stores:
        return CareDay([], [], 0, 0, None, False)
    queue = _with_delivery(_queue(user, stores))
    if call_type in CallType.values:
        queue = queue.filter(_type_q(call_type))
    counts = queue.order_by().aggregate(
        overdue=Count("pk", filter=_due_q(stores, now, Due.OVERDUE)),
        today=Count("pk", filter=_due_q(stores, now, Due.TODAY)),
    )
    qs = queue.filter(_due_q(stores, now, due if due in Due.values else Due.ALL))
    position = _decode(cursor)
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(due_at__gt=at) | Q(due_at=at, pk__gt=pk))
    rows = list(
        qs.select_related("customer", "customer__owner", "assignee", "store").order_by("due_at", "pk")[: size + 1]
    )
    page = rows[:size]
    for row in page:
        row.call_type = call_type_of(row)
        row.is_overdue = call_is_overdue(row, now)
    return CareDay(
        stores=stores,
        rows=page,
        overdue=counts["overdue"],
        today=counts["today"],
        next_cursor=_encode(page[-1]) if len(rows) > size else None,
        has_previous=position is not None,
    )


def call_is_overdue(call: FollowUp, now: datetime.datetime | None = None) -> bool:
    """An open call is overdue once its store's day has ended: due before the midnight that began today there (the
    desk's one rule, for its list and for the call page)."""
    return call.status == FollowUpStatus.OPEN and call.due_at < _start_of_day(call.store, now or timezone.now())


def _start_of_day(store: Store, now: datetime.datetime) -> datetime.datetime:
    today = timezone.localtime(now, store.tz).date()
    return datetime.datetime.combine(today, datetime.time.min, tzinfo=store.tz)


def calls_due_count(user, store_ids: list[int], now: datetime.datetime | None = None) -> int:
    """How many calls wait for the user's care desk today (overdue included): the navigation badge."""
    stores = list(Store.objects.filter(pk__in=store_ids))
    if not stores:
        return 0
    return _queue(user, stores).filter(_due_q(stores, now or timezone.now(), Due.ALL)).count()


def call_get(user, pk: int) -> FollowUp:
    """One call the user may open on the care desk: a follow-up they see, of a store where they work the care desk
    or one they may complete; FollowUp.DoesNotExist (404) otherwise."""
    follow_up = (
        _with_delivery(followup_visible_to(user))
        .select_related("customer", "customer__owner", "assignee", "store")
        .get(pk=pk)
    )
    if not (user_can(user, "care.manage", follow_up.store_id) or followup_may_complete(user, follow_up)):
        raise FollowUp.DoesNotExist
    follow_up.call_type = call_type_of(follow_up)
    return follow_up


def script_for(store_id: int, call_type: str) -> Script:
    """The store's script for the kind of call, or the default one."""
    row = CallScript.objects.filter(store_id=store_id, call_type=call_type).first()
    if row is None:
        return default_script(call_type)
    return Script(call_type, row.title, row.body, False)


def scripts_of(store: Store) -> list[Script]:
    """Every kind of call with the store's script or the default, in the order of the kinds."""
    own = {s.call_type: s for s in CallScript.objects.filter(store=store)}
    out = []
    for call_type in CallType.values:
        row = own.get(call_type)
        out.append(Script(call_type, row.title, row.body, False) if row else default_script(call_type))
    return out
