"""Periodic duties of the registrations app."""

from datetime import datetime, timedelta

from dealerdesk.core.periodic import duty

from .services import registrations_remind_overdue, registrations_retarget


@duty("registrations.retarget", every=timedelta(hours=1))
def retarget_delivered(now: datetime) -> int:
    return registrations_retarget(now=now)


@duty("registrations.remind_overdue", every=timedelta(hours=1))
def remind_overdue(now: datetime) -> int:
    return registrations_remind_overdue(now=now)
