"""Security review fixes in sales: the contract text on screen and in the API shows the customer's mobile (and any
resident ID number) masked; the list leaves the text out; the stored text and the signed PDF keep them in full."""

import hashlib
import subprocess

import pytest
from django.urls import reverse

from dealerdesk.sales import contract_text, services
from dealerdesk.sales.models import Contract
from tests.customers.factories import CustomerFactory
from tests.sales.helpers import make_order, signed_contract, submitted_contract

pytestmark = pytest.mark.django_db

MOBILE = "+8613912345678"
LOCAL = "13912345678"
MASKED = "139****5678"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def order(store_a, consultant):
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈小明", stage="prospect", mobile=MOBILE)
    return make_order(store_a, consultant, customer=customer)


# ---------------------------------------------------------------- the masking itself


def test_mask_personal_numbers_masks_mobiles_and_resident_ids_but_not_other_numbers(store_a):
    store_a.phone = "0755-88886666"
    text = (
        "合同编号：HT20261127000123　订单编号：DD2026000001\n"
        "联系电话：13912345678　另一电话：+86 138 0013 8000\n"
        "身份证号：11010119900307447X\n"
        "VIN：LSVAU2180N2123456　总价：¥13,912,345.00　日期：2026-11-27"
    )
    shown = contract_text.mask_personal_numbers(text, store=store_a)
    assert LOCAL not in shown and MASKED in shown
    assert "0013 8000" not in shown and "138****8000" in shown
    assert "11010119900307447X" not in shown and "1101**********447X" in shown
    # contract and order numbers, the VIN, amounts and dates stay as they are
    for kept in ("HT20261127000123", "DD2026000001", "LSVAU2180N2123456", "¥13,912,345.00", "2026-11-27"):
        assert kept in shown


def test_mask_personal_numbers_keeps_the_store_phone_and_masks_the_customers_foreign_mobile(store_a):
    store_a.phone = "13800138000"  # a store reachable on a mobile: its own number is not personal data
    customer = CustomerFactory(store=store_a, mobile="+85291234567")
    text = "电话：13800138000　联系电话：+85291234567"
    shown = contract_text.mask_personal_numbers(text, customer=customer, store=store_a)
    assert "13800138000" in shown
    assert "+85291234567" not in shown and "9123" not in shown


# ---------------------------------------------------------------- the API


def test_contract_list_leaves_the_text_out_and_the_detail_masks_the_mobile(api, order, consultant):
    contract = submitted_contract(order, consultant)
    assert LOCAL in contract.body  # the stored text is unchanged: the full number, as it will be printed
    api.force_authenticate(consultant)
    listed = api.get("/api/v1/contracts/")
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["id"] == contract.pk and "body" not in row
    assert LOCAL not in listed.content.decode()
    detail = api.get(f"/api/v1/contracts/{contract.pk}/")
    assert detail.status_code == 200
    body = detail.json()["body"]
    assert LOCAL not in body and MASKED in body and order.number in body
    # the answers of the contract steps show the masked text too
    reopened = api.post(f"/api/v1/contracts/{contract.pk}/reopen/")
    assert reopened.status_code == 200 and LOCAL not in reopened.content.decode()
    filled = api.post(f"/api/v1/contracts/{contract.pk}/fill/")
    assert filled.status_code == 200 and MASKED in filled.json()["body"] and LOCAL not in filled.content.decode()
    assert LOCAL in Contract.objects.get(pk=contract.pk).body


def test_a_signed_contract_keeps_its_text_and_pdf_and_shows_masked(api, order, consultant, manager):
    signed = signed_contract(order, consultant, manager)
    stored = Contract.objects.get(pk=signed.pk)
    assert LOCAL in stored.body
    api.force_authenticate(manager)
    detail = api.get(f"/api/v1/contracts/{signed.pk}/")
    assert detail.status_code == 200 and detail.json()["status"] == "signed"
    assert MASKED in detail.json()["body"] and LOCAL not in detail.content.decode()
    # the PDF is the legal document the customer receives: unchanged, with the full number
    pdf = api.get(detail.json()["pdf_url"])
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == stored.sha256
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert LOCAL in text
    assert Contract.objects.get(pk=signed.pk).body == stored.body


# ---------------------------------------------------------------- the pages


def test_preview_page_masks_the_mobile(client, order, consultant):
    client.force_login(consultant)
    page = client.get(reverse("contract_preview", args=[order.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert MASKED in content and LOCAL not in content and order.number in content


def test_order_page_shows_the_open_contract_masked(client, order, consultant):
    contract = submitted_contract(order, consultant)
    client.force_login(consultant)
    page = client.get(reverse("order_detail", args=[order.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="contract-review"' in content
    assert MASKED in content and LOCAL not in content and contract.number in content


def test_order_page_with_a_signed_contract_and_its_amendment_renders_masked(client, order, consultant, manager):
    signed = signed_contract(order, consultant, manager)
    client.force_login(manager)
    page = client.get(reverse("order_detail", args=[order.pk]))
    assert page.status_code == 200 and signed.number in page.content.decode()
    amendment = services.contract_amend(
        actor=consultant, contract=signed, reason="客户要求改交车地点", delivery_place="广州天河交车区"
    )
    services.contract_fill(actor=consultant, contract=amendment)
    page = client.get(reverse("order_detail", args=[order.pk]))
    content = page.content.decode()
    assert page.status_code == 200 and 'data-testid="contract-review"' in content
    assert MASKED in content and LOCAL not in content and "广州天河交车区" in content
