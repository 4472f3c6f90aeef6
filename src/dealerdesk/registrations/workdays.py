"""Working days for registration targets.

Saturdays and Sundays are skipped. Chinese public holidays and their make-up working days (调休) are not: they
change every year by State Council notice, and no calendar of them is kept here. A target that falls across a
holiday week is therefore a few days early, which errs on the side of chasing the case sooner.
"""

from datetime import date, timedelta


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))
