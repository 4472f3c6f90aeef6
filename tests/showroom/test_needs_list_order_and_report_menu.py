"""Issue #10.15 on the showroom pages: the needs-analysis list in the order the analyses were taken (newest first,
stable across pages), the visit page's "查找" button that does not wrap, the traffic report in the reports menu."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.customers.factories import CustomerFactory
from tests.showroom.conftest import client_for
from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_the_needs_list_is_newest_taken_first_across_pages_even_when_recorded_out_of_order(store_a, consultant):
    # given 60 analyses recorded in an order unlike the times they were taken (ids do not follow the times)
    now = timezone.now()
    hours = [(n * 37) % 60 for n in range(60)]  # a permutation of 0..59
    made = {}
    for h in hours:
        assessment = NeedsAssessmentFactory(
            customer=CustomerFactory(store=store_a, owner=consultant), created_at=now - datetime.timedelta(hours=h)
        )
        made[assessment.pk] = h
    # and two taken at the very same instant (ties are ordered by id, newest first)
    same = now - datetime.timedelta(minutes=30)
    tied = [
        NeedsAssessmentFactory(customer=CustomerFactory(store=store_a, owner=consultant), created_at=same) for _ in "ab"
    ]

    client = client_for(consultant)
    first = client.get(reverse("needs_list"))
    second = client.get(reverse("needs_list"), {"after": first.context["page"].next_cursor})

    shown = [a.pk for a in first.context["page"].items] + [a.pk for a in second.context["page"].items]
    times = [a.created_at for a in first.context["page"].items + second.context["page"].items]
    assert len(shown) == len(set(shown)) == 62  # every analysis once
    assert times == sorted(times, reverse=True)
    assert shown.index(tied[1].pk) == shown.index(tied[0].pk) - 1
    assert second.context["page"].next_cursor is None
    # a tampered cursor starts again from the first page
    assert client.get(reverse("needs_list"), {"after": "bm9wZQ"}).status_code == 200


def test_the_visit_pages_find_button_does_not_wrap(store_a, receptionist):
    visit = VisitFactory(store=store_a)
    html = client_for(receptionist).get(reverse("visit_detail", args=[visit.pk])).content.decode()
    button = html[html.index('data-testid="customer-search-submit"') - 120 :]
    assert "text-nowrap flex-shrink-0" in button[:200]


def test_the_reports_menu_lists_the_traffic_report_for_those_who_may_open_it(store_a, make_staff):
    manager = make_staff("sales_manager", store_a)
    receptionist = make_staff("receptionist", store_a)
    page = client_for(manager).get(reverse("home"))
    assert any(item["name"] == "traffic_report" for item in page.context["nav_management"])
    assert client_for(manager).get(reverse("traffic_report")).status_code == 200
    page = client_for(receptionist).get(reverse("home"))
    assert not any(item["name"] == "traffic_report" for item in page.context["nav_management"])
