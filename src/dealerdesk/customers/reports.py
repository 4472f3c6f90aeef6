"""Aggregate reads for the work pages (my day, manager desk) and the customer report, scoped like every selector.

The report runs a fixed number of GROUP BY queries over one store's live rows whatever its size. These are live
aggregates for now: dashboards should move to summary rows kept current by services (DESIGN §8) once stores hold
hundreds of thousands of customers, keeping only "today" computed live.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Membership, Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import NotPermitted

from .choices import OPEN_STAGES, FeedbackStatus, FollowUpStatus, Stage
from .grades import DEFAULT_GRADES
from .lead_sources import lead_source_labels
from .models import Customer, FeedbackItem, FollowUp, IntentGradePolicy
from .selectors import customer_visible_to, followups_overdue_for_store

CONVERTED_STAGES = (Stage.ORDERED, Stage.OWNER)
GRADE_ORDER = [code for code, *_rest in DEFAULT_GRADES]
PUNCTUALITY_DAYS = 90


# ---------------------------------------------------------------- work pages


def stores_with(user, perm: str) -> list[Store]:
    """The visible stores where the user holds `perm`, in display order."""
    return [s for s in store_visible_to(user).order_by("group_id", "code") if user_can(user, perm, s)]


def grade_counts_for_owner(user) -> list[dict[str, Any]]:
    """How many of the user's own open customers (lead, prospect, ordered) sit in each intent grade."""
    rows = (
        customer_visible_to(user)
        .filter(owner_id=user.pk, stage__in=OPEN_STAGES)
        .order_by()
        .values("intent_grade")
        .annotate(n=Count("id"))
    )
    counts = {row["intent_grade"]: row["n"] for row in rows}
    codes = [c for c in GRADE_ORDER if c in counts] + sorted(set(counts) - set(GRADE_ORDER))
    return [{"code": code, "count": counts[code]} for code in codes]


def overdue_counts_by_assignee(user, store: Store, *, now: datetime | None = None) -> dict[int | None, int]:
    """Overdue open follow-ups of the store per assignee id (exact, even when the list itself is capped)."""
    rows = followups_overdue_for_store(user, store, now=now).order_by().values("assignee_id").annotate(n=Count("id"))
    return {row["assignee_id"]: row["n"] for row in rows}


def feedback_open_for_store(user, store: Store) -> QuerySet[FeedbackItem]:
    """The store's feedback items still open or in progress, oldest first, for people who see the whole store."""
    if not user_can(user, "customers.view_store", store):
        return FeedbackItem.objects.none()
    return (
        FeedbackItem.objects.filter(
            store=store,
            status__in=[FeedbackStatus.OPEN, FeedbackStatus.IN_PROGRESS],
            customer__merged_into__isnull=True,
        )
        .select_related("customer", "created_by")
        .order_by("created_at", "id")
    )


