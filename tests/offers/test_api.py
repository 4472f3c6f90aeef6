"""The promotions and offers API: names fixed by the issue, decimal strings, scoping, approval, PDF, bad input."""

import datetime
import subprocess

import pytest
from django.utils import timezone

from dealerdesk.core.models import Notification
from dealerdesk.offers.models import Offer, OfferLine, OfferVersion, Promotion
from tests.catalog.factories import BrandFactory, MarkedPriceFactory, TrimFactory
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import D, catalogue, promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def cat(store_a):
    return catalogue(store_a)


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈小明", city="深圳")


def as_user(api, user):
    api.force_authenticate(user)
    return api


def nothing_written() -> bool:
    return not (Offer.objects.exists() or OfferVersion.objects.exists() or OfferLine.objects.exists())


# ---------------------------------------------------------------- offers


def test_post_offer_returns_lines_total_eligible_promotions_and_status(api, store_a, consultant, customer, cat):
    # given two combinable promotions and one the customer does not qualify for
    cash = promotion(store_a, name="现金优惠", amount=D("5000.00"), stacking_group="cash")
    gift = promotion(
        store_a, name="精品礼包", kind="gift", amount=D("1200.00"), gift_description="脚垫+贴膜", stacking_group="gift"
    )
    loan_only = promotion(store_a, name="金融贴息", kind="finance_subsidy", requires_loan=True, stacking_group="fin")
    # when the consultant posts an offer with the names
    response = as_user(api, consultant).post(
        "/api/v1/offers/",
        {
            "customer": customer.pk,
            "trim": cat.trim.pk,
            "colour": cat.colour.pk,
            "options": [cat.option.pk],
            "services": [{"kind": "registration", "amount": "500.00"}],
            "extra_discount": "800.00",
            "loan": False,
        },
        format="json",
    )
    # then the breakdown comes back with decimal strings
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert [line["kind"] for line in body["lines"]] == [
        "marked_price",
        "colour",
        "option",
        "discount",
        "gift",
        "extra_discount",
        "service",
        "total",
    ]
    assert body["lines"][0]["amount"] == "200000.00" and isinstance(body["lines"][0]["amount"], str)
    assert body["total"] == "205700.00"  # 211,000 − 5,000 − 800 + 500
    assert all(set(line) >= {"kind", "label", "amount"} for line in body["lines"])
    assert next(line for line in body["lines"] if line["kind"] == "service")["optional"] is True
    rows = {p["id"]: p for p in body["eligible_promotions"]}
    assert rows[cash.pk]["eligible"] and rows[cash.pk]["chosen"]
    assert rows[gift.pk]["chosen"] and rows[gift.pk]["benefit"] == "1200.00"
    assert not rows[loan_only.pk]["eligible"]
    assert rows[loan_only.pk]["reasons"][0]["code"] == "needs_loan"
    assert rows[loan_only.pk]["reasons"][0]["message"]


def test_forced_promotions_default_best_and_empty_list_means_none(api, store_a, consultant, customer, cat):
    a = promotion(store_a, name="A", amount=D("3000.00"), stacking_group="a")
    promotion(store_a, name="B", amount=D("2000.00"), stacking_group="b")
    client = as_user(api, consultant)
    best = client.post("/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk}, format="json").json()
    assert best["total"] == "195000.00"
    forced = client.post(
        "/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk, "promotions": [a.pk]}, format="json"
    ).json()
    assert forced["total"] == "197000.00"
    none = client.post(
        "/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk, "promotions": []}, format="json"
    ).json()
    assert none["total"] == "200000.00"


def test_preview_prices_without_saving(api, store_a, consultant, customer, cat):
    response = as_user(api, consultant).post(
        "/api/v1/offers/preview/",
        {"customer": customer.pk, "trim": cat.trim.pk, "extra_discount": "5000"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "pending_approval"
    assert response.json()["total"] == "195000.00"
    assert nothing_written()


def test_approval_flow_over_the_api_with_notifications_both_ways(api, store_a, consultant, manager, customer, cat):
    client = as_user(api, consultant)
    offer = client.post(
        "/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk, "extra_discount": "3500"}, format="json"
    ).json()
    assert offer["status"] == "pending_approval" and offer["approval_reasons"]
    assert Notification.objects.filter(recipient_user=manager, kind="offer.approval_requested").count() == 1
    # the consultant may not approve
    denied = client.post(f"/api/v1/offers/{offer['id']}/approve/", {}, format="json")
    assert denied.status_code == 403 and denied.json()["code"] == "not_permitted"
    # the manager refuses without a reason → 400, with one → refused
    mgr = as_user(api, manager)
    assert mgr.post(f"/api/v1/offers/{offer['id']}/refuse/", {}, format="json").status_code == 400
    refused = mgr.post(f"/api/v1/offers/{offer['id']}/refuse/", {"note": "幅度太大"}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert Notification.objects.filter(recipient_user=consultant, kind="offer.refused").exists()
    # approving a refused offer is a refused move (409)
    again = mgr.post(f"/api/v1/offers/{offer['id']}/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "offer_transition_refused"
    # the consultant revises, the manager approves, the consultant is told
    revised = as_user(api, consultant).post(
        f"/api/v1/offers/{offer['id']}/revise/", {"trim": cat.trim.pk, "extra_discount": "3200"}, format="json"
    )
    assert revised.json()["version"] == 2 and revised.json()["status"] == "pending_approval"
    approved = as_user(api, manager).post(f"/api/v1/offers/{offer['id']}/approve/", {"note": "可以"}, format="json")
    assert approved.json()["status"] == "approved"
    assert Notification.objects.filter(recipient_user=consultant, kind="offer.approved").exists()
    accepted = as_user(api, consultant).post(f"/api/v1/offers/{offer['id']}/accept/")
    assert accepted.json()["status"] == "accepted"


def test_list_and_retrieve_are_scoped(api, store_a, store_b, consultant, manager, customer, cat, make_staff):
    client = as_user(api, consultant)
    created = client.post("/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk}, format="json").json()
    listed = client.get("/api/v1/offers/").json()
    assert [o["id"] for o in listed["results"]] == [created["id"]]
    assert listed["results"][0]["lines"][-1]["kind"] == "total"
    other = make_staff("consultant", store_a)
    assert as_user(api, other).get("/api/v1/offers/").json()["results"] == []
    assert as_user(api, other).get(f"/api/v1/offers/{created['id']}/").status_code == 404
    assert as_user(api, make_staff("sales_manager", store_b)).get(f"/api/v1/offers/{created['id']}/").status_code == 404
    assert as_user(api, manager).get(f"/api/v1/offers/{created['id']}/").json()["total"] == "200000.00"


def test_the_pdf_endpoint(api, store_a, consultant, customer, cat, tmp_path):
    client = as_user(api, consultant)
    created = client.post("/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk}, format="json").json()
    response = client.get(f"/api/v1/offers/{created['id']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "offer.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "陈小明" in text and "¥200,000.00" in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"extra_discount": "-1.00"}, "extra_discount"),
        ({"services": [{"kind": "insurance", "amount": "-100.00"}]}, "services"),
        ({"colour": 999999}, "colour"),
        ({"options": [999999]}, "options"),
        ({"promotions": [999999]}, "promotions"),
        ({"trim": 999999}, "trim"),
    ],
)
def test_bad_offer_input_is_a_400_keyed_by_field_and_writes_nothing(
    api, store_a, consultant, customer, cat, body, field
):
    data = {"customer": customer.pk, "trim": cat.trim.pk, **body}
    response = as_user(api, consultant).post("/api/v1/offers/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert nothing_written()


def test_an_expired_promotion_and_an_unsold_trim_are_refused_over_the_api(api, store_a, consultant, customer, cat):
    old = promotion(
        store_a,
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    client = as_user(api, consultant)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk, "promotions": [old.pk]}, format="json"
    )
    assert response.status_code == 400 and old.ends_on.isoformat() in response.json()["promotions"][0]
    foreign = TrimFactory(series__brand=BrandFactory(code="yuanhang", name="远航"))
    MarkedPriceFactory(store=store_a, trim=foreign)
    response = client.post("/api/v1/offers/", {"customer": customer.pk, "trim": foreign.pk}, format="json")
    assert response.status_code == 400 and "trim" in response.json()
    assert nothing_written()


def test_a_customer_the_caller_cannot_see_is_a_field_error(api, store_a, make_staff, customer, cat):
    other = make_staff("consultant", store_a)
    response = as_user(api, other).post(
        "/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()


def test_idempotency_key_answers_a_repeat_with_the_first_offer(api, store_a, consultant, customer, cat):
    client = as_user(api, consultant)
    data = {"customer": customer.pk, "trim": cat.trim.pk}
    first = client.post("/api/v1/offers/", data, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()
    second = client.post("/api/v1/offers/", data, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()
    assert first["id"] == second["id"] and Offer.objects.count() == 1
    clash = client.post("/api/v1/offers/", {**data, "extra_discount": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert clash.status_code == 422 and clash.json()["code"] == "idempotency_key_reused"  # same key, other body


# ---------------------------------------------------------------- promotions


def promotion_body(store, **fields) -> dict:
    today = timezone.localdate()
    body = {
        "store": store.pk,
        "name": "双十一",
        "kind": "percentage_discount",
        "percentage": "3.50",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=10)).isoformat(),
        "stacking_group": "pct",
        "cities": ["深圳"],
    }
    body.update(fields)
    return body


def test_store_admins_create_list_retrieve_and_update_promotions(api, store_a, make_staff, consultant):
    admin = as_user(api, make_staff("store_admin", store_a))
    created = admin.post("/api/v1/promotions/", promotion_body(store_a), format="json")
    assert created.status_code == 201, created.json()
    pid = created.json()["id"]
    assert created.json()["percentage"] == "3.50"
    changed = admin.patch(f"/api/v1/promotions/{pid}/", {"budget_remaining": "50000.00"}, format="json")
    assert changed.status_code == 200 and changed.json()["budget_remaining"] == "50000.00"
    assert admin.get(f"/api/v1/promotions/{pid}/").json()["name"] == "双十一"
    seller = as_user(api, consultant)
    assert [p["id"] for p in seller.get("/api/v1/promotions/").json()["results"]] == [pid]
    assert seller.post("/api/v1/promotions/", promotion_body(store_a), format="json").status_code == 403
    assert seller.patch(f"/api/v1/promotions/{pid}/", {"name": "x"}, format="json").status_code == 403


def test_promotions_of_other_stores_are_not_visible(api, store_a, store_b, make_staff):
    p = promotion(store_b, name="外店")
    client = as_user(api, make_staff("consultant", store_a))
    assert client.get("/api/v1/promotions/").json()["results"] == []
    assert client.get(f"/api/v1/promotions/{p.pk}/").status_code == 404


def test_a_promotion_ending_before_it_starts_is_a_400(api, store_a, make_staff):
    admin = as_user(api, make_staff("store_admin", store_a))
    today = timezone.localdate()
    response = admin.post(
        "/api/v1/promotions/",
        promotion_body(store_a, ends_on=(today - datetime.timedelta(days=1)).isoformat()),
        format="json",
    )
    assert response.status_code == 400 and "ends_on" in response.json()
    response = admin.post(
        "/api/v1/promotions/", promotion_body(store_a, kind="cash_discount", amount="-10"), format="json"
    )
    assert response.status_code == 400 and "amount" in response.json()
    assert not Promotion.objects.exists()


def test_api_list_and_detail_run_a_fixed_number_of_queries(
    api, store_a, consultant, customer, cat, django_assert_max_num_queries
):
    client = as_user(api, consultant)
    for _ in range(10):
        client.post("/api/v1/offers/", {"customer": customer.pk, "trim": cat.trim.pk}, format="json")
    offer_id = Offer.objects.order_by("id").first().pk
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/offers/")
    assert len(listed.json()["results"]) == 10
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/offers/{offer_id}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/promotions/").status_code == 200
