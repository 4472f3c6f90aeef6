"""The live traffic board (fixed query count with hundreds of visits) and the daily traffic report's figures."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dealerdesk.showroom import outcomes, selectors
from tests.customers.factories import CustomerFactory
from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hh: int, mm: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


def test_board_shows_who_is_where_and_for_how_long(store_a, receptionist, consultant):
    # given one visitor waiting 7 minutes, one with a consultant for 30, one gone; and yesterday's visit
    now = timezone.now()
    waiting = VisitFactory(store=store_a, arrived_at=now - datetime.timedelta(minutes=7))
    served = VisitFactory(
        store=store_a,
        arrived_at=now - datetime.timedelta(minutes=30),
        status="with_consultant",
        consultant=consultant,
        assigned_at=now - datetime.timedelta(minutes=28),
        party_size=3,
        kind="return",
    )
    VisitFactory(
        store=store_a,
        arrived_at=now - datetime.timedelta(minutes=20),
        status="left",
        left_at=now - datetime.timedelta(minutes=1),
    )
    VisitFactory(store=store_a, arrived_at=now - datetime.timedelta(days=2))
    # when reception looks at the board
    board = selectors.board_for(receptionist, store_a, now=now)
    # then
    assert [r.visit for r in board.waiting] == [waiting]
    assert board.waiting[0].waiting_minutes == 7
    assert [r.visit for r in board.with_consultant] == [served]
    assert board.with_consultant[0].minutes_in_showroom == 30
    assert board.with_consultant[0].waiting_minutes == 2
    assert board.counts["visits"] == 3
    assert board.counts["people"] == 5
    assert (board.counts["first"], board.counts["return"]) == (2, 1)


def test_board_runs_one_query_whatever_the_number_of_visits(
    store_a, receptionist, consultants, django_assert_num_queries
):
    # given 300 visits today, a third linked to customers and served
    now = timezone.now()
    start = now - datetime.timedelta(minutes=1)
    for i in range(300):
        customer = CustomerFactory(store=store_a) if i % 3 == 0 else None
        served = i % 3 == 0
        VisitFactory(
            store=store_a,
            customer=customer,
            arrived_at=start - datetime.timedelta(seconds=i),
            status="with_consultant" if served else "arrived",
            consultant=consultants[i % 3] if served else None,
            assigned_at=start if served else None,
        )
    selectors.board_for(receptionist, store_a, now=now)  # the user's memberships are loaded once per request
    # when / then
    with django_assert_num_queries(1):
        board = selectors.board_for(receptionist, store_a, now=now)
        names = [row.visitor for row in board.in_showroom]
    assert board.counts["visits"] == 300
    assert len(names) == 300


def test_a_consultant_sees_other_consultants_visitors_masked(store_a, receptionist, consultants):
    first, second, _third = consultants
    mine = CustomerFactory(store=store_a, owner=first, name="陈小明")
    theirs = CustomerFactory(store=store_a, owner=second, name="欧阳修文")
    now = timezone.now()
    VisitFactory(store=store_a, customer=mine, arrived_at=now)
    VisitFactory(store=store_a, customer=theirs, arrived_at=now)
    seen_by_first = {row.visitor for row in selectors.board_for(first, store_a).waiting}
    seen_by_desk = {row.visitor for row in selectors.board_for(receptionist, store_a).waiting}
    assert seen_by_first == {"陈小明", "欧***"}
    assert seen_by_desk == {"陈小明", "欧阳修文"}


def test_board_of_another_store_is_not_found(store_a, store_b, make_staff):
    outsider = make_staff("receptionist", store_b)
    with pytest.raises(type(store_a).DoesNotExist):
        selectors.board_for(outsider, store_a)


def _known_day(store, consultants, customer):
    """Four visits on 2 March 2026 (Shanghai): see the report test for the expected figures."""
    day = datetime.date(2026, 3, 2)
    a, b, _c = consultants
    first = VisitFactory(
        store=store,
        customer=customer,
        arrived_at=at(day, 10, 5),
        status="left",
        consultant=a,
        assigned_at=at(day, 10, 10),
        left_at=at(day, 10, 50),
    )
    VisitFactory(
        store=store,
        arrived_at=at(day, 10, 30),
        kind="return",
        status="left",
        consultant=a,
        assigned_at=at(day, 10, 31),
        left_at=at(day, 11, 31),
    )
    appointment = VisitFactory(
        store=store,
        arrived_at=at(day, 14, 0),
        kind="appointment",
        party_size=3,
        status="left",
        consultant=b,
        assigned_at=at(day, 14, 0),
        left_at=at(day, 14, 20),
    )
    VisitFactory(store=store, arrived_at=at(day, 14, 45), status="left", left_at=at(day, 14, 50))
    VisitFactory(store=store, arrived_at=at(day + datetime.timedelta(days=1), 0, 5))  # the next day: not counted
    NeedsAssessmentFactory(customer=customer, visit=first, created_at=at(day, 10, 20))
    return day, first, appointment


def test_traffic_report_figures_on_a_known_day(store_a, manager, consultants, customer, monkeypatch):
    # given a known day, and an offers app that reports an offer on the appointment
    day, _first, appointment = _known_day(store_a, consultants, customer)
    monkeypatch.setitem(outcomes._PROVIDERS, outcomes.OFFER, lambda visits: {appointment.pk})
    # when the manager opens the report of that day
    report = selectors.traffic_report(manager, store_a, day, day)
    totals = report.totals
    # then
    assert (totals["visits"], totals["people"]) == (4, 6)
    assert (totals["first"], totals["return"], totals["appointment"]) == (2, 1, 1)
    assert totals["average_minutes"] == 32.8  # (45 + 61 + 20 + 5) / 4 = 32.75
    assert totals["average_wait_minutes"] == 2.0  # (5 + 1 + 0) / 3
    assert totals["outcomes"]["needs"] == {"count": 1, "share": 25.0}
    assert totals["outcomes"]["offer"] == {"count": 1, "share": 25.0}
    assert totals["reported"]["offer"] is True
    hours = {row["hour"]: row["visits"] for row in report.by_hour}
    assert hours[10] == 2 and hours[14] == 2 and hours[11] == 0
    by_consultant = {row["label"]: row for row in report.by_consultant}
    a, b, _c = consultants
    assert by_consultant[str(a)]["visits"] == 2
    assert by_consultant[str(a)]["average_minutes"] == 53.0  # (45 + 61) / 2
    assert by_consultant[str(b)]["outcomes"]["offer"]["share"] == 100.0
    assert report.by_consultant[-1]["consultant"] is None  # "not served" comes last


def test_traffic_report_says_when_an_outcome_is_not_recorded_by_any_app(
    store_a, manager, consultants, customer, monkeypatch
):
    # given no app reports test drives
    monkeypatch.delitem(outcomes._PROVIDERS, outcomes.TEST_DRIVE, raising=False)
    day, _first, _appointment = _known_day(store_a, consultants, customer)
    # when / then the report knows the figure is missing rather than zero
    report = selectors.traffic_report(manager, store_a, day, day)
    assert report.totals["reported"]["test_drive"] is False
    assert report.totals["reported"]["needs"] is True


def test_a_consultant_cannot_open_the_traffic_report(store_a, consultant):
    with pytest.raises(type(store_a).DoesNotExist):
        selectors.traffic_report(consultant, store_a, datetime.date(2026, 3, 2), datetime.date(2026, 3, 2))
