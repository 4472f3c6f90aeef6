"""Periodic duties of the offers app."""

from datetime import datetime, timedelta

from dealerdesk.core.periodic import duty

from .services import offers_expire_due


@duty("offers.expire_due", every=timedelta(hours=1))
def expire_due_offers(now: datetime) -> int:
    return offers_expire_due(now=now)
