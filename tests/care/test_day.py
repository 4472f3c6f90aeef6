"""The care specialist's day: calls due today and overdue (each store's own calendar day), counts, filters, paging,
the navigation badge, /my-day/ taking care there, scoping and a query-count guard."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.customers.models import FollowUp
from dealerdesk.deliveries.models import DeliveryFollowUp
from tests.care.helpers import care_call, local
from tests.clock import INSTANTS
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _ids(response) -> list[int]:
    return [row.pk for row in response.context["day"].rows]


def test_the_care_day_lists_todays_and_overdue_calls_of_the_desk(
    shanghai_clock, client, store_a, store_b, care, consultant, make_staff
):
    # given (at 00:05, 07:59, 23:59, month and year end, 1 January in Shanghai) calls around today's edges
    today = shanghai_clock.today
    colleague = make_staff("care_specialist", store_a)
    overdue = care_call(store_a, due_at=local(today - DAY, 23, 59), assignee=care)
    first_minute = care_call(store_a, due_at=local(today, 0, 0))
    last_minute = care_call(store_a, due_at=local(today, 23, 59), assignee=colleague)  # the desk's, given to another
    mine = care_call(store_a, due_at=local(today, 10), role="", purpose="care", assignee=care)
    care_call(store_a, due_at=local(today + DAY, 0, 0))  # tomorrow
    care_call(store_a, due_at=local(today - DAY, 10), status="done", completed_at=shanghai_clock.ago(days=1))
    sales = CustomerFactory(store=store_a, owner=consultant)
    care_call(store_a, customer=sales, due_at=local(today - DAY, 10), role="", purpose="regular", assignee=consultant)
    care_call(store_b, due_at=local(today - DAY, 10))  # another store's desk
    client.force_login(care)

    # when the care specialist opens their day
    response = client.get(reverse("care_day"))

    # then the desk's calls and their own are listed, overdue first, with the counts of the store's day
    assert response.status_code == 200
    assert _ids(response) == [overdue.pk, first_minute.pk, mine.pk, last_minute.pk]
    day = response.context["day"]
    assert (day.overdue, day.today) == (1, 3)
    assert [row.is_overdue for row in day.rows] == [True, False, False, False]
    html = response.content.decode()
    assert 'data-testid="overdue-count">1<' in html and 'data-testid="today-count">3<' in html

    # and the filters narrow the list
    assert _ids(client.get(reverse("care_day"), {"due": "overdue"})) == [overdue.pk]
    assert _ids(client.get(reverse("care_day"), {"due": "today"})) == [first_minute.pk, mine.pk, last_minute.pk]


def test_my_day_takes_the_care_specialist_to_the_care_day_and_the_badge_counts_the_calls(
    shanghai_clock, client, store_a, care
):
    # given two calls due today or overdue, one tomorrow
    today = shanghai_clock.today
    care_call(store_a, due_at=local(today - DAY, 10))
    care_call(store_a, due_at=local(today, 23, 59))
    care_call(store_a, due_at=local(today + DAY, 0, 1))
    client.force_login(care)

    # when the care specialist opens "my day" (it answered 403 before)
    response = client.get(reverse("my_day"))

    # then it takes them to the care day, which is in their navigation with its count
    assert response.status_code == 302 and response["Location"] == reverse("care_day")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert any(item["name"] == "care_day" for item in page.context["nav_items"])
    assert not any(item["name"] == "my_day" for item in page.context["nav_items"])
    badge = client.get(reverse("inbox_badge")).content.decode()
    assert re.search(r'id="nav-count-care_day"[^>]*data-testid="nav-count-care_day"[^>]*>2<', badge), badge


def test_the_type_filter_picks_post_delivery_calls_by_their_day(client, store_a, care, consultant, clerk):
    # given the real handover's calls (days 1, 3, 7, 30), moved to today, and a general care call
    from tests.care.helpers import handed_over

    delivery, calls = handed_over(store_a, consultant, clerk)
    FollowUp.objects.filter(pk__in=[f.pk for f in calls.values()]).update(due_at=local(timezone.localdate(), 0, 1))
    general = care_call(store_a, due_at=local(timezone.localdate() - DAY, 10), purpose="care")
    client.force_login(care)

    # when the desk filters by kind of call
    def listed(kind):
        return _ids(client.get(reverse("care_day"), {"type": kind}))

    # then the desk's calls are days 3 and 30 (days 1 and 7 are the consultant's), each under its kind
    assert set(_ids(client.get(reverse("care_day")))) == {calls[3].pk, calls[30].pk, general.pk}
    assert listed("delivery_d3") == [calls[3].pk]
    assert listed("delivery_d30") == [calls[30].pk]
    assert listed("delivery_d1") == []
    assert listed("general") == [general.pk]
    assert DeliveryFollowUp.objects.filter(delivery=delivery, day=3).get().follow_up.role == "care_specialist"


def test_the_care_day_pages_by_due_time_and_shows_an_empty_state(client, store_a, care):
    # given 53 overdue calls
    base = local(timezone.localdate() - DAY * 3, 9)
    calls = [care_call(store_a, due_at=base + datetime.timedelta(minutes=n)) for n in range(53)]
    client.force_login(care)

    # when the desk pages through them
    first = client.get(reverse("care_day"))
    cursor = first.context["day"].next_cursor
    second = client.get(reverse("care_day"), {"after": cursor})

    # then 50 then 3, oldest first, none twice; a tampered cursor starts again
    assert _ids(first) == [c.pk for c in calls[:50]]
    assert _ids(second) == [c.pk for c in calls[50:]] and second.context["day"].next_cursor is None
    assert _ids(client.get(reverse("care_day"), {"after": "garbage!"})) == [c.pk for c in calls[:50]]

    # and with nothing due, the empty state
    FollowUp.objects.update(status="cancelled")
    empty = client.get(reverse("care_day"))
    assert 'data-testid="care-empty"' in empty.content.decode()


def test_the_care_day_runs_a_fixed_number_of_queries(client, store_a, care, django_assert_max_num_queries):
    # given a handful of calls
    today = timezone.localdate()
    for n in range(3):
        care_call(store_a, due_at=local(today - DAY, 10 + n))
    client.force_login(care)
    client.get(reverse("care_day"))  # warm the session

    with django_assert_max_num_queries(12) as small:
        client.get(reverse("care_day"))

    # when there are ten times as many, of several customers and consultants
    for n in range(30):
        care_call(store_a, due_at=local(today - DAY, 10, n))

    # then the page costs the same
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("care_day"))
    assert len(response.context["day"].rows) == 33


@pytest.mark.parametrize("role", ["receptionist", "consultant", "admin_clerk"])
def test_the_care_day_is_the_care_desks(client, store_a, make_staff, role):
    client.force_login(make_staff(role, store_a))
    assert client.get(reverse("care_day")).status_code == 403


def test_the_store_manager_of_another_store_sees_nothing_of_this_desk(client, store_a, store_b, make_staff):
    # given a care call in store A and a care specialist of store B
    call = care_call(store_a, due_at=local(timezone.localdate() - DAY, 10))
    other = make_staff("care_specialist", store_b)
    client.force_login(other)

    # then B's desk neither lists nor opens it
    assert _ids(client.get(reverse("care_day"))) == []
    assert client.get(reverse("care_call", args=[call.pk])).status_code == 404


@pytest.mark.parametrize("shanghai_clock", [INSTANTS["ordinary-00:05"], INSTANTS["ordinary-23:59"]], indirect=True)
def test_a_call_due_at_ten_today_is_due_today_not_overdue_all_day(shanghai_clock, client, store_a, care):
    # given the post-delivery call planned at 10:00 (the handover's hour) today
    call = care_call(store_a, due_at=local(shanghai_clock.today, 10))
    client.force_login(care)

    # then at 00:05 and at 23:59 it is today's work, not overdue
    day = client.get(reverse("care_day")).context["day"]
    assert [r.pk for r in day.rows] == [call.pk] and (day.overdue, day.today) == (0, 1)
