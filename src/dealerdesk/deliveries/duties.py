"""Periodic duties of the deliveries app: the day-before reminder and the gift shortage warning."""

from datetime import datetime, timedelta

from dealerdesk.core.periodic import duty

from .services import deliveries_remind_due, gift_shortages_report


@duty("deliveries.remind_due", every=timedelta(minutes=30))
def remind_due_deliveries(now: datetime) -> int:
    return deliveries_remind_due(now=now)


@duty("deliveries.gift_shortages", every=timedelta(hours=1))
def report_gift_shortages(now: datetime) -> int:
    return gift_shortages_report(now=now)