def store_consultants(user, store: Store) -> list[User]:
    """The store's active sales consultants, for choosing who takes customers over."""
    if store.pk not in (user.visible_store_ids() or {store.pk}):
        return []
    return list(
        User.objects.filter(
            is_active=True,
            memberships__store=store,
            memberships__role=Role.CONSULTANT,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def store_member(user, store_ids: set[int], pk: int) -> User | None:
    """An active staff member of one of the given (visible) stores, or None."""
    visible = user.visible_store_ids()
    allowed = store_ids if visible is None else store_ids & set(visible)
    member_of = Membership.objects.filter(store_id__in=allowed, is_active=True).values("user_id")
    return User.objects.filter(pk=pk, is_active=True, pk__in=member_of).first()


def customers_for_handover(user, store: Store, *, owner_id: int | None) -> QuerySet[Customer]:
    """The store's live customers of one consultant (None: unassigned) that the user may hand over."""
    if not user_can(user, "customers.assign", store):
        return Customer.objects.none()
    return customer_visible_to(user).filter(store=store, owner_id=owner_id)


# ---------------------------------------------------------------- customer report


@dataclass
class CustomerReport:
    """The figures of one store's customer report for a date range (customers by creation time)."""

    store: Store
    date_from: date
    date_to: date
    total: int = 0
    converted: int = 0
    by_stage: list[dict[str, Any]] = field(default_factory=list)
    by_grade: list[dict[str, Any]] = field(default_factory=list)
    by_source: list[dict[str, Any]] = field(default_factory=list)
    by_owner: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    punctuality: list[dict[str, Any]] = field(default_factory=list)
    punctuality_from: date | None = None

    @property
    def conversion_rate(self) -> float | None:
        return _rate(self.converted, self.total)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _person(user_id: int | None, full_name: str | None, username: str | None) -> str:
    if user_id is None:
        return str(_("Unassigned"))
    return full_name or username or str(user_id)


def default_report_range(store: Store, *, today: date | None = None) -> tuple[date, date]:
    """The last 12 months, this month included, in the store's time zone."""
    today = today or timezone.localdate(timezone=store.tz)
    first = today.replace(day=1)
    month_index = first.year * 12 + first.month - 1 - 11
    return date(month_index // 12, month_index % 12 + 1, 1), today


def _months(date_from: date, date_to: date) -> list[date]:
    months, current = [], date_from.replace(day=1)
    while current <= date_to:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def customer_report(user, store: Store, *, date_from: date, date_to: date) -> CustomerReport:
    """Counts by stage, grade, source and consultant, conversion by source and month, follow-up punctuality.

    Six GROUP BY queries plus one for the store's grade labels, whatever the number of customers.
    """
    if not user_can(user, "reports.view_store", store):
        raise NotPermitted()
    tz = store.tz
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    customers = Customer.objects.filter(
        store=store, merged_into__isnull=True, created_at__gte=start, created_at__lt=end
    ).order_by()
    is_converted = Q(stage__in=CONVERTED_STAGES)
    report = CustomerReport(store=store, date_from=date_from, date_to=date_to)

    stages = dict(customers.values_list("stage").annotate(n=Count("id")))
    report.by_stage = [
        {"key": value, "label": str(label), "count": stages.get(value, 0)} for value, label in Stage.choices
    ]
    report.total = sum(stages.values())
    report.converted = sum(stages.get(s, 0) for s in CONVERTED_STAGES)

    grades = dict(customers.values_list("intent_grade").annotate(n=Count("id")))
    policies = IntentGradePolicy.objects.filter(store=store).order_by("position").values_list("code", "label")
    labels = {code: gettext(label) for code, label in policies}
    ordered = list(labels) or GRADE_ORDER
    codes = [c for c in ordered if c in grades or c in labels] + sorted(set(grades) - set(ordered))
    report.by_grade = [{"key": c, "label": labels.get(c, ""), "count": grades.get(c, 0)} for c in codes]

    sources = customers.values("source").annotate(n=Count("id"), converted=Count("id", filter=is_converted))
    source_labels = lead_source_labels([store.group_id])
    report.by_source = sorted(
        (
            {
                "key": row["source"],
                "label": str(source_labels.get(row["source"], row["source"])),
                "count": row["n"],
                "converted": row["converted"],
                "rate": _rate(row["converted"], row["n"]),
            }
            for row in sources
        ),
        key=lambda row: (-row["count"], row["key"]),
    )

    owners = customers.values("owner_id", "owner__full_name", "owner__username").annotate(
        n=Count("id"), converted=Count("id", filter=is_converted)
    )
    report.by_owner = sorted(
        (
            {
                "key": row["owner_id"],
                "label": _person(row["owner_id"], row["owner__full_name"], row["owner__username"]),
                "count": row["n"],
                "converted": row["converted"],
                "rate": _rate(row["converted"], row["n"]),
            }
            for row in owners
        ),
        key=lambda row: (-row["count"], row["label"]),
    )

    per_month = customers.annotate(month=TruncMonth("created_at", tzinfo=tz)).values("month")
    per_month = per_month.annotate(n=Count("id"), converted=Count("id", filter=is_converted))
    counted = {}
    for row in per_month:
        key = timezone.localtime(row["month"], tz).date() if isinstance(row["month"], datetime) else row["month"]
        counted[key.replace(day=1)] = (row["n"], row["converted"])
    report.by_month = []
    for month in _months(date_from, date_to):
        n, converted = counted.get(month, (0, 0))
        report.by_month.append(
            {
                "key": month.strftime("%Y-%m"),
                "label": month.strftime("%Y-%m"),
                "count": n,
                "converted": converted,
                "rate": _rate(converted, n),
            }
        )

    report.punctuality_from = date_to - timedelta(days=PUNCTUALITY_DAYS - 1)
    done = FollowUp.objects.filter(
        store=store,
        status=FollowUpStatus.DONE,
        completed_at__gte=datetime.combine(report.punctuality_from, time.min, tzinfo=tz),
        completed_at__lt=end,
    ).order_by()
    punctual = done.values("assignee_id", "assignee__full_name", "assignee__username").annotate(
        n=Count("id"), on_time=Count("id", filter=Q(completed_at__lte=F("due_at")))
    )
    report.punctuality = sorted(
        (
            {
                "key": row["assignee_id"],
                "label": _person(row["assignee_id"], row["assignee__full_name"], row["assignee__username"]),
                "count": row["n"],
                "on_time": row["on_time"],
                "rate": _rate(row["on_time"], row["n"]),
            }
            for row in punctual
        ),
        key=lambda row: (-row["count"], row["label"]),
    )
    return report


def report_tables(report: CustomerReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as (sheet title, headers, rows) tables, for the XLSX export."""
    count, converted, rate = gettext("Number of customers"), gettext("Ordered or owner"), gettext("Conversion %")
    return [
        (gettext("By stage"), [gettext("Stage"), count], [[r["label"], r["count"]] for r in report.by_stage]),
        (
            gettext("By grade"),
            [gettext("Intent grade"), gettext("Label"), count],
            [[r["key"], r["label"], r["count"]] for r in report.by_grade],
        ),
        (
            gettext("By source"),
            [gettext("Source"), count, converted, rate],
            [[r["label"], r["count"], r["converted"], r["rate"]] for r in report.by_source],
        ),
        (
            gettext("By consultant"),
            [gettext("Consultant"), count, converted, rate],
            [[r["label"], r["count"], r["converted"], r["rate"]] for r in report.by_owner],
        ),
        (
            gettext("By month"),
            [gettext("Month created"), count, converted, rate],
            [[r["label"], r["count"], r["converted"], r["rate"]] for r in report.by_month],
        ),
        (
            gettext("Follow-up punctuality"),
            [gettext("Consultant"), gettext("Follow-ups done"), gettext("Done on time"), gettext("On time %")],
            [[r["label"], r["count"], r["on_time"], r["rate"]] for r in report.punctuality],
        ),
    ]


def report_charts(report: CustomerReport) -> dict[str, Any]:
    """Chart.js-ready series (labels already translated) for `json_script`."""

    def series(rows: list[dict], *pairs: tuple[str, str]) -> dict[str, Any]:
        return {
            "labels": [r["label"] or r["key"] for r in rows],
            "datasets": [{"label": label, "data": [r[key] for r in rows]} for key, label in pairs],
        }

    count, converted = gettext("Number of customers"), gettext("Ordered or owner")
    return {
        "stage": series(report.by_stage, ("count", count)),
        "grade": {
            "labels": [r["key"] for r in report.by_grade],
            "datasets": [{"label": count, "data": [r["count"] for r in report.by_grade]}],
        },
        "source": series(report.by_source, ("count", count), ("converted", converted)),
        "owner": series(report.by_owner, ("count", count), ("converted", converted)),
        "month": series(report.by_month, ("count", count), ("converted", converted)),
        "punctuality": series(report.punctuality, ("rate", gettext("On time %"))),
    }
