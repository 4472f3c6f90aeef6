"""The customer's business records kept by later apps (test drives, orders, deliveries, registrations), listed on
the customer card. The customers app imports none of them: each app registers a source from its `ready()`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from .models import Customer

RECORDS_PER_SOURCE = 10  # the newest of each kind; the app's own list has the rest


@dataclass(frozen=True)
class CustomerRecord:
    kind: str  # "Test drive", "Order"… (translated)
    number: str
    url: str
    status: str  # translated status label
    status_code: str
    when: datetime | date | None
    summary: str = ""


RecordSource = Callable[[object, Customer], list[CustomerRecord]]
RECORD_SOURCES: list[RecordSource] = []


def register_record_source(source: RecordSource) -> None:
    """A later app lists its records of a customer that `user` may open (its own scoped selector)."""
    if source not in RECORD_SOURCES:
        RECORD_SOURCES.append(source)


def customer_records(user, customer: Customer) -> list[CustomerRecord]:
    """Every registered app's records of the customer visible to the user, newest first (one query per app)."""
    records = [record for source in RECORD_SOURCES for record in source(user, customer)]
    return sorted(records, key=lambda r: _sort_key(r.when), reverse=True)


def _sort_key(when: datetime | date | None) -> datetime:
    if when is None:
        return datetime.min.replace(tzinfo=timezone.get_current_timezone())
    if isinstance(when, datetime):
        return when
    return datetime.combine(when, datetime.min.time(), tzinfo=timezone.get_current_timezone())
