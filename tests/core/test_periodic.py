"""`dealerdesk tick`: each due duty runs once, however often tick is called."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dealerdesk.core import periodic
from dealerdesk.core.models import PeriodicDutyRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting_duty():
    calls = []
    periodic.DUTIES["test.count"] = periodic.Duty(
        "test.count", timedelta(hours=1), lambda now: calls.append(now) or len(calls)
    )
    yield calls
    periodic.DUTIES.pop("test.count")


def test_a_duty_runs_once_per_interval(counting_duty):
    now = timezone.now()
    assert periodic.run_due_duties(now=now, only="test.count") == {"test.count": "1"}
    assert periodic.run_due_duties(now=now + timedelta(minutes=59), only="test.count") == {}
    assert periodic.run_due_duties(now=now + timedelta(hours=1), only="test.count") == {"test.count": "2"}
    assert len(counting_duty) == 2
    run = PeriodicDutyRun.objects.get(name="test.count")
    assert run.last_result == "2" and run.last_finished_at is not None


def test_a_failing_duty_does_not_stop_the_others(counting_duty):
    periodic.DUTIES["test.broken"] = periodic.Duty("test.broken", timedelta(hours=1), lambda now: 1 / 0)
    try:
        ran = periodic.run_due_duties()
    finally:
        periodic.DUTIES.pop("test.broken")
    assert ran["test.broken"] == "error: ZeroDivisionError"
    assert ran["test.count"] == "1"


def test_tick_command_reports_what_ran(capsys):
    call_command("tick")
    out = capsys.readouterr().out
    assert "notifications.deliver_due: 0" in out
    call_command("tick")
    assert capsys.readouterr().out == ""  # nothing was due a second time
