"""The live traffic board (fixed query count with hundreds of visits; the same at any time of day, including a visitor
who stays past midnight) and the daily traffic report's figures."""

import datetime

import pytest

from dealerdesk.showroom import outcomes, selectors
from tests.clock import SHANGHAI, pinned_at, shanghai
from tests.customers.factories import CustomerFactory
from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory

pytestmark = pytest.mark.django_db


def at(day: datetime.date, hh: int, mm: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


def test_board_shows_who_is_where_and_for_how_long(shanghai_clock, store_a, receptionist, consultant):
    # given one visitor waiting 7 minutes, one with a consultant for 30, one gone a minute ago, one gone yesterday,
    # and a visit left open two days ago
    clock = shanghai_clock
    waiting = VisitFactory(store=store_a, arrived_at=clock.ago(minutes=7))
    served = VisitFactory(
        store=store_a,
        arrived_at=clock.ago(minutes=30),
        status="with_consultant",
        consultant=consultant,
        assigned_at=clock.ago(minutes=28),
        party_size=3,
        kind="return",
    )
    gone = VisitFactory(store=store_a, arrived_at=clock.ago(minutes=4), status="left", left_at=clock.ago(minutes=1))
    VisitFactory(store=store_a, arrived_at=clock.ago(days=1, hours=1), status="left", left_at=clock.ago(days=1))
    VisitFactory(store=store_a, arrived_at=clock.ago(days=2))
    # when reception looks at the board
    board = selectors.board_for(receptionist, store_a, now=clock.start)
    # then everybody in the showroom is on it with their minutes, at any time of day (just after midnight too)
    assert board.day == clock.today
    assert [r.visit for r in board.waiting] == [waiting]
    assert board.waiting[0].waiting_minutes == 7
    assert [r.visit for r in board.with_consultant] == [served]
    assert board.with_consultant[0].minutes_in_showroom == 30
    assert board.with_consultant[0].waiting_minutes == 2
    assert [r.visit for r in board.left] == [gone]
    assert (board.counts["waiting"], board.counts["with_consultant"], board.counts["left"]) == (1, 1, 1)
    # and the day's figures count today's arrivals: at 00:05 the two in the showroom came yesterday
    if clock.start.hour == 0:
        assert (board.counts["visits"], board.counts["people"], board.counts["first"]) == (1, 1, 1)
        assert board.counts["return"] == 0
    else:
        assert (board.counts["visits"], board.counts["people"], board.counts["first"]) == (3, 5, 2)
        assert board.counts["return"] == 1


def test_board_runs_one_query_whatever_the_number_of_visits(
    shanghai_clock, store_a, receptionist, consultants, django_assert_num_queries
):
    # given 300 visitors in the showroom, arrived over the last six minutes, a third linked to customers and served
    start = shanghai_clock.ago(minutes=1)
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
    now = shanghai_clock.start
    selectors.board_for(receptionist, store_a, now=now)  # the user's memberships are loaded once per request
    # when / then
    with django_assert_num_queries(1):
        board = selectors.board_for(receptionist, store_a, now=now)
        names = [row.visitor for row in board.in_showroom]
    assert len(names) == 300
    assert (board.counts["with_consultant"], board.counts["waiting"]) == (100, 200)


def test_a_consultant_sees_other_consultants_visitors_masked(shanghai_clock, store_a, receptionist, consultants):
    first, second, _third = consultants
    mine = CustomerFactory(store=store_a, owner=first, name="陈小明")
    theirs = CustomerFactory(store=store_a, owner=second, name="欧阳修文")
    VisitFactory(store=store_a, customer=mine, arrived_at=shanghai_clock.ago(minutes=10))
    VisitFactory(store=store_a, customer=theirs, arrived_at=shanghai_clock.ago(minutes=10))
    seen_by_first = {row.visitor for row in selectors.board_for(first, store_a).waiting}
    seen_by_desk = {row.visitor for row in selectors.board_for(receptionist, store_a).waiting}
    assert seen_by_first == {"陈小明", "欧***"}
    assert seen_by_desk == {"陈小明", "欧阳修文"}


# ---------------------------------------------------------------- across midnight (pinned at 00:10 Shanghai)

AFTER_MIDNIGHT = shanghai(2026, 3, 18, 0, 10)


def _late_evening(store, consultants):
    """At 00:10 on 18 March: a visitor since 23:50 with the first consultant, one waiting since 23:56, one who came
    at 23:30 and left at 23:55 (yesterday), one who came at 00:02 and left at 00:06 (today), and a visit the desk
    forgot to close at 11:00 yesterday (the second consultant's)."""
    first, second, _third = consultants
    evening = AFTER_MIDNIGHT.date() - datetime.timedelta(days=1)
    served = VisitFactory(
        store=store,
        arrived_at=at(evening, 23, 50),
        status="with_consultant",
        consultant=first,
        assigned_at=at(evening, 23, 52),
        party_size=2,
    )
    waiting = VisitFactory(store=store, arrived_at=at(evening, 23, 56))
    VisitFactory(store=store, arrived_at=at(evening, 23, 30), status="left", left_at=at(evening, 23, 55))
    gone_today = VisitFactory(
        store=store, arrived_at=at(AFTER_MIDNIGHT.date(), 0, 2), status="left", left_at=at(AFTER_MIDNIGHT.date(), 0, 6)
    )
    forgotten = VisitFactory(
        store=store,
        arrived_at=at(evening, 11, 0),
        status="with_consultant",
        consultant=second,
        assigned_at=at(evening, 11, 5),
    )
    return served, waiting, gone_today, forgotten


@pinned_at(AFTER_MIDNIGHT)
def test_a_visitor_who_arrived_before_midnight_stays_on_the_board_until_they_leave(
    shanghai_clock, store_a, receptionist, consultants
):
    # given the late evening above, seen at 00:10
    served, waiting, gone_today, forgotten = _late_evening(store_a, consultants)
    # when reception looks at the board
    board = selectors.board_for(receptionist, store_a)
    # then the visitors who came before midnight are still in the showroom, with their minutes counted across it
    assert board.day == datetime.date(2026, 3, 18)
    assert [r.visit for r in board.with_consultant] == [served]
    assert board.with_consultant[0].minutes_in_showroom == 20
    assert board.with_consultant[0].waiting_minutes == 2
    assert [r.visit for r in board.waiting] == [waiting]
    assert board.waiting[0].waiting_minutes == 14
    # only today's departure is under "left"; the visit forgotten open since yesterday morning is not shown
    assert [r.visit for r in board.left] == [gone_today]
    assert forgotten not in [r.visit for r in board.in_showroom]
    # and "visits today" counts today's arrival only
    assert (board.counts["visits"], board.counts["people"]) == (1, 1)
    assert (board.counts["waiting"], board.counts["with_consultant"], board.counts["left"]) == (1, 1, 1)


@pinned_at(AFTER_MIDNIGHT)
def test_a_visitor_who_leaves_after_midnight_drops_off_the_board(shanghai_clock, store_a, receptionist, consultants):
    # given the visitor since 23:50, seen at 00:10
    served, _waiting, gone_today, _forgotten = _late_evening(store_a, consultants)
    # when they leave at 00:12
    served.status, served.left_at = "left", at(AFTER_MIDNIGHT.date(), 0, 12)
    served.save()
    board = selectors.board_for(receptionist, store_a, now=AFTER_MIDNIGHT + datetime.timedelta(minutes=3))
    # then they are yesterday's traffic: no longer in the showroom, not one of today's departures
    assert served not in [r.visit for r in board.in_showroom + board.left]
    assert [r.visit for r in board.left] == [gone_today]


@pinned_at(AFTER_MIDNIGHT)
def test_a_consultant_with_a_visitor_from_before_midnight_is_busy(shanghai_clock, store_a, receptionist, consultants):
    # given the first consultant serving the visitor since 23:50, the second's visit forgotten since 11:00 yesterday
    first, second, third = consultants
    _late_evening(store_a, consultants)
    # when the rotation is read at 00:10
    states = {e.consultant: e.state for e in selectors.rotation_for(store_a)}
    # then the first is busy; the forgotten visit does not keep the second busy; the second is next up
    assert states == {first: "busy", second: "free", third: "free"}
    assert selectors.next_up(store_a) == second


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


@pinned_at(AFTER_MIDNIGHT)
def test_picking_by_hand_the_consultant_of_a_visitor_from_before_midnight_is_refused(
    shanghai_clock, store_a, receptionist, consultants
):
    # given at 00:10 the first consultant still serves the visitor who came at 23:50
    from dealerdesk.core.errors import Conflict
    from dealerdesk.showroom import services

    served, waiting, _gone_today, _forgotten = _late_evening(store_a, consultants)
    # when reception hands the waiting visitor to them by hand
    with pytest.raises(Conflict) as busy:
        services.visit_assign(actor=receptionist, visit=waiting, consultant=served.consultant)
    # then it is refused as for any busy consultant; the second (whose visit was forgotten open since 11:00
    # yesterday) may take them
    assert busy.value.code == "consultant_busy"
    visit = services.visit_assign(actor=receptionist, visit=waiting, consultant=consultants[1])
    assert visit.consultant == consultants[1]
