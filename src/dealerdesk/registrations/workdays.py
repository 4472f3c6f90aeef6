"""Working days for registration targets.

Vehicle offices (车管所) close on Chinese public holidays and open on their make-up working days (调休), which the
State Council announces each year. `chinesecalendar` keeps that official calendar; we use it for every year it
covers. For a year it does not cover yet (the notice for the next year comes out in November), Saturdays and
Sundays are skipped and holidays are not: such a target errs on the early side, so the case is chased sooner.
"""

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as official


@lru_cache(maxsize=64)
def calendar_covers(year: int) -> bool:
    """Whether the official holiday calendar is known for `year` (the tracker says so when it is not)."""
    return any(day.year == year for day in official.holidays)


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """True when government offices work on `day` (a holiday is not, a make-up Saturday is)."""
    if calendar_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5  # a year the official calendar does not cover yet


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
