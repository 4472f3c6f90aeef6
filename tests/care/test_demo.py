"""The care desk's demo data: the standard scripts in Chinese and calls waiting today, loaded once."""

import pytest
from django.core.management import call_command

from dealerdesk.care.models import CallScript
from dealerdesk.customers.models import FollowUp
from tests.clock import INSTANTS, pinned_at

pytestmark = pytest.mark.django_db


@pinned_at(INSTANTS["ordinary-23:59"])  # the demo data takes ~30 s to load: one instant
def test_demo_data_gives_the_care_desk_scripts_and_calls_and_is_idempotent(shanghai_clock, client):
    # when the demo data is loaded twice
    call_command("demo_data", verbosity=0)
    scripts, calls = CallScript.objects.count(), FollowUp.objects.filter(role="care_specialist").count()
    call_command("demo_data", verbosity=0)

    # then each demo store has a Chinese script per kind of call and nothing is doubled
    assert scripts == 12 and CallScript.objects.count() == scripts
    assert FollowUp.objects.filter(role="care_specialist").count() == calls
    assert "您好" in CallScript.objects.get(store__code="sz-futian", call_type="delivery_d3").body

    # and the demo care specialist has calls on the day
    from dealerdesk.accounts.models import User

    client.force_login(User.objects.get(username="care"))
    day = client.get("/care/").context["day"]
    assert day.overdue >= 1 and day.today >= 2
