"""Showroom pages: the reception desk, the board, visits, the report, needs analysis and walkarounds — permissions,
404 across stores, field errors, and a query-count guard on every list and detail page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.showroom import services
from dealerdesk.showroom.models import NeedsAssessment, Presentation, Recommendation, Visit
from tests.catalog.factories import MarkedPriceFactory, StockVehicleFactory, TrimFactory
from tests.clock import pinned_at, shanghai
from tests.customers.factories import CustomerFactory
from tests.showroom.conftest import client_for
from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


# ---------------------------------------------------------------- reception desk


def test_reception_logs_an_arrival_in_two_taps(shanghai_clock, store_a, receptionist, consultants):
    client = client_for(receptionist)
    desk = client.get(reverse("reception_desk"))
    assert desk.status_code == 200
    assert 'data-testid="log-arrival"' in desk.content.decode()
    # the defaults are set: tapping "return visit" and "log arrival" is enough
    response = client.post(reverse("visit_arrive"), {"kind": "return", "party_size": "1", "source": "walk_in"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.kind, visit.party_size, visit.store) == ("return", 1, store_a)


def test_the_desk_asks_for_the_groups_own_lead_sources(shanghai_clock, store_a, receptionist, make_staff):
    from dealerdesk.customers.lead_sources import lead_source_create

    # given the group's list, which its store admin extended with a channel of its own
    added = lead_source_create(
        actor=make_staff("store_admin", store_a), store=store_a, name="本地论坛", name_en="Forum"
    )
    client = client_for(receptionist)
    desk = client.get(reverse("reception_desk")).content.decode()
    # then the desk offers the seeded channels (抖音 …) and the added one, not only the built-in ones
    assert 'value="douyin"' in desk and f'value="{added.code}"' in desk
    # and an arrival through 抖音 is logged with it; an unknown channel is refused with nothing written
    logged = client.post(reverse("visit_arrive"), {"kind": "first", "party_size": "1", "source": "douyin"})
    assert logged.status_code == 302 and Visit.objects.get().source == "douyin"
    refused = client.post(reverse("visit_arrive"), {"kind": "first", "party_size": "1", "source": "fax"})
    assert refused.status_code == 400 and Visit.objects.count() == 1


def test_a_bad_arrival_re_renders_the_desk_with_the_error(store_a, receptionist):
    response = client_for(receptionist).post(reverse("visit_arrive"), {"kind": "first", "party_size": "0"})
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_the_desk_hands_the_next_visitor_to_the_next_consultant(shanghai_clock, store_a, receptionist, consultants):
    client = client_for(receptionist)
    visit = services.visit_arrive(actor=receptionist, store=store_a)
    live = client.get(reverse("reception_live"), **HTMX).content.decode()
    assert f"{consultants[0]}" in live and 'data-testid="assign-next"' in live
    client.post(reverse("visit_assign", args=[visit.pk]), {"next": "desk"})
    visit.refresh_from_db()
    assert visit.consultant == consultants[0]
    client.post(reverse("visit_leave", args=[visit.pk]), {"next": "desk"})
    visit.refresh_from_db()
    assert visit.status == "left"


def test_the_desk_marks_a_consultant_absent(shanghai_clock, store_a, receptionist, consultants):
    response = client_for(receptionist).post(
        reverse("presence_set"), {"consultant": consultants[0].pk, "absent": "1", "store": store_a.code}, **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="rotation-absent"' in response.content.decode()


def test_the_desk_shows_everyone_in_the_showroom_and_who_is_busy(shanghai_clock, store_a, receptionist, consultants):
    # given a visitor waiting for 15 minutes and one with the first consultant for 30 (at 00:05: since yesterday)
    first, second, _third = consultants
    waiting = VisitFactory(store=store_a, arrived_at=shanghai_clock.ago(minutes=15))
    served = VisitFactory(
        store=store_a,
        arrived_at=shanghai_clock.ago(minutes=30),
        status="with_consultant",
        consultant=first,
        assigned_at=shanghai_clock.ago(minutes=29),
    )
    client = client_for(receptionist)
    # when reception opens the desk, and when it refreshes
    for page in (client.get(reverse("reception_desk")), client.get(reverse("reception_live"), **HTMX)):
        body = page.content.decode()
        # then both are there, the first consultant is busy and the second is next up
        assert page.status_code == 200
        assert body.count('data-testid="waiting-visit"') == 1
        assert reverse("visit_detail", args=[waiting.pk]) in body
        assert reverse("visit_detail", args=[served.pk]) in body
        assert body.count('data-testid="rotation-busy"') == 1
        assert page.context["next_consultant"] == second


def test_a_consultant_has_no_reception_desk_but_sees_the_board(shanghai_clock, store_a, consultant):
    client = client_for(consultant)
    assert client.get(reverse("reception_desk")).status_code == 403
    assert client.get(reverse("traffic_board")).status_code == 200


# ---------------------------------------------------------------- board, visits, report


def test_board_page_and_its_live_refresh(
    shanghai_clock, store_a, receptionist, consultant, django_assert_max_num_queries
):
    # given 30 visitors waiting, one arriving every minute over the last 30 (at 00:05, 25 of them since yesterday)
    for i in range(30):
        VisitFactory(store=store_a, arrived_at=shanghai_clock.ago(minutes=i, seconds=30))
    client = client_for(receptionist)
    client.get(reverse("traffic_board"))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("traffic_board"))
    assert page.status_code == 200
    assert 'hx-trigger="every 10s"' in page.content.decode()
    with django_assert_max_num_queries(8):
        live = client.get(reverse("traffic_board"), **HTMX)
    assert "<html" not in live.content.decode()
    assert live.content.decode().count('data-testid="board-row"') == 30
    assert live.context["board"].day == shanghai_clock.today


@pinned_at(shanghai(2026, 3, 18, 0, 10))
def test_desk_and_board_after_midnight_keep_the_visitor_from_before(shanghai_clock, store_a, receptionist, consultants):
    # given at 00:10 a visitor with the first consultant since 23:50, and yesterday's visit that left at 23:55
    first, second, _third = consultants
    served = VisitFactory(
        store=store_a,
        arrived_at=shanghai(2026, 3, 17, 23, 50),
        status="with_consultant",
        consultant=first,
        assigned_at=shanghai(2026, 3, 17, 23, 52),
    )
    VisitFactory(
        store=store_a, arrived_at=shanghai(2026, 3, 17, 23, 30), status="left", left_at=shanghai(2026, 3, 17, 23, 55)
    )
    client = client_for(receptionist)
    # when reception looks at the board and the desk
    board = client.get(reverse("traffic_board"), **HTMX)
    desk = client.get(reverse("reception_live"), **HTMX)
    # then the visitor is in the showroom on both, the first consultant is busy, nobody arrived or left today yet
    assert [r.visit for r in board.context["board"].with_consultant] == [served]
    assert board.content.decode().count('data-testid="board-row"') == 1
    assert 'data-testid="board-left"' not in board.content.decode()
    assert board.context["board"].counts["visits"] == 0
    assert [r.visit for r in desk.context["board"].with_consultant] == [served]
    assert [e.state for e in desk.context["rotation"] if e.consultant == first] == ["busy"]
    assert desk.context["next_consultant"] == second


def test_visit_list_and_detail_are_scoped(
    store_a, store_b, receptionist, consultants, make_staff, django_assert_max_num_queries
):
    first, second, _third = consultants
    mine = VisitFactory(store=store_a, status="with_consultant", consultant=first, assigned_at=timezone.now())
    theirs = VisitFactory(store=store_a, status="with_consultant", consultant=second, assigned_at=timezone.now())
    for _ in range(20):
        VisitFactory(store=store_a, customer=CustomerFactory(store=store_a))
    client = client_for(receptionist)
    with django_assert_max_num_queries(8):
        listing = client.get(reverse("visit_list"))
    assert listing.status_code == 200
    with django_assert_max_num_queries(14):
        detail = client.get(reverse("visit_detail", args=[mine.pk]))
    assert detail.status_code == 200
    # a consultant opens their own visit, not a colleague's; another store's receptionist neither
    assert client_for(first).get(reverse("visit_detail", args=[mine.pk])).status_code == 200
    assert client_for(first).get(reverse("visit_detail", args=[theirs.pk])).status_code == 404
    outsider = client_for(make_staff("receptionist", store_b))
    assert outsider.get(reverse("visit_detail", args=[mine.pk])).status_code == 404
    assert outsider.post(reverse("visit_leave", args=[mine.pk])).status_code == 404


def test_find_and_link_the_visitor_by_mobile(store_a, receptionist, customer):
    visit = services.visit_arrive(actor=receptionist, store=store_a)
    client = client_for(receptionist)
    found = client.post(reverse("visit_customer_search", args=[visit.pk]), {"q": "1111"}, **HTMX)
    assert customer.name in found.content.decode()
    client.post(reverse("visit_link_customer", args=[visit.pk]), {"customer": customer.pk})
    visit.refresh_from_db()
    assert visit.customer == customer


def test_register_page_links_the_known_customer_instead_of_duplicating(store_a, receptionist, customer):
    visit = services.visit_arrive(actor=receptionist, store=store_a)
    response = client_for(receptionist).post(
        reverse("visit_register_customer", args=[visit.pk]), {"name": "陈先生", "mobile": "13900001111"}, follow=True
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.customer == customer


def test_register_with_bad_input_shows_field_errors(store_a, receptionist):
    visit = services.visit_arrive(actor=receptionist, store=store_a)
    response = client_for(receptionist).post(
        reverse("visit_register_customer", args=[visit.pk]), {"name": "", "mobile": "1"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-name"' in body and 'data-testid="error-mobile"' in body


def test_report_page_for_managers_only(
    shanghai_clock, store_a, manager, consultant, consultants, django_assert_max_num_queries
):
    # given visits at 00:01 today, 23:59 yesterday, on the first day of the default 30 days and the day before it
    clock = shanghai_clock
    VisitFactory(store=store_a, arrived_at=clock.at(0, 1))
    VisitFactory(store=store_a, arrived_at=clock.at(23, 59, days=-1))
    VisitFactory(store=store_a, arrived_at=clock.at(0, 0, days=-29))
    VisitFactory(store=store_a, arrived_at=clock.at(23, 59, days=-30))
    client = client_for(manager)
    client.get(reverse("traffic_report"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("traffic_report"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="showroom-chart-data"' in body and "<script>" not in body
    # then the default period is the store's last 30 local days, each visit on its local day
    report = page.context["report"]
    assert (report.date_from, report.date_to) == (clock.today - datetime.timedelta(days=29), clock.today)
    assert report.totals["visits"] == 3
    assert [row["visits"] for row in report.by_day[:1] + report.by_day[-2:]] == [1, 1, 1]
    assert client_for(consultant).get(reverse("traffic_report")).status_code == 403


# ---------------------------------------------------------------- needs analysis


@pytest.fixture
def seven_seater(store_a):
    trim = TrimFactory(name="七座插混版", seats=7, energy_type="phev", electric_range_km=150, msrp=Decimal("239800"))
    MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("229800"))
    StockVehicleFactory(store=store_a, trim=trim)
    return trim


def test_needs_form_error_keeps_the_input_and_writes_nothing(customer, consultant):
    url = reverse("needs_create") + f"?customer={customer.pk}"
    response = client_for(consultant).post(url, {"budget_min": "300000", "budget_max": "200000"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-budget_max"' in body
    assert 'value="300000"' in body
    assert not NeedsAssessment.objects.exists()


def test_needs_saved_then_recommendations_with_reasons(
    store_a, customer, consultant, seven_seater, django_assert_max_num_queries
):
    client = client_for(consultant)
    response = client.post(
        reverse("needs_create") + f"?customer={customer.pk}",
        {
            "seats": "7",
            "home_charging": "no",
            "energy_types": ["phev", "bev"],
            "timeframe": "week",
            "budget_max": "240000",
        },
    )
    assessment = NeedsAssessment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("needs_detail", args=[assessment.pk])
    client.get(response["Location"])
    with django_assert_max_num_queries(16):
        page = client.get(response["Location"])
    body = page.content.decode()
    assert "七座插混版" in body
    assert 'data-testid="reason-fit"' in body
    assert 'data-testid="proposed-grade">H<' in body
    # the consultant confirms the grade and records the advice
    client.post(reverse("needs_confirm_grade", args=[assessment.pk]), {"grade": "H"})
    customer.refresh_from_db()
    assert customer.intent_grade == "H"
    client.post(reverse("needs_record_advice", args=[assessment.pk]), {"trims": [seven_seater.pk], "notes": "推荐"})
    assert Recommendation.objects.get().notes == "推荐"


def test_needs_of_someone_elses_customer_are_not_found(store_a, consultants, make_staff, store_b):
    first, second, _third = consultants
    customer = CustomerFactory(store=store_a, owner=first)
    assessment = NeedsAssessmentFactory(customer=customer)
    assert client_for(second).get(reverse("needs_detail", args=[assessment.pk])).status_code == 404
    assert client_for(second).get(reverse("needs_create") + f"?customer={customer.pk}").status_code == 404
    assert (
        client_for(make_staff("sales_manager", store_b)).get(reverse("needs_detail", args=[assessment.pk])).status_code
        == 404
    )


def test_needs_list_is_keyset_paged_with_a_query_guard(store_a, consultant, django_assert_max_num_queries):
    for _ in range(60):
        NeedsAssessmentFactory(customer=CustomerFactory(store=store_a, owner=consultant))
    client = client_for(consultant)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("needs_list"))
    assert page.status_code == 200
    assert "after=" in page.content.decode()


def test_needs_page_without_a_customer_searches_by_post(store_a, consultant, customer):
    page = client_for(consultant).post(reverse("needs_create"), {"q": "陈小明"})
    assert page.status_code == 200
    assert f"?customer={customer.pk}" in page.content.decode()


# ---------------------------------------------------------------- walkaround


def test_walkaround_form_and_record(store_a, customer, consultant, seven_seater, django_assert_max_num_queries):
    client = client_for(consultant)
    url = reverse("presentation_create") + f"?customer={customer.pk}"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"trim": seven_seater.pk})
    assert bad.status_code == 400 and 'data-testid="error-points_covered"' in bad.content.decode()
    good = client.post(
        url,
        {
            "trim": seven_seater.pk,
            "points_covered": ["front", "interior"],
            "objections": "价格偏高",
            "materials": ["brochure"],
        },
    )
    presentation = Presentation.objects.get()
    assert good["Location"] == reverse("presentation_detail", args=[presentation.pk])
    with django_assert_max_num_queries(8):
        detail = client.get(good["Location"])
    assert "价格偏高" in detail.content.decode()
