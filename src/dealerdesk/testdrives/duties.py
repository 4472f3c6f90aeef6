"""Periodic duties of the test-drive app."""

from datetime import datetime, timedelta

from dealerdesk.core.periodic import duty

from .fleet import insurance_alerts_send
from .services import reminders_send_due


@duty("testdrives.reminders", every=timedelta(minutes=15))
def send_reminders(now: datetime) -> int:
    return reminders_send_due(now=now)


@duty("testdrives.insurance_alerts", every=timedelta(hours=6))
def send_insurance_alerts(now: datetime) -> int:
    return insurance_alerts_send(now=now)
