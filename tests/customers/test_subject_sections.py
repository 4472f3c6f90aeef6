"""The subject-access export (PIPL access request) includes what the later apps hold about the person — visits,
offers, test drives with the licence number, orders, contracts, payments, deliveries, registrations — in a bounded
number of queries, in JSON and XLSX."""

import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealerdesk.core.crypto import blind_index
from dealerdesk.customers import privacy
from dealerdesk.deliveries import services as delivery_services
from dealerdesk.deliveries.models import DeliveryGift
from dealerdesk.sales.models import Payment
from dealerdesk.showroom.models import NeedsAssessment, Presentation, Visit
from dealerdesk.testdrives.models import DriverLicence, TestDriveAgreement
from dealerdesk.testdrives.services import LICENCE_PURPOSE
from tests.deliveries.factories import GiftItemFactory, explained, signature_png, slot
from tests.registrations.helpers import registration_at
from tests.sales.helpers import make_order, signed_contract
from tests.testdrives.factories import TestDriveFactory

pytestmark = pytest.mark.django_db

LATER_SECTIONS = {
    "showroom_visits",
    "needs_assessments",
    "presentations",
    "offers",
    "test_drives",
    "driver_licences",
    "orders",
    "contracts",
    "payments",
    "deliveries",
    "delivery_gifts",
    "warranty_clocks",
    "delivery_follow_ups",
    "registrations",
    "registration_documents",
}


def add_records(store, customer, consultant, manager, clerk, *, n: int) -> dict:
    """One record of every kind the later apps keep about `customer`; returns the values the export must show."""
    now = timezone.now()
    Visit.objects.create(store=store, customer=customer, consultant=consultant, notes=f"来店{n}")
    NeedsAssessment.objects.create(store=store, customer=customer, consultant=consultant, notes=f"预算{n}")
    Presentation.objects.create(store=store, customer=customer, consultant=consultant, questions=f"续航{n}")
    # a test drive with the licence shown and the agreement accepted
    licence_number = f"44030519900101{n:04d}"
    licence = DriverLicence.objects.create(
        store=store,
        customer=customer,
        number=licence_number,
        number_index=blind_index(licence_number, purpose=LICENCE_PURPOSE),
        licence_class="C1",
        expires_on=timezone.localdate() + datetime.timedelta(days=365),
        recorded_by=consultant,
    )
    drive = TestDriveFactory(
        customer=customer,
        consultant=consultant,
        licence=licence,
        start_at=now + datetime.timedelta(days=n),  # the consultant drives with one customer at a time
        feedback_comment=f"加速很好{n}",
        drive_rating=5,
    )
    TestDriveAgreement.objects.create(
        test_drive=drive,
        store=store,
        customer=customer,
        text="试乘试驾协议",
        pdf=b"%PDF-1.4",
        sha256=f"{n:x}" * 64,
        accepted_name=customer.name,
        accepted_at=now,
    )
    # an offer turned into an order with a signed contract and a deposit paid
    order = make_order(store, consultant, customer=customer)
    contract = signed_contract(order, consultant, manager)
    Payment.objects.create(
        store=store,
        order=order,
        customer=customer,
        kind="deposit",
        method="wechat",
        receipt_number=f"RCPT-{n}",
        amount=Decimal("5000.00"),
        recorded_by=consultant,
    )
    # a car handed over with a gift (warranty clocks and follow-up calls start), then registered with a plate
    delivery = explained(store, consultant, clerk, customer=customer, when=slot(days=n, store=store))
    DeliveryGift.objects.create(delivery=delivery, gift=GiftItemFactory(store=store, name=f"行车记录仪{n}"))
    delivery = delivery_services.delivery_confirm(
        actor=consultant, delivery=delivery, customer_name=customer.name, signature=signature_png()
    )
    plate = f"粤B{n:05d}"
    registration_at(clerk, delivery.order, "completed", plate=plate)
    return {
        "licence": licence_number,
        "licence_index": licence.number_index,
        "contract": contract.number,
        "contract_sha256": contract.sha256,
        "order": delivery.order.number,
        "plate": plate,
        "receipt": f"RCPT-{n}",
        "vin": delivery.vehicle.vin,
    }


def export(manager, customer, fmt: str):
    body, _content_type = privacy.customer_subject_export(actor=manager, customer=customer, fmt=fmt)
    return body


