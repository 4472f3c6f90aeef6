"""Clock pinning for time-dependent tests (DESIGN §10: a run at 00:05 or 23:59 Asia/Shanghai, or on 31 December,
passes the same).

`shanghai_clock` is a parametrised fixture: the test runs once per instant of `INSTANTS`, with time_machine
travelling there (ticking, so code that measures durations still sees time pass). Apply it to a whole module with

    pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]

or to one test by naming it as the test's first argument (`def test_x(shanghai_clock, store_a): ...`) when the test
needs the instant (`shanghai_clock.start`, `.today`, `.ago(minutes=30)`). Either way the clock is set before the
other fixtures run, so every row they create is timed on the travelled clock. `@pinned_at(instant)` runs a test
taking `shanghai_clock` at that one instant only.

time_machine moves Python's clock only: `timezone.now()`, `auto_now`, `default=timezone.now`. A database-side now
(`django.db.models.functions.Now()`, a column default or trigger calling NOW()/CURRENT_TIMESTAMP) keeps the real
time, so code under such a test must take its time from Python.

`--clock=ISO` runs the whole suite at one instant: every test starts with time_machine travelled there (ticking),
e.g. `pytest -m "not e2e" --clock=2026-12-31T23:59+08:00` (without an offset the time is read as Asia/Shanghai wall
time). Each test travels afresh, so a long run never drifts past the instant, and the travel starts before any
other fixture of the test, session-scoped ones included: the first test's database setup runs on that clock too, so
that test starts the setup's time (20-30 s) after the instant; keep instants a minute clear of the boundary tested.
Tests using `shanghai_clock` or `@pinned_at` still run at their own instants: their travel nests inside. Sweep the
suite at each of INSTANTS to find code and tests that only pass at some hours (docs/testing-clock.md).
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """An aware instant on the Asia/Shanghai wall clock."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# The instants where a "today" built from UTC, or from "now minus some minutes", goes wrong: just after local
# midnight (still the previous day in UTC), just before 08:00 (the UTC date turns), just before local midnight, and
# the last minute of a month and of a year (and the first of the next year).
INSTANTS: dict[str, datetime.datetime] = {
    "ordinary-00:05": shanghai(2026, 3, 18, 0, 5),
    "ordinary-07:59": shanghai(2026, 3, 18, 7, 59),
    "ordinary-23:59": shanghai(2026, 3, 18, 23, 59),
    "month-end-23:59": shanghai(2026, 11, 30, 23, 59),
    "year-end-23:59": shanghai(2026, 12, 31, 23, 59),
    "new-year-00:05": shanghai(2027, 1, 1, 0, 5),
}


@dataclass(frozen=True)
class Clock:
    """Where the travelled clock started (Shanghai wall time), and the traveller to move it further."""

    start: datetime.datetime
    traveller: time_machine.Traveller

    @property
    def today(self) -> datetime.date:
        """The local (Shanghai) day of the start."""
        return self.start.date()

    def at(self, hour: int, minute: int, *, days: int = 0) -> datetime.datetime:
        """A Shanghai wall-clock time on the start's day (`days` later or, negative, earlier)."""
        day = self.today + datetime.timedelta(days=days)
        return shanghai(day.year, day.month, day.day, hour, minute)

    def ago(self, **delta: float) -> datetime.datetime:
        """The start minus a timedelta (`ago(minutes=30)`), fixed whatever time the test has spent so far."""
        return self.start - datetime.timedelta(**delta)


def pinned_at(when: datetime.datetime, label: str | None = None) -> pytest.MarkDecorator:
    """Runs a test taking `shanghai_clock` at this one instant instead of all of INSTANTS (`@pinned_at(...)`)."""
    return pytest.mark.parametrize("shanghai_clock", [when], indirect=True, ids=[label or when.strftime("%H:%M")])


@pytest.fixture(params=list(INSTANTS.values()), ids=list(INSTANTS))
def shanghai_clock(request) -> Iterator[Clock]:
    """Runs the test at each of INSTANTS (Asia/Shanghai), the clock ticking from there."""
    with time_machine.travel(request.param, tick=True) as traveller:
        yield Clock(start=request.param, traveller=traveller)


# --clock=ISO: the instant every test of the run starts at (None when the option is not given).
CLOCK_OPTION = pytest.StashKey[datetime.datetime | None]()
CLOCK_FIXTURE = "_clock_option"


def parse_clock(value: str) -> datetime.datetime:
    """The `--clock` instant: an ISO 8601 date-time, read as Asia/Shanghai wall time when it has no offset."""
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--clock={value}: not an ISO 8601 date-time (e.g. 2026-12-31T23:59+08:00)") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=SHANGHAI)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="ISO",
        default=None,
        help="run every test with the clock travelled to this instant, ticking (e.g. 2026-12-31T23:59+08:00; "
        "without an offset: Asia/Shanghai wall time)",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("clock", None)
    config.stash[CLOCK_OPTION] = parse_clock(value) if value else None


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = config.stash.get(CLOCK_OPTION, None)
    if instant is None:
        return None
    return f"clock: every test starts at {instant.isoformat()} ({instant.astimezone(SHANGHAI):%Y-%m-%d %H:%M} Shanghai)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Puts the `--clock` fixture first of every test's fixtures, ahead even of session-scoped ones."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names and CLOCK_FIXTURE in names and names[0] != CLOCK_FIXTURE:
            names.remove(CLOCK_FIXTURE)
            names.insert(0, CLOCK_FIXTURE)


@pytest.fixture(autouse=True)
def _clock_option(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller | None]:
    """With `--clock=ISO`, travels to that instant (ticking) for the whole test; without it, does nothing."""
    instant = request.config.stash.get(CLOCK_OPTION, None)
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller
