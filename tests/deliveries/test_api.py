"""The deliveries and gifts API: the issue's paths, scoping, refused moves with reasons, the confirmation PDF."""

import hashlib

import pytest

from dealerdesk.deliveries.choices import DocumentKind, ExplanationItem
from dealerdesk.deliveries.models import Delivery, DeliveryDocument, GiftItem, PdiCheck
from tests.deliveries.factories import (
    D,
    GiftItemFactory,
    booked,
    explained,
    ready_order,
    signature_png,
    slot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_schedule_through_the_api_and_unpaid_order_refused(api, store_a, consultant):
    order = ready_order(store_a, consultant)
    response = as_user(api, consultant).post(
        "/api/v1/deliveries/",
        {"order": order.pk, "scheduled_at": slot().isoformat(), "bay": "1号交车区"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "scheduled" and body["vin"] == order.stock_vehicle.vin
    assert len(body["pdi"]) == 6 and body["documents"][0]["kind"] == "certificate"
    assert body["missing"] and body["confirmation_pdf"] is None
    unpaid = ready_order(store_a, consultant, amount_paid=D("0.00"))
    response = api.post(
        "/api/v1/deliveries/",
        {"order": unpaid.pk, "scheduled_at": slot(hour=15).isoformat(), "bay": "1号交车区"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "order_not_ready" and "189,800.00" in response.json()["detail"]
    # the same bay at the same time is refused with the reason
    again = ready_order(store_a, consultant)
    response = api.post(
        "/api/v1/deliveries/",
        {"order": again.pk, "scheduled_at": slot().isoformat(), "bay": "1号交车区"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "bay_taken"


def test_another_stores_order_cannot_be_scheduled(api, store_a, store_b, consultant, make_staff):
    other = ready_order(store_b, make_staff("consultant", store_b))
    response = as_user(api, consultant).post(
        "/api/v1/deliveries/",
        {"order": other.pk, "scheduled_at": slot().isoformat(), "bay": "1号交车区"},
        format="json",
    )
    assert response.status_code == 400 and "order" in response.json()
    # nor a colleague's order of the same store
    colleagues = ready_order(store_a, make_staff("consultant", store_a))
    response = api.post(
        "/api/v1/deliveries/", {"order": colleagues.pk, "scheduled_at": slot().isoformat(), "bay": "1号交车区"}
    )
    assert response.status_code == 400 and "order" in response.json()


def test_full_flow_pdi_documents_prepare_handover_confirm_and_pdf(api, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    gift = GiftItemFactory(store=store_a, name="行车记录仪", stock=2)
    url = f"/api/v1/deliveries/{delivery.pk}"
    as_user(api, clerk)
    # prepare refused with the missing list
    response = api.post(f"{url}/prepare/")
    assert response.status_code == 409 and response.json()["code"] == "not_prepared"
    assert len(response.json()["missing"]) == 15
    # a failed PDI item without a note is a field error
    response = api.post(f"{url}/pdi/", {"item": "exterior", "passed": False}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True):
        assert api.post(f"{url}/pdi/", {"item": code, "passed": True}, format="json").status_code == 200
    for kind in DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True):
        payload = {"kind": kind, "invoice_date": "2026-01-05", "invoice_number": "44031234"}
        response = api.post(f"{url}/documents/", payload, format="json")
        assert response.status_code == 200, response.json()
    # a document received twice is refused
    response = api.post(f"{url}/documents/", {"kind": DocumentKind.COC}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "document_already_received"
    assert api.post(f"{url}/gifts/", {"gift": gift.pk, "quantity": 1}, format="json").status_code == 200
    response = api.post(f"{url}/prepare/")
    assert response.status_code == 200 and response.json()["status"] == "prepared"
    # the clerk cannot hand over; the consultant records the handover with a warning above 50 km
    assert api.post(f"{url}/handover/", {"explained": [], "odometer_km": 5}, format="json").status_code == 403
    as_user(api, consultant)
    response = api.post(
        f"{url}/handover/", {"explained": list(ExplanationItem.values), "odometer_km": 62}, format="json"
    )
    assert response.status_code == 200 and response.json()["odometer_warning"] and response.json()["warnings"]
    response = api.post(
        f"{url}/confirm/",
        {"customer_name": delivery.customer.name, "signature": signature_png()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "handed_over" and body["gifts"][0]["handed_over_at"]
    assert body["confirmation_pdf"] == f"/api/v1/deliveries/{delivery.pk}/confirmation.pdf"
    pdf = api.get(body["confirmation_pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == body["confirmation_sha256"]
    assert GiftItem.objects.get(pk=gift.pk).stock == 1
    # confirming again is refused
    response = api.post(f"{url}/confirm/", {"customer_name": delivery.customer.name}, format="json")
    assert response.status_code == 409


def test_pdf_before_signing_is_not_found_and_others_see_nothing(api, store_a, store_b, consultant, make_staff):
    delivery = booked(store_a, consultant)
    assert as_user(api, consultant).get(f"/api/v1/deliveries/{delivery.pk}/confirmation.pdf").status_code == 404
    outsider = make_staff("admin_clerk", store_b)
    assert as_user(api, outsider).get(f"/api/v1/deliveries/{delivery.pk}/").status_code == 404
    assert api.get("/api/v1/deliveries/").json()["results"] == []
    # another consultant of the same store does not see it either
    colleague = make_staff("consultant", store_a)
    assert as_user(api, colleague).get(f"/api/v1/deliveries/{delivery.pk}/").status_code == 404


def test_delivery_list_and_detail_query_counts_stay_fixed(
    api, store_a, consultant, clerk, django_assert_max_num_queries
):
    for hour in (9, 11, 13, 15):
        booked(store_a, consultant, when=slot(hour=hour))
    handed = explained(store_a, consultant, clerk, when=slot(3, 10))
    as_user(api, clerk)
    with django_assert_max_num_queries(14):
        response = api.get("/api/v1/deliveries/")
    assert response.status_code == 200 and len(response.json()["results"]) == 5
    with django_assert_max_num_queries(14):
        assert api.get(f"/api/v1/deliveries/{handed.pk}/").status_code == 200


def test_gifts_api_create_restock_rule_and_scoping(api, store_a, store_b, make_staff, django_assert_max_num_queries):
    admin = make_staff("store_admin", store_a)
    as_user(api, admin)
    response = api.post("/api/v1/gifts/", {"store": store_a.pk, "name": "车载香氛", "unit_value": "99.00", "stock": 3})
    assert response.status_code == 201, response.json()
    gift_id = response.json()["id"]
    response = api.post(f"/api/v1/gifts/{gift_id}/restock/", {"change": -5, "reason": "盘点"}, format="json")
    assert response.status_code == 409
    response = api.post(f"/api/v1/gifts/{gift_id}/restock/", {"change": 2}, format="json")
    assert response.json()["stock"] == 5
    response = api.post(f"/api/v1/gifts/{gift_id}/rules/", {"min_order_total": "200000.00"}, format="json")
    assert response.status_code == 201 and response.json()["min_order_total"] == "200000.00"
    response = api.post("/api/v1/gifts/", {"store": store_b.pk, "name": "别店礼品"})
    assert response.status_code == 400 and "store" in response.json()
    GiftItemFactory(store=store_b, name="B店礼品")
    with django_assert_max_num_queries(8):
        names = [g["name"] for g in api.get("/api/v1/gifts/").json()["results"]]
    assert names == ["车载香氛"]
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/gifts/{gift_id}/").status_code == 200


def test_origin_override_and_reschedule_through_the_api(api, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    as_user(api, clerk)
    response = api.post(
        f"/api/v1/deliveries/{delivery.pk}/origin/", {"origin": "imported", "note": "平行进口车"}, format="json"
    )
    assert response.status_code == 200 and response.json()["origin_source"] == "override"
    kinds = [d["kind"] for d in response.json()["documents"]]
    assert "import_certificate" in kinds and "certificate" not in kinds
    response = api.post(
        f"/api/v1/deliveries/{delivery.pk}/schedule/",
        {"scheduled_at": slot(4, 14).isoformat(), "bay": "2号交车区"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["bay"] == "2号交车区"
    assert Delivery.objects.get(pk=delivery.pk).scheduled_at == slot(4, 14)


def test_a_group_admin_adds_a_gift_to_any_of_their_stores(api, store_a, store_b, make_staff):
    # a person with several gift stores: the store is looked up among them all (it once answered 500 past the first)
    admin = make_staff("group_admin", store_a)
    api.force_authenticate(admin)
    for store in (store_a, store_b):
        response = api.post("/api/v1/gifts/", {"store": store.pk, "name": f"脚垫{store.pk}"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["store"] == store.pk