def test_json_export_contains_the_later_apps_records(store_a, customer, consultant, manager, clerk):
    expected = add_records(store_a, customer, consultant, manager, clerk, n=1)
    data = json.loads(export(manager, customer, "json"))
    assert set(data) >= LATER_SECTIONS
    assert data["customer"]["name"] == "陈小明"  # the customers app's own sections are still there

    assert [row["number"] for row in data["driver_licences"]] == [expected["licence"]]
    assert "number_index" not in data["driver_licences"][0]
    drive = data["test_drives"][0]
    assert drive["feedback_comment"] == "加速很好1" and drive["agreement_accepted_name"] == "陈小明"
    assert len(data["showroom_visits"]) == 1 and data["showroom_visits"][0]["consultant"] == "王磊"
    assert data["needs_assessments"][0]["notes"] == "预算1"
    assert data["presentations"][0]["questions"] == "续航1"
    assert data["offers"][0]["status"] == "accepted"

    contract = next(c for c in data["contracts"] if c["number"] == expected["contract"])
    assert contract["status"] == "signed" and contract["sha256"] == expected["contract_sha256"]
    assert contract["signed_at"] and contract["customer_signed_name"] == "陈小明"
    assert expected["order"] in {o["number"] for o in data["orders"]}
    assert [p["receipt_number"] for p in data["payments"]] == [expected["receipt"]]
    assert data["payments"][0]["amount"] == "5000.00"

    assert data["deliveries"][0]["status"] == "handed_over" and data["deliveries"][0]["vin"] == expected["vin"]
    assert data["delivery_gifts"][0]["gift_name"] == "行车记录仪1"
    assert {w["vin"] for w in data["warranty_clocks"]} == {expected["vin"]}
    assert data["delivery_follow_ups"] and data["delivery_follow_ups"][0]["delivery_number"] == expected["order"]
    registration = data["registrations"][0]
    assert registration["plate"] == expected["plate"] and registration["status"] == "completed"
    assert registration["order_number"] == expected["order"]
    assert data["registration_documents"] and all(d["received_at"] for d in data["registration_documents"])

    # nothing internal: no blind index, PDF or password hash anywhere in the export
    text = json.dumps(data, ensure_ascii=False)
    assert expected["licence_index"] not in text and "%PDF" not in text
    assert consultant.password not in text and "pbkdf2" not in text


def test_xlsx_export_has_rows_for_the_later_sections(store_a, customer, consultant, manager, clerk):
    expected = add_records(store_a, customer, consultant, manager, clerk, n=2)
    sheet = openpyxl.load_workbook(io.BytesIO(export(manager, customer, "xlsx"))).active
    rows = [(r[0].value, r[1].value, r[2].value) for r in sheet.iter_rows(min_row=2)]
    assert {section for section, _field, _value in rows} >= LATER_SECTIONS
    assert ("driver_licences", "number", expected["licence"]) in rows
    assert ("contracts", "number", expected["contract"]) in rows
    assert ("registrations", "plate", expected["plate"]) in rows


def test_export_query_count_does_not_grow_with_the_records(store_a, customer, consultant, manager, clerk):
    add_records(store_a, customer, consultant, manager, clerk, n=3)
    with CaptureQueriesContext(connection) as one:
        export(manager, customer, "json")
    add_records(store_a, customer, consultant, manager, clerk, n=4)
    add_records(store_a, customer, consultant, manager, clerk, n=5)
    with CaptureQueriesContext(connection) as three:
        data = json.loads(export(manager, customer, "json"))
    assert len(data["contracts"]) == 3 and len(data["registrations"]) == 3 and len(data["driver_licences"]) == 3
    assert len(three) == len(one)
    # one query per section, plus the permission checks, the access log and closing the requests
    assert len(three) <= len(data) + 8


def test_sections_are_registered_once_and_names_are_guarded():
    assert set(privacy.SUBJECT_SECTIONS) >= LATER_SECTIONS
    fn = privacy.SUBJECT_SECTIONS["contracts"]
    privacy.register_subject_section("contracts", fn)  # an app's ready() running again changes nothing
    with pytest.raises(ValueError):
        privacy.register_subject_section("contracts", lambda customer: [])
    with pytest.raises(ValueError):
        privacy.register_subject_section("customer", lambda customer: [])
