"""Export of the customer list a user can see, as CSV (UTF-8 with BOM) or XLSX. Each cell is what the
field-visibility policy (`visibility`) lets the exporting role see, masked like the screen; dates and times are the
store's local time (Asia/Shanghai), as on the screen. More than 1,000 rows needs a manager; every export is written
to the access log."""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import access_record
from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.tabular import iter_csv, write_xlsx

from . import visibility
from .models import Customer

LARGE_EXPORT = 1_000
MAX_EXPORT = 200_000


# The field of the visibility policy behind each column of `export_headers`, in the same order.
COLUMN_FIELDS = (
    "id",
    "name",
    "mobile",
    "gender",
    "stage",
    "intent_grade",
    "source",
    "owner",
    "city",
    "next_follow_up_at",
    "created_at",
)


def export_headers() -> list[str]:
    return [
        gettext("Customer number"),
        gettext("Name"),
        gettext("Mobile"),
        gettext("Gender"),
        gettext("Stage"),
        gettext("Intent grade"),
        gettext("Source"),
        gettext("Consultant"),
        gettext("City"),
        gettext("Next follow-up"),
        gettext("Registered"),
    ]


def _local(when: datetime | None, customer: Customer) -> datetime | None:
    """An aware time in the customer's store's time zone (stored UTC, shown local: DESIGN §5.6)."""
    return timezone.localtime(when, customer.store.tz) if when else None


def _cells(c: Customer) -> dict[str, object]:
    next_follow_up = _local(c.next_follow_up_at, c)
    return {
        "id": c.pk,
        "name": c.name,
        "mobile": c.mobile,
        "gender": c.get_gender_display(),
        "stage": c.get_stage_display(),
        "intent_grade": c.intent_grade,
        "source": c.source_label,
        "owner": str(c.owner or ""),
        "city": c.city,
        "next_follow_up_at": next_follow_up.strftime("%Y-%m-%d %H:%M") if next_follow_up else "",
        "created_at": _local(c.created_at, c).date(),
    }


def _rows(qs: QuerySet[Customer], actor) -> Iterator[list]:
    for c in qs.select_related("owner", "store").iterator(chunk_size=2_000):
        cells = _cells(c)
        yield [visibility.value(actor, visibility.CUSTOMER, c, field, cells[field]) or "" for field in COLUMN_FIELDS]


def customers_export(*, actor, queryset: QuerySet[Customer], fmt: str) -> tuple[object, str, str]:
    """(body, content type, file name) for the visible list `queryset` (already scoped by the selector).

    CSV streams (an iterator of bytes); XLSX is built in memory and capped at MAX_EXPORT rows.
    """
    stores = set(queryset.values_list("store_id", flat=True).distinct()[:50])
    if not stores or not all(user_can(actor, "customers.export", s) for s in stores):
        raise NotPermitted(_("Your role may not export customers."))
    count = queryset[: MAX_EXPORT + 1].count()  # bounded: never counts the whole table
    if count > LARGE_EXPORT and not all(user_can(actor, "customers.export_large", s) for s in stores):
        raise NotPermitted(
            _("Exports of more than 1,000 customers need a manager. Narrow the filters or ask your manager.")
        )
    if count > MAX_EXPORT:
        raise NotPermitted(_("At most 200,000 customers can be exported at once; narrow the filters."))
    for store_id in stores:
        access_record(
            actor=actor,
            kind="export",
            target_type="customers.customer",
            store_id=store_id,
            row_count=count,
            fields=["name", "mobile(masked)", "stage", "intent_grade", "owner"],
            reason=f"customer list {fmt}",
        )
    ordered = queryset.order_by("-id")
    if fmt == "xlsx":
        body = write_xlsx(_rows(ordered, actor), export_headers(), sheet_title="customers")
        return body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "customers.xlsx"
    return iter_csv(_rows(ordered, actor), export_headers()), "text/csv; charset=utf-8", "customers.csv"
