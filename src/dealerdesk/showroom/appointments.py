"""Today's appointments at reception (3.1): the test drives and handovers booked for today, so the desk checks
people in as they come. The showroom knows no later app: each app that books customers registers a source in its
AppConfig.ready() (testdrives, deliveries)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from dealerdesk.accounts.models import Store, User
from dealerdesk.customers.models import Customer


@dataclass(frozen=True)
class Appointment:
    kind: str  # "test_drive" | "delivery": the label comes from the source
    label: str
    starts_at: datetime.datetime
    customer: Customer
    consultant: User | None
    url: str


# a source gives the store's appointments starting within [start, end), in one or two queries
AppointmentSource = Callable[[Store, datetime.datetime, datetime.datetime], list[Appointment]]
_SOURCES: list[AppointmentSource] = []


def register_appointment_source(source: AppointmentSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def appointments_between(store: Store, start: datetime.datetime, end: datetime.datetime) -> list[Appointment]:
    """Every registered app's appointments of the store in the window, by time."""
    found = [a for source in _SOURCES for a in source(store, start, end)]
    return sorted(found, key=lambda a: (a.starts_at, a.customer.pk))
