"""Periodic duties: registered functions that `dealerdesk tick` runs when each is due.

Each duty must be idempotent: tick may run on several machines, and a claim makes sure only one runs it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import PeriodicDutyRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    name: str
    every: timedelta
    run: Callable[[datetime], object]


DUTIES: dict[str, Duty] = {}


def duty(name: str, *, every: timedelta):
    """Register `fn(now)` to run at most once per `every`."""

    def register(fn: Callable[[datetime], object]):
        DUTIES[name] = Duty(name=name, every=every, run=fn)
        return fn

    return register


def _claim(d: Duty, now: datetime) -> bool:
    PeriodicDutyRun.objects.get_or_create(name=d.name)
    claimed = PeriodicDutyRun.objects.filter(
        Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - d.every), name=d.name
    ).update(last_started_at=now)
    return claimed == 1


def run_due_duties(*, now: datetime | None = None, only: str | None = None) -> dict[str, str]:
    """Run every due duty once; returns {name: result or error} for those that ran."""
    now = now or timezone.now()
    ran: dict[str, str] = {}
    for d in DUTIES.values():
        if only and d.name != only:
            continue
        if not _claim(d, now):
            continue
        try:
            result = str(d.run(now))
        except Exception as exc:  # one broken duty must not stop the others
            logger.exception("periodic duty %s failed", d.name)
            result = f"error: {type(exc).__name__}"
        PeriodicDutyRun.objects.filter(name=d.name).update(last_finished_at=timezone.now(), last_result=result[:500])
        ran[d.name] = result
    return ran
