"""The orders, contracts and payments API: names fixed by the issue, scoping, refused moves with their reason,
the stored PDF, query-count guards."""

import hashlib
import subprocess

import pytest

from dealerdesk.sales.models import Contract, Order, Payment
from tests.customers.factories import CustomerFactory
from tests.sales.helpers import PNG, accepted_offer, make_order, signed_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_order_contract_sign_pdf_and_payments_through_the_api(api, store_a, consultant, manager, clerk):
    import base64
    import datetime

    from django.utils import timezone

    setup = accepted_offer(store_a, consultant)
    # the consultant takes the order
    response = as_user(api, consultant).post(
        "/api/v1/orders/",
        {
            "offer": setup.offer.pk,
            "planned_delivery_on": (timezone.localdate() + datetime.timedelta(days=9)).isoformat(),
            "delivery_place": "交车区",
            "deposit_amount": "5000.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = response.json()
    assert (
        order["status"] == "draft"
        and order["vin"] == setup.vehicle.vin
        and order["total"] == str(setup.offer.current.total)
    )
    # prepares, fills and submits the contract
    contract = api.post("/api/v1/contracts/", {"order": order["id"]}, format="json").json()
    assert contract["status"] == "draft" and contract["number"].startswith("HT")
    url = f"/api/v1/contracts/{contract['id']}/"
    assert api.post(url + "fill/").json()["body"].count(setup.vehicle.vin) == 1
    assert api.post(url + "submit/").json()["status"] == "pending_signature"
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    r = api.post(url + "sign/", {"party": "customer", "typed_name": "陈小明", "signature_png": png}, format="json")
    assert r.status_code == 200, r.json()
    assert api.post(url + "sign/", {"party": "consultant"}, format="json").status_code == 200
    # a consultant cannot sign for the store
    refused = api.post(url + "sign/", {"party": "manager"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    signed = as_user(api, manager).post(url + "sign/", {"party": "manager"}, format="json").json()
    assert signed["status"] == "signed" and len(signed["sha256"]) == 64
    assert signed["pdf_url"] == f"/api/v1/contracts/{contract['id']}/contract.pdf"
    # the stored PDF, with its hash and the Chinese text
    pdf = api.get(signed["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == signed["sha256"]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert setup.vehicle.vin in text and "汽车买卖合同" in text
    # the cashier records the deposit; an overpayment is refused per field
    as_user(api, clerk)
    r = api.post(
        "/api/v1/payments/",
        {"order": order["id"], "kind": "deposit", "method": "wechat", "receipt_number": "WX-1", "amount": "5000.00"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = api.post(
        "/api/v1/payments/",
        {"order": order["id"], "kind": "balance", "method": "card", "receipt_number": "C-1", "amount": "9999999.00"},
        format="json",
    )
    assert r.status_code == 400 and "amount" in r.json()
    body = api.get(f"/api/v1/orders/{order['id']}/").json()
    assert body["status"] == "signed" and body["amount_paid"] == "5000.00" and body["delivery_blocker"]


def test_signed_contract_cannot_be_changed_through_the_api(api, store_a, consultant, manager):
    order = make_order(store_a, consultant)
    contract = signed_contract(order, consultant, manager)
    as_user(api, manager)
    url = f"/api/v1/contracts/{contract.pk}/"
    for step in ("fill/", "submit/", "reopen/", "discard/"):
        r = api.post(url + step)
        assert r.status_code == 409, step
        assert r.json()["code"] == "contract_signed"
    assert api.patch(url, {"body": "伪造"}, format="json").status_code == 405
    assert api.put(url, {"body": "伪造"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert Contract.objects.get(pk=contract.pk).body == contract.body
    # an amendment is the way
    r = api.post(url + "amend/", {"reason": "改交车地点", "delivery_place": "广州天河"}, format="json")
    assert r.status_code == 201 and r.json()["amends"] == contract.pk


def test_fill_blocked_answers_400_per_field(api, store_a, consultant):
    order = make_order(store_a, consultant)
    Order.objects.filter(pk=order.pk).update(total=order.total + 100)
    as_user(api, consultant)
    contract = api.post("/api/v1/contracts/", {"order": order.pk}, format="json").json()
    r = api.post(f"/api/v1/contracts/{contract['id']}/fill/")
    assert r.status_code == 400 and "total" in r.json()


def test_vehicle_taken_answers_409(api, store_a, consultant):
    first = accepted_offer(store_a, consultant)
    second = accepted_offer(
        store_a, consultant, CustomerFactory(store=store_a, owner=consultant, stage="prospect"), cat=first.cat
    )
    as_user(api, consultant)
    assert api.post("/api/v1/orders/", {"offer": first.offer.pk}, format="json").status_code == 201
    r = api.post("/api/v1/orders/", {"offer": second.offer.pk, "stock_vehicle": first.vehicle.pk}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "vehicle_taken" and first.vehicle.vin in r.json()["detail"]


def test_scoping_other_store_and_other_consultant_see_nothing(api, store_a, store_b, consultant, make_staff):
    order = make_order(store_a, consultant)
    for user in (make_staff("sales_manager", store_b), make_staff("consultant", store_a)):
        as_user(api, user)
        assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 404
        assert api.get("/api/v1/orders/").json()["results"] == []
        r = api.post(
            "/api/v1/payments/",
            {"order": order.pk, "kind": "deposit", "method": "cash", "receipt_number": "X", "amount": "1.00"},
            format="json",
        )
        assert r.status_code == 400 and "order" in r.json()
    assert not Payment.objects.exists()


def test_list_endpoints_run_a_fixed_number_of_queries(
    api, store_a, consultant, manager, clerk, django_assert_max_num_queries
):
    from dealerdesk.sales import services

    for _ in range(3):
        order = make_order(store_a, consultant, customer=CustomerFactory(store=store_a, owner=consultant))
        signed_contract(order, consultant, manager)
        services.payment_record(
            actor=clerk, order=order, kind="deposit", method="cash", receipt_number=f"R{order.pk}", amount="100"
        )
    as_user(api, manager)
    for path in ("/api/v1/orders/", "/api/v1/contracts/", "/api/v1/payments/"):
        with django_assert_max_num_queries(8):
            r = api.get(path)
        assert r.status_code == 200 and len(r.json()["results"]) == 3
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
