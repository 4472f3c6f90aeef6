"""The registrations API: names fixed by the issue, each step as an action, refused moves with reasons, scoping."""

import datetime
import subprocess

import pytest
from django.utils import timezone

from dealerdesk.catalog.models import StockVehicle
from dealerdesk.registrations.choices import DocumentKind, RegistrationStatus
from dealerdesk.registrations.models import Registration
from tests.catalog.factories import StockVehicleFactory
from tests.registrations.helpers import registration_at
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def yesterday() -> str:
    """The store-local day before the test's today, worked out when the test runs (never at import)."""
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_the_clerk_takes_a_registration_from_documents_to_plates_in_hand(api, clerk, order):
    client = as_user(api, clerk)
    # open
    response = client.post("/api/v1/registrations/", {"order": order.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    pk = body["id"]
    assert body["status"] == "collecting_documents" and body["plate"] == "" and body["clerk"] == clerk.pk
    assert body["missing_documents"][0] == "owner_id" and body["documents"][0]["label"]
    # documents, one by one; a second time is refused
    for kind in body["missing_documents"]:
        response = client.post(
            f"/api/v1/registrations/{pk}/documents/", {"kind": kind, "holder": "customer"}, format="json"
        )
        assert response.status_code == 200, response.json()
    again = client.post(
        f"/api/v1/registrations/{pk}/documents/", {"kind": "owner_id", "holder": "store"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "document_already_received"
    assert "already marked received" in again.json()["detail"]
    # submit, plate, complete
    response = client.post(f"/api/v1/registrations/{pk}/submit/", {"office": "深圳市车管所"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = client.post(
        f"/api/v1/registrations/{pk}/plate/", {"plate": "粤BD12345", "licence_issued_on": yesterday()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "plate_issued" and response.json()["plate"] == "粤BD12345"
    response = client.post(f"/api/v1/registrations/{pk}/complete/")
    assert response.status_code == 200 and response.json()["status"] == "completed"


def test_refused_moves_and_bad_input_come_back_with_reasons(api, store_a, clerk, order):
    client = as_user(api, clerk)
    pk = client.post("/api/v1/registrations/", {"order": order.pk}, format="json").json()["id"]
    # submitting with documents missing
    response = client.post(f"/api/v1/registrations/{pk}/submit/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "documents_missing" and "owner_id" in response.json()["missing"]
    # completing from collecting
    response = client.post(f"/api/v1/registrations/{pk}/complete/")
    assert response.status_code == 409 and response.json()["code"] == "registration_transition_refused"
    # a second registration of the same order
    response = client.post("/api/v1/registrations/", {"order": order.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "registration_exists"
    # a document not on the checklist, a bad holder
    response = client.post(
        f"/api/v1/registrations/{pk}/documents/", {"kind": "mortgage_documents", "holder": "lender"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()
    response = client.post(f"/api/v1/registrations/{pk}/documents/", {"kind": "owner_id", "holder": "x"}, format="json")
    assert response.status_code == 400 and "holder" in response.json()


def test_a_bad_plate_is_400_and_a_used_plate_409(api, store_a, clerk, order):
    registration = registration_at(clerk, order, S.SUBMITTED)
    StockVehicleFactory(store=store_a, is_demo=True, plate="粤B66666")
    client = as_user(api, clerk)
    url = f"/api/v1/registrations/{registration.pk}/plate/"
    response = client.post(url, {"plate": "粤B1234", "licence_issued_on": yesterday()}, format="json")
    assert response.status_code == 400 and "粤BD12345" in response.json()["plate"][0]
    response = client.post(url, {"plate": "粤B66666", "licence_issued_on": yesterday()}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "plate_in_use"
    assert StockVehicle.objects.get(pk=order.stock_vehicle_id).plate == ""


def test_the_consultant_records_a_registration_by_the_customer(api, consultant, order):
    client = as_user(api, consultant)
    response = client.post("/api/v1/registrations/", {"order": order.pk, "by_customer": True}, format="json")
    assert response.status_code == 201 and response.json()["by_customer"] is True
    assert response.json()["documents"] == []
    pk = response.json()["id"]
    response = client.post(f"/api/v1/registrations/{pk}/submit/", {}, format="json")
    assert response.status_code == 403  # consultants do not submit
    response = client.post(
        f"/api/v1/registrations/{pk}/plate/", {"plate": "粤B A1234", "licence_issued_on": yesterday()}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert response.json()["plate"] == "粤BA1234"


def test_the_list_is_scoped_filtered_and_its_queries_bounded(
    api, store_a, store_b, make_staff, clerk, consultant, django_assert_max_num_queries
):
    for status in (S.COLLECTING_DOCUMENTS, S.SUBMITTED, S.PLATE_ISSUED, S.COMPLETED):
        registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), status)
    clerk_b = make_staff("admin_clerk", store_b)
    registration_at(clerk_b, OrderFactory(store=store_b), S.COLLECTING_DOCUMENTS)
    client = as_user(api, clerk)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/registrations/")
    assert response.status_code == 200
    statuses = sorted(r["status"] for r in response.json()["results"])
    assert statuses == ["collecting_documents", "plate_issued", "submitted"]  # open cases of store A only
    assert len(client.get("/api/v1/registrations/?open=false").json()["results"]) == 4
    assert [r["status"] for r in client.get("/api/v1/registrations/?status=completed").json()["results"]] == [
        "completed"
    ]
    Registration.objects.filter(store=store_a, status=S.SUBMITTED).update(target_on=datetime.date(2026, 1, 5))
    overdue = client.get("/api/v1/registrations/?overdue=true").json()["results"]
    assert [r["status"] for r in overdue] == ["submitted"] and overdue[0]["overdue"] is True
    # another store's case is not found; the receptionist sees nothing
    other = Registration.objects.get(store=store_b)
    assert client.get(f"/api/v1/registrations/{other.pk}/").status_code == 404
    receptionist = make_staff("receptionist", store_a)
    assert as_user(api, receptionist).get("/api/v1/registrations/").json()["results"] == []


def test_the_detail_has_a_fixed_number_of_queries(api, clerk, order, django_assert_max_num_queries):
    registration = registration_at(clerk, order, S.SUBMITTED)
    client = as_user(api, clerk)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/registrations/{registration.pk}/")
    assert response.status_code == 200
    assert len(response.json()["documents"]) == 6 and response.json()["missing_documents"] == []


def test_an_order_of_another_store_cannot_be_opened(api, store_b, clerk):
    response = as_user(api, clerk).post("/api/v1/registrations/", {"order": OrderFactory(store=store_b).pk})
    assert response.status_code == 400 and "order" in response.json()


def test_the_checklist_pdf_has_the_documents_in_chinese(api, clerk, order, tmp_path):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    response = as_user(api, clerk).get(f"/api/v1/registrations/{registration.pk}/checklist.pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "c.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert order.number in text and order.stock_vehicle.vin in text
    assert "合格证" in text and "交强险" in text and DocumentKind.PURCHASE_TAX_EXEMPT.label.split("(")[0].strip()


def test_an_idempotency_key_repeats_the_first_answer(api, clerk, order):
    client = as_user(api, clerk)
    first = client.post("/api/v1/registrations/", {"order": order.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/registrations/", {"order": order.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = client.post(
        "/api/v1/registrations/", {"order": order.pk, "by_customer": True}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Registration.objects.count() == 1
