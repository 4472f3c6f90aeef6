"""The showroom API: visits (arrive, assign, leave, link a customer, today's board), needs assessments and
recommendations — scoped to the caller's stores, with field-level errors."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from dealerdesk.showroom.models import NeedsAssessment, Visit
from tests.catalog.factories import MarkedPriceFactory, StockVehicleFactory, TrimFactory
from tests.clock import pinned_at, shanghai
from tests.customers.factories import CustomerFactory
from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


def test_reception_logs_an_arrival_and_a_repeat_with_the_same_key_is_one_visit(store_a, receptionist, as_user):
    client = as_user(receptionist)
    body = {"party_size": 2, "kind": "appointment", "source": "wechat"}
    first = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "arrived" and first.json()["store"] == store_a.pk
    assert Visit.objects.count() == 1


def test_a_consultant_cannot_log_arrivals(store_a, consultant, as_user):
    response = as_user(consultant).post("/api/v1/visits/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


def test_bad_arrival_is_a_field_error(store_a, receptionist, as_user):
    response = as_user(receptionist).post("/api/v1/visits/", {"party_size": 0}, format="json")
    assert response.status_code == 400
    assert "party_size" in response.json()


def test_list_is_today_by_default_and_scoped(
    shanghai_clock, store_a, store_b, receptionist, consultants, make_staff, as_user, django_assert_max_num_queries
):
    first, second, _third = consultants
    today = VisitFactory(store=store_a, status="with_consultant", consultant=first, assigned_at=timezone.now())
    VisitFactory(store=store_a, status="with_consultant", consultant=second, assigned_at=timezone.now())
    yesterday = VisitFactory(store=store_a, arrived_at=timezone.now() - datetime.timedelta(days=1))
    VisitFactory(store=store_b)
    for _ in range(10):
        VisitFactory(store=store_a, customer=CustomerFactory(store=store_a))
    client = as_user(receptionist)
    with django_assert_max_num_queries(6):
        listing = client.get("/api/v1/visits/")
    ids = [row["id"] for row in listing.json()["results"]]
    assert today.pk in ids and yesterday.pk not in ids and len(ids) == 12
    day = timezone.localdate(yesterday.arrived_at).isoformat()
    assert [r["id"] for r in client.get(f"/api/v1/visits/?date={day}").json()["results"]] == [yesterday.pk]
    mine = as_user(first).get("/api/v1/visits/").json()["results"]
    assert [r["id"] for r in mine] == [today.pk]
    assert as_user(make_staff("receptionist", store_b)).get(f"/api/v1/visits/{today.pk}/").status_code == 404


def test_assign_next_up_then_explicit_then_busy(shanghai_clock, store_a, receptionist, consultants, as_user):
    client = as_user(receptionist)
    one = client.post("/api/v1/visits/", {}, format="json").json()["id"]
    two = client.post("/api/v1/visits/", {}, format="json").json()["id"]
    served = client.post(f"/api/v1/visits/{one}/assign/", {}, format="json")
    assert served.status_code == 200 and served.json()["consultant"] == consultants[0].pk
    busy = client.post(f"/api/v1/visits/{two}/assign/", {"consultant": consultants[0].pk}, format="json")
    assert busy.status_code == 409 and busy.json()["code"] == "consultant_busy"
    picked = client.post(f"/api/v1/visits/{two}/assign/", {"consultant": consultants[2].pk}, format="json")
    assert picked.json()["consultant"] == consultants[2].pk
    twice = client.post(f"/api/v1/visits/{two}/assign/", {}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "visit_transition_refused"


def test_assigning_someone_outside_the_store_is_a_field_error(store_a, store_b, receptionist, make_staff, as_user):
    visit = VisitFactory(store=store_a)
    outsider = make_staff("consultant", store_b)
    response = as_user(receptionist).post(
        f"/api/v1/visits/{visit.pk}/assign/", {"consultant": outsider.pk}, format="json"
    )
    assert response.status_code == 400 and "consultant" in response.json()


def test_leave_once(store_a, receptionist, as_user):
    visit = VisitFactory(store=store_a)
    client = as_user(receptionist)
    left = client.post(f"/api/v1/visits/{visit.pk}/leave/")
    assert left.status_code == 200 and left.json()["status"] == "left"
    assert left.json()["duration_minutes"] is not None
    assert client.post(f"/api/v1/visits/{visit.pk}/leave/").status_code == 409


def test_link_customer_by_id_or_by_quick_register_with_dedup(store_a, receptionist, customer, as_user):
    client = as_user(receptionist)
    visit = VisitFactory(store=store_a)
    linked = client.post(f"/api/v1/visits/{visit.pk}/link-customer/", {"customer": customer.pk}, format="json")
    assert linked.status_code == 200 and linked.json()["customer"] == customer.pk
    other = VisitFactory(store=store_a)
    known = client.post(
        f"/api/v1/visits/{other.pk}/link-customer/", {"name": "陈", "mobile": "139 0000 1111"}, format="json"
    )
    assert known.json() | {"visit": None} == {"visit": None, "customer": customer.pk, "created": False}
    new = client.post(
        f"/api/v1/visits/{VisitFactory(store=store_a).pk}/link-customer/",
        {"name": "周杰", "mobile": "13900005555", "consents": ["marketing_sms"]},
        format="json",
    )
    assert new.json()["created"] is True
    bad = client.post(
        f"/api/v1/visits/{VisitFactory(store=store_a).pk}/link-customer/", {"name": "", "mobile": ""}, format="json"
    )
    assert bad.status_code == 400 and {"name", "mobile"} <= set(bad.json())


def test_board_endpoint(shanghai_clock, store_a, receptionist, consultant, as_user, django_assert_max_num_queries):
    # given 40 visitors waiting, one arriving every minute over the last 40 (at 00:05, 35 of them since yesterday)
    for i in range(40):
        VisitFactory(store=store_a, arrived_at=shanghai_clock.ago(minutes=i, seconds=30))
    client = as_user(receptionist)
    client.get("/api/v1/visits/board/")
    with django_assert_max_num_queries(5):
        board = client.get("/api/v1/visits/board/")
    assert board.status_code == 200
    data = board.json()
    assert len(data["waiting"]) == 40 and data["counts"]["waiting"] == 40
    assert data["counts"]["visits"] == (5 if shanghai_clock.start.hour == 0 else 40)


@pinned_at(shanghai(2026, 3, 18, 0, 10))
def test_board_endpoint_after_midnight_keeps_the_visitor_from_before(
    shanghai_clock, store_a, receptionist, consultant, as_user
):
    # given at 00:10 a visitor with a consultant since 23:50 and one waiting since 00:05
    served = VisitFactory(
        store=store_a,
        arrived_at=shanghai(2026, 3, 17, 23, 50),
        status="with_consultant",
        consultant=consultant,
        assigned_at=shanghai(2026, 3, 17, 23, 51),
    )
    waiting = VisitFactory(store=store_a, arrived_at=shanghai(2026, 3, 18, 0, 5))
    # when the board is read through the API
    data = as_user(receptionist).get("/api/v1/visits/board/").json()
    # then both are in the showroom; only the one since 00:05 is among today's visits
    assert data["day"] == "2026-03-18"
    assert [r["visit"]["id"] for r in data["with_consultant"]] == [served.pk]
    assert data["with_consultant"][0]["minutes_in_showroom"] == 20
    assert [r["visit"]["id"] for r in data["waiting"]] == [waiting.pk]
    assert data["counts"]["visits"] == 1


# ---------------------------------------------------------------- needs assessments


def test_needs_assessment_create_list_retrieve(store_a, consultant, customer, consultants, as_user):
    client = as_user(consultant)
    body = {
        "customer": customer.pk,
        "budget_min": "150000",
        "budget_max": "220000",
        "seats": 7,
        "energy_types": ["phev"],
        "home_charging": False,
        "timeframe": "quarter",
        "payment_method": "loan",
        "must_have": ["HUD"],
    }
    created = client.post("/api/v1/needs-assessments/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["proposed_grade"] == "B"
    pk = created.json()["id"]
    assert [r["id"] for r in client.get("/api/v1/needs-assessments/").json()["results"]] == [pk]
    assert client.get(f"/api/v1/needs-assessments/{pk}/").json()["seats"] == 7
    assert as_user(consultants[1]).get(f"/api/v1/needs-assessments/{pk}/").status_code == 404


def test_needs_assessment_budget_min_above_max(store_a, consultant, customer, as_user):
    response = as_user(consultant).post(
        "/api/v1/needs-assessments/",
        {"customer": customer.pk, "budget_min": "300000", "budget_max": "200000"},
        format="json",
    )
    assert response.status_code == 400
    assert "budget_max" in response.json()
    assert not NeedsAssessment.objects.exists()


def test_needs_assessment_list_query_guard(store_a, manager, consultant, as_user, django_assert_max_num_queries):
    for _ in range(30):
        NeedsAssessmentFactory(customer=CustomerFactory(store=store_a, owner=consultant))
    with django_assert_max_num_queries(5):
        response = as_user(manager).get("/api/v1/needs-assessments/")
    assert len(response.json()["results"]) == 30


# ---------------------------------------------------------------- recommendations


def test_recommendations_take_the_needs_names_and_explain_each_result(store_a, consultant, as_user):
    phev = TrimFactory(name="七座插混版", seats=7, energy_type="phev", electric_range_km=150, msrp=Decimal("239800"))
    bev = TrimFactory(name="五座纯电版", seats=5, msrp=Decimal("199800"))
    MarkedPriceFactory(store=store_a, trim=phev, price=Decimal("232000"))
    MarkedPriceFactory(store=store_a, trim=bev, price=Decimal("189800"))
    StockVehicleFactory(store=store_a, trim=phev)
    body = {
        "budget_min": "150000",
        "budget_max": "220000",
        "body_type": "suv",
        "seats": 7,
        "energy_types": ["phev", "bev"],
        "usage": "family",
        "annual_km": 15000,
        "home_charging": False,
        "timeframe": "month",
        "payment_method": "loan",
        "trade_in": True,
    }
    response = as_user(consultant).post("/api/v1/recommendations/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["store"] == store_a.pk and data["considered"] == 2
    top = data["results"][0]
    assert top["trim"] == phev.pk
    assert isinstance(top["score"], int)
    codes = {r["code"] for r in top["reasons"]}
    assert {"seats_match", "no_charger_plug_in", "in_stock"} <= codes
    assert all({"kind", "code", "text"} <= set(r) for r in top["reasons"])


def test_recommendations_refuse_bad_needs_and_ambiguous_stores(store_a, store_b, consultant, make_staff, as_user):
    bad = as_user(consultant).post("/api/v1/recommendations/", {"budget_min": 3, "budget_max": 2}, format="json")
    assert bad.status_code == 400 and "budget_max" in bad.json()
    roaming = make_staff("consultant", store_a)
    from tests.factories import MembershipFactory

    MembershipFactory(user=roaming, store=store_b, role="consultant")
    from dealerdesk.accounts.models import User

    roaming = User.objects.get(pk=roaming.pk)
    assert as_user(roaming).post("/api/v1/recommendations/", {}, format="json").status_code == 400
    chosen = as_user(roaming).post("/api/v1/recommendations/", {"store": store_b.pk}, format="json")
    assert chosen.status_code == 200
    outsider = as_user(consultant).post("/api/v1/recommendations/", {"store": store_b.pk}, format="json")
    assert outsider.status_code == 400 and "store" in outsider.json()


def test_schema_lists_the_showroom_endpoints(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/visits/",
        "/api/v1/visits/{id}/assign/",
        "/api/v1/visits/{id}/leave/",
        "/api/v1/visits/{id}/link-customer/",
        "/api/v1/visits/board/",
        "/api/v1/needs-assessments/",
        "/api/v1/recommendations/",
    ):
        assert path in text
