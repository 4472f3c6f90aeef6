"""Delivery services: booking, PDI, the document pack, gifts, the handover transaction and every refused move."""

import datetime
import hashlib
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dealerdesk.catalog.choices import CertificateHolder, EnergyType, StockStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.choices import FollowUpPurpose
from dealerdesk.customers.models import Customer, FollowUp, OwnedVehicle
from dealerdesk.deliveries import services
from dealerdesk.deliveries.choices import DeliveryStatus, DocumentKind, ExplanationItem, PdiResult
from dealerdesk.deliveries.models import (
    Delivery,
    DeliveryDocument,
    DeliveryFollowUp,
    DeliveryGift,
    GiftItem,
    PdiCheck,
    WarrantyClock,
)
from dealerdesk.sales.choices import OrderStatus
from dealerdesk.sales.models import Order
from tests.catalog.factories import TrimFactory, make_vin
from tests.deliveries.factories import (
    D,
    GiftItemFactory,
    booked,
    explained,
    pass_pdi,
    prepared,
    ready_order,
    receive_pack,
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


# ---------------------------------------------------------------- booking


def test_booking_builds_checklist_and_domestic_pack_and_confirms_by_sms(store_a, consultant):
    # given a paid, signed order for a BEV whose VIN starts with L (made in China)
    order = ready_order(store_a, consultant)
    # when the consultant books the handover
    delivery = services.delivery_schedule(actor=consultant, order=order, scheduled_at=slot(), bay="1号交车区")
    # then it is scheduled with the default six PDI items and the domestic pack with keys and a charging cable
    assert delivery.status == DeliveryStatus.SCHEDULED
    assert delivery.customer_id == order.customer_id and delivery.store_id == store_a.pk
    assert list(PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True)) == [
        "exterior",
        "interior",
        "functions",
        "fluids_charge",
        "software",
        "cleanliness",
    ]
    kinds = list(DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True))
    assert kinds[0] == DocumentKind.CERTIFICATE_OF_CONFORMITY
    assert DocumentKind.IMPORT_CERTIFICATE not in kinds
    assert {DocumentKind.KEYS, DocumentKind.TOOL_KIT, DocumentKind.CHARGING_CABLE, DocumentKind.SALES_INVOICE} <= set(
        kinds
    )
    assert DeliveryDocument.objects.get(delivery=delivery, kind=DocumentKind.KEYS).quantity == 2
    assert delivery.origin == "domestic" and delivery.origin_source == "vin" and "LXY" in delivery.origin_note
    sms = Notification.objects.get(kind="delivery.confirmation")
    assert sms.channel == "sms" and sms.recipient == order.customer.mobile and "1号交车区" in sms.body
    entry = AuditEntry.objects.get(action="delivery.scheduled")
    assert entry.customer_id == order.customer_id


def test_petrol_car_needs_no_charging_cable(store_a, consultant):
    delivery = booked(store_a, consultant, vehicle={"trim": TrimFactory(energy_type=EnergyType.ICE)})
    assert not DeliveryDocument.objects.filter(delivery=delivery, kind=DocumentKind.CHARGING_CABLE).exists()


def test_imported_vin_gets_import_and_inspection_certificates_instead_of_the_certificate(store_a, consultant):
    # given a car whose WMI starts with W (Germany)
    delivery = booked(store_a, consultant, vin=make_vin(1, wmi="WBA"))
    kinds = set(DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True))
    assert delivery.origin == "imported"
    assert {DocumentKind.IMPORT_CERTIFICATE, DocumentKind.INSPECTION_CERTIFICATE} <= kinds
    assert DocumentKind.CERTIFICATE_OF_CONFORMITY not in kinds


def test_origin_override_rebuilds_the_pack_and_writes_the_reason(store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.COC)
    # when the clerk overrides the origin
    services.delivery_set_origin(actor=clerk, delivery=delivery, origin="imported", note="平行进口，证书为进口证明书")
    delivery.refresh_from_db()
    kinds = set(DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True))
    assert delivery.origin_source == "override" and delivery.origin_note == "平行进口，证书为进口证明书"
    assert DocumentKind.IMPORT_CERTIFICATE in kinds and DocumentKind.CERTIFICATE_OF_CONFORMITY not in kinds
    assert DeliveryDocument.objects.get(delivery=delivery, kind=DocumentKind.COC).received_at is not None
    # and an override without a reason is refused
    with pytest.raises(ValidationError) as exc:
        services.delivery_set_origin(actor=clerk, delivery=delivery, origin="domestic", note=" ")
    assert "note" in exc.value.message_dict


def test_unpaid_order_is_refused_with_the_blockers_message_and_nothing_written(store_a, consultant):
    order = ready_order(store_a, consultant, amount_paid=D("5000.00"))
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_schedule(actor=consultant, order=order, scheduled_at=slot(), bay="1号交车区")
    assert "184,800.00" in str(exc.value.message) and exc.value.code == "order_not_ready"
    assert not Delivery.objects.exists() and not Notification.objects.exists()


def test_loan_approved_order_may_be_booked(store_a, consultant):
    order = ready_order(store_a, consultant, amount_paid=D("50000.00"), payment_method="loan", loan_status="approved")
    delivery = services.delivery_schedule(actor=consultant, order=order, scheduled_at=slot(), bay="1号交车区")
    assert delivery.pk


def test_unsigned_order_and_second_booking_are_refused(store_a, consultant):
    draft = ready_order(store_a, consultant, status=OrderStatus.DRAFT)
    with pytest.raises(TransitionRefused):
        services.delivery_schedule(actor=consultant, order=draft, scheduled_at=slot(), bay="1号交车区")
    delivery = booked(store_a, consultant)
    with pytest.raises(Conflict) as exc:
        services.delivery_schedule(actor=consultant, order=delivery.order, scheduled_at=slot(3), bay="2号交车区")
    assert exc.value.code == "delivery_exists"


def test_the_same_bay_is_never_double_booked(store_a, consultant):
    # given a 90-minute appointment at 10:00 in bay 1
    booked(store_a, consultant, when=slot(hour=10))
    # when another car is booked at 11:00 in the same bay, it is refused (overlap)
    with pytest.raises(Conflict) as exc:
        booked(store_a, consultant, when=slot(hour=11))
    assert exc.value.code == "bay_taken" and "1号交车区" in str(exc.value.message)
    assert Delivery.objects.count() == 1
    # but bay 2 at 11:00 and bay 1 at 11:30 are fine
    booked(store_a, consultant, when=slot(hour=11), bay="2号交车区")
    booked(store_a, consultant, when=slot(hour=11) + datetime.timedelta(minutes=30))
    assert Delivery.objects.count() == 3


@pytest.mark.usefixtures("shanghai_clock")
def test_bad_bay_past_time_and_foreign_actor_are_refused(store_a, store_b, consultant, make_staff):
    order = ready_order(store_a, consultant)
    with pytest.raises(ValidationError) as exc:
        services.delivery_schedule(
            actor=consultant, order=order, scheduled_at=timezone.now() - datetime.timedelta(days=1), bay="3号"
        )
    assert {"scheduled_at", "bay"} <= set(exc.value.message_dict)
    stranger = make_staff("consultant", store_b)
    with pytest.raises(NotPermitted):
        services.delivery_schedule(actor=stranger, order=order, scheduled_at=slot(), bay="1号交车区")
    receptionist = make_staff("receptionist", store_a)
    with pytest.raises(NotPermitted):
        services.delivery_schedule(actor=receptionist, order=order, scheduled_at=slot(), bay="1号交车区")
    colleague = make_staff("consultant", store_a)
    with pytest.raises(NotPermitted):
        services.delivery_schedule(actor=colleague, order=order, scheduled_at=slot(), bay="1号交车区")


@pytest.mark.usefixtures("shanghai_clock")
def test_reschedule_moves_the_slot_and_checks_the_bay(store_a, consultant, clerk):
    first = booked(store_a, consultant, when=slot(hour=10))
    second = booked(store_a, consultant, when=slot(hour=14))
    with pytest.raises(Conflict):
        services.delivery_reschedule(actor=clerk, delivery=second, scheduled_at=slot(hour=10), bay="1号交车区")
    moved = services.delivery_reschedule(actor=clerk, delivery=first, scheduled_at=slot(3, 9), bay="2号交车区")
    assert moved.bay == "2号交车区" and moved.scheduled_at == slot(3, 9)
    assert Notification.objects.filter(kind="delivery.confirmation").count() == 3


# ---------------------------------------------------------------- PDI, documents, prepared


def test_prepared_is_refused_listing_everything_missing(store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    services.pdi_check(actor=clerk, delivery=delivery, code="exterior", passed=False, note="左后门划痕")
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    message = str(exc.value.message)
    assert "左后门划痕" in message and "合格证" in message and ("Keys" in message or "钥匙" in message)
    assert len(exc.value.extra["missing"]) == 6 + 9  # six PDI items, nine pack items of a domestic BEV
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SCHEDULED


def test_pdi_failure_needs_a_note_and_records_who_and_when(store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    with pytest.raises(ValidationError) as exc:
        services.pdi_check(actor=clerk, delivery=delivery, code="interior", passed=False, note="")
    assert "note" in exc.value.message_dict
    item = services.pdi_check(actor=clerk, delivery=delivery, code="interior", passed=True)
    assert item.result == PdiResult.PASSED and item.checked_by == clerk and item.checked_at is not None
    with pytest.raises(ValidationError):
        services.pdi_check(actor=clerk, delivery=delivery, code="no-such-item", passed=True)


def test_a_document_marked_received_twice_is_refused(store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.COC)
    with pytest.raises(Conflict) as exc:
        services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.COC)
    assert exc.value.code == "document_already_received" and "李娜" in str(exc.value.message)
    assert AuditEntry.objects.filter(action="delivery.document_received").count() == 1


def test_keys_need_at_least_one_and_the_invoice_its_date(store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    with pytest.raises(ValidationError) as exc:
        services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.KEYS, quantity=0)
    assert "quantity" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.SALES_INVOICE)
    assert "invoice_date" in exc.value.message_dict
    keys = services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.KEYS, quantity=1)
    assert keys.quantity == 1


def test_lender_held_certificate_is_recorded_and_blocks_until_received(store_a, consultant, clerk):
    # given financed stock: the lender holds the 合格证
    delivery = booked(store_a, consultant, vehicle={"certificate_holder": CertificateHolder.LENDER})
    cert = DeliveryDocument.objects.get(delivery=delivery, kind=DocumentKind.CERTIFICATE_OF_CONFORMITY)
    assert cert.holder == CertificateHolder.LENDER
    with pytest.raises(ValidationError) as exc:
        services.document_record_holder(
            actor=clerk, delivery=delivery, kind=DocumentKind.CERTIFICATE_OF_CONFORMITY, holder="lender"
        )
    assert {"holder_name", "promised_on"} <= set(exc.value.message_dict)
    promised = timezone.localdate() + datetime.timedelta(days=2)
    services.document_record_holder(
        actor=clerk,
        delivery=delivery,
        kind=DocumentKind.CERTIFICATE_OF_CONFORMITY,
        holder="lender",
        holder_name="平安银行深圳分行",
        promised_on=promised,
    )
    pass_pdi(delivery, clerk)
    receive_pack(delivery, clerk, skip={DocumentKind.CERTIFICATE_OF_CONFORMITY})
    # then prepared is refused naming the holder and the promised date
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    assert "平安银行深圳分行" in str(exc.value.message) and promised.isoformat() in str(exc.value.message)
    # once received, the car is prepared
    services.document_receive(actor=clerk, delivery=delivery, kind=DocumentKind.CERTIFICATE_OF_CONFORMITY)
    assert services.delivery_mark_prepared(actor=clerk, delivery=delivery).status == DeliveryStatus.PREPARED


def test_after_prepared_pdi_and_documents_are_frozen(store_a, consultant, clerk):
    delivery = prepared(store_a, consultant, clerk)
    with pytest.raises(TransitionRefused):
        services.pdi_check(actor=clerk, delivery=delivery, code="exterior", passed=True)
    with pytest.raises(TransitionRefused):
        services.delivery_mark_prepared(actor=clerk, delivery=delivery)


# ---------------------------------------------------------------- handover and confirmation


def test_handover_warns_above_50_km_and_refuses_negative(store_a, consultant, clerk):
    delivery = prepared(store_a, consultant, clerk)
    with pytest.raises(ValidationError) as exc:
        services.delivery_record_handover(actor=consultant, delivery=delivery, explained=[], odometer_km=-1)
    assert "odometer_km" in exc.value.message_dict
    delivery, warnings = services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=["controls"], odometer_km=51
    )
    assert delivery.odometer_km == 51 and delivery.odometer_warning and "51" in warnings[0]
    delivery, warnings = services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=["controls"], odometer_km=50
    )
    assert warnings == [] and not delivery.odometer_warning


def test_handover_before_prepared_is_refused(store_a, consultant):
    delivery = booked(store_a, consultant)
    with pytest.raises(TransitionRefused):
        services.delivery_record_handover(actor=consultant, delivery=delivery, explained=[], odometer_km=5)


def test_confirm_hands_over_in_one_transaction(store_a, consultant, clerk, tmp_path):
    # given a prepared, explained delivery with a gift (stock 3)
    mats = GiftItemFactory(store=store_a, name="全车脚垫", stock=3)
    delivery = prepared(store_a, consultant, clerk)
    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=mats, quantity=1)
    delivery, _ = services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=12
    )
    customer = delivery.customer
    # when both sides sign
    delivery = services.delivery_confirm(
        actor=consultant, delivery=delivery, customer_name=customer.name, signature=signature_png()
    )
    # then the delivery is handed over with a stored PDF and its hash
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.HANDED_OVER
    pdf = bytes(delivery.confirmation_pdf)
    assert hashlib.sha256(pdf).hexdigest() == delivery.confirmation_sha256
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert delivery.vehicle.vin in text and "全车脚垫" in text and "12" in text and "交车确认单" in text
    assert timezone.localtime(delivery.handed_over_at, store_a.tz).strftime("%Y-%m-%d %H:%M") in text
    # the gift is taken from stock, the order and the car are delivered
    mats.refresh_from_db()
    assert mats.stock == 2
    assert Order.objects.get(pk=delivery.order_id).status == OrderStatus.DELIVERED
    assert StockVehicle.objects.get(pk=delivery.vehicle_id).status == StockStatus.DELIVERED
    # warranty clocks from the invoice date (yesterday): 3 y / 60,000 km and 2 y / 50,000 km
    invoice = timezone.localdate() - datetime.timedelta(days=1)
    clocks = {c.kind: c for c in WarrantyClock.objects.filter(delivery=delivery)}
    assert clocks["repair"].starts_on == invoice and clocks["repair"].km_limit == 60000
    assert clocks["repair"].ends_on == invoice.replace(year=invoice.year + 3) - datetime.timedelta(days=1)
    assert clocks["three_guarantees"].km_limit == 50000
    assert clocks["three_guarantees"].ends_on == invoice.replace(year=invoice.year + 2) - datetime.timedelta(days=1)
    # the customer is an owner, with the car, and four post-delivery calls are planned
    assert Customer.objects.get(pk=customer.pk).stage == "owner"
    assert OwnedVehicle.objects.get(customer=customer).vin == delivery.vehicle.vin
    calls = FollowUp.objects.filter(customer=customer, purpose=FollowUpPurpose.POST_DELIVERY).order_by("due_at")
    assert calls.count() == 4
    plan = list(DeliveryFollowUp.objects.filter(delivery=delivery).values_list("day", "role"))
    assert plan == [(1, "consultant"), (3, "care_specialist"), (7, "consultant"), (30, "care_specialist")]
    first_due = timezone.localtime(calls[0].due_at, store_a.tz)
    assert first_due.date() == timezone.localdate() + datetime.timedelta(days=1) and first_due.hour == 10
    # and the timeline shows the handover
    assert AuditEntry.objects.filter(action="delivery.handed_over", customer_id=customer.pk).exists()


def test_confirm_is_refused_when_a_gift_ran_out_and_nothing_is_written(store_a, consultant, clerk):
    mats = GiftItemFactory(store=store_a, stock=0)
    delivery = explained(store_a, consultant, clerk)
    DeliveryGift.objects.create(delivery=delivery, gift=mats, quantity=1)
    with pytest.raises(Conflict) as exc:
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert exc.value.code == "gift_out_of_stock"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PREPARED and delivery.confirmation_sha256 == ""
    assert Order.objects.get(pk=delivery.order_id).status == OrderStatus.SIGNED
    assert not WarrantyClock.objects.exists()
    assert GiftItem.objects.get(pk=mats.pk).stock == 0


def test_confirm_refusals(store_a, consultant, clerk, make_staff):
    delivery = prepared(store_a, consultant, clerk)
    # not yet explained
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert exc.value.code == "handover_not_recorded"
    services.delivery_record_handover(actor=consultant, delivery=delivery, explained=["controls"], odometer_km=3)
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert exc.value.code == "explanation_incomplete"
    services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=3
    )
    # the clerk may prepare but not sign for the store; another consultant neither
    with pytest.raises(NotPermitted):
        services.delivery_confirm(actor=clerk, delivery=delivery, customer_name=delivery.customer.name)
    with pytest.raises(NotPermitted):
        services.delivery_confirm(
            actor=make_staff("consultant", store_a), delivery=delivery, customer_name=delivery.customer.name
        )
    # a wrong name or a non-PNG signature is refused by field
    with pytest.raises(ValidationError) as exc:
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name="别人", signature="data:,abc")
    assert {"customer_name", "signature"} <= set(exc.value.message_dict)
    # a manager may sign; then nothing more can change
    manager = make_staff("sales_manager", store_a)
    services.delivery_confirm(actor=manager, delivery=delivery, customer_name=delivery.customer.name)
    with pytest.raises(TransitionRefused):
        services.delivery_confirm(actor=manager, delivery=delivery, customer_name=delivery.customer.name)
    with pytest.raises(TransitionRefused):
        services.delivery_reschedule(actor=clerk, delivery=delivery, scheduled_at=slot(5), bay="1号交车区")


def test_a_prospect_walks_the_stage_machine_to_owner(store_a, consultant, clerk):
    from tests.customers.factories import CustomerFactory

    customer = CustomerFactory(store=store_a, owner=consultant, stage="prospect")
    delivery = explained(store_a, consultant, clerk, customer=customer)
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=customer.name)
    assert Customer.objects.get(pk=customer.pk).stage == "owner"


def test_store_settings_change_the_checklist_bays_and_follow_up_plan(store_a, consultant, clerk, make_staff):
    admin = make_staff("store_admin", store_a)
    with pytest.raises(NotPermitted):
        services.delivery_settings_update(actor=clerk, store=store_a, bays=["A"])
    with pytest.raises(ValidationError) as exc:
        services.delivery_settings_update(actor=admin, store=store_a, followups=[{"day": 0, "role": "consultant"}])
    assert "followups" in exc.value.message_dict
    services.delivery_settings_update(
        actor=admin,
        store=store_a,
        bays=["VIP交车间"],
        pdi_items=[{"code": "exterior", "label": ""}, {"code": "ota", "label": "OTA 升级到最新版本"}],
        followups=[{"day": 2, "role": "care_specialist"}],
    )
    delivery = booked(store_a, consultant, bay="VIP交车间")
    labels = list(PdiCheck.objects.filter(delivery=delivery).values_list("label", flat=True))
    assert len(labels) == 2 and labels[1] == "OTA 升级到最新版本"
    pass_pdi(delivery, clerk)
    receive_pack(delivery, clerk)
    services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=1
    )
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert list(DeliveryFollowUp.objects.filter(delivery=delivery).values_list("day", "role")) == [
        (2, "care_specialist")
    ]


def test_care_specialist_calls_reach_the_care_specialist_and_consultant_calls_the_consultant(
    store_a, consultant, clerk, make_staff
):
    # given a store with a care specialist and the default plan (days 1, 3, 7, 30 with their roles)
    care = make_staff("care_specialist", store_a)
    delivery = booked(store_a, consultant)
    pass_pdi(delivery, clerk)
    receive_pack(delivery, clerk)
    services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=1
    )
    # when the car is handed over
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    # then each planned call sits in the queue of the role responsible for it
    planned = DeliveryFollowUp.objects.filter(delivery=delivery).select_related("follow_up")
    assert planned.exists()
    for row in planned:
        expected = care.pk if row.role == "care_specialist" else delivery.customer.owner_id or consultant.pk
        assert row.follow_up.assignee_id == expected, row.day
    assert {row.role for row in planned} == {"consultant", "care_specialist"}


# ---------------------------------------------------------------- gifts


def test_gift_rules_by_trim_promotion_and_order_value_apply_at_booking(store_a, consultant, make_staff):
    admin = make_staff("store_admin", store_a)
    trim = TrimFactory()
    mats = services.gift_create(actor=admin, store=store_a, name="全车脚垫", unit_value="300", stock=5)
    cam = services.gift_create(actor=admin, store=store_a, name="行车记录仪", unit_value="599.00", stock=5)
    services.gift_rule_create(actor=admin, gift=mats, quantity=1, trim=trim)
    services.gift_rule_create(actor=admin, gift=cam, quantity=1, min_order_total="250000")
    with pytest.raises(ValidationError):
        services.gift_rule_create(actor=admin, gift=cam)  # no condition
    with pytest.raises(NotPermitted):
        services.gift_rule_create(actor=consultant, gift=cam, trim=trim)
    matching = booked(store_a, consultant, vehicle={"trim": trim})
    other = booked(store_a, consultant, when=slot(hour=14), total=D("300000.00"), amount_paid=D("300000.00"))
    assert list(DeliveryGift.objects.filter(delivery=matching).values_list("gift__name", flat=True)) == ["全车脚垫"]
    assert list(DeliveryGift.objects.filter(delivery=other).values_list("gift__name", flat=True)) == ["行车记录仪"]


def test_gift_stock_never_goes_below_zero(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    gift = services.gift_create(actor=admin, store=store_a, name="雨伞", stock=2)
    with pytest.raises(ValidationError):
        services.gift_create(actor=admin, store=store_a, name="雨伞", stock=1)
    with pytest.raises(ValidationError):
        services.gift_restock(actor=admin, gift=gift, change=-3)  # a write-off needs a reason
    with pytest.raises(Conflict):
        services.gift_restock(actor=admin, gift=gift, change=-3, reason="损坏")
    assert services.gift_restock(actor=admin, gift=gift, change=4).stock == 6


def test_gift_shortage_is_flagged_and_the_consultant_told_once(store_a, consultant, clerk):
    # given one umbrella left and two deliveries in the next days that each want one
    umbrella = GiftItemFactory(store=store_a, name="雨伞", stock=1)
    first = booked(store_a, consultant, when=slot(1, 10))
    second = booked(store_a, consultant, when=slot(2, 10))
    for d in (first, second):
        services.delivery_gift_set(actor=clerk, delivery=d, gift=umbrella, quantity=1)
    from dealerdesk.deliveries import selectors

    # then only the later delivery is short
    assert not any(g.short for g in selectors.delivery_detail(clerk, first.pk)["gifts"])
    assert selectors.delivery_detail(clerk, second.pk)["gift_shortage"]
    # and the duty tells its consultant, once
    assert services.gift_shortages_report() == 1
    assert services.gift_shortages_report() == 0
    note = Notification.objects.get(kind="delivery.gift_shortage")
    assert note.recipient_user == consultant and "雨伞" in note.subject and second.number in note.subject


@pytest.mark.usefixtures("shanghai_clock")
def test_reminder_goes_out_the_day_before_once(store_a, consultant):
    tomorrow = booked(store_a, consultant, when=slot(1, 15))
    later = booked(store_a, consultant, when=slot(3, 15))
    assert services.deliveries_remind_due() == 1
    assert services.deliveries_remind_due() == 0
    reminder = Notification.objects.get(kind="delivery.reminder")
    assert reminder.recipient == tomorrow.customer.mobile and "15:00" in reminder.body
    later.refresh_from_db()
    assert later.reminder_sent_at is None


def test_periodic_duties_are_registered():
    from dealerdesk.core.periodic import DUTIES

    assert {"deliveries.remind_due", "deliveries.gift_shortages"} <= set(DUTIES)


def test_the_timeline_gets_the_milestones_and_the_audit_trail_every_tick(store_a, consultant, clerk):
    delivery = explained(store_a, consultant, clerk)
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    on_timeline = set(AuditEntry.objects.filter(customer_id=delivery.customer_id).values_list("action", flat=True))
    assert {"delivery.scheduled", "delivery.prepared", "delivery.handover_recorded", "delivery.handed_over"} <= (
        on_timeline
    )
    assert {"order.delivered", "customer.stage_changed", "customer.vehicle_added"} <= on_timeline
    assert "delivery.pdi_checked" not in on_timeline and "delivery.document_received" not in on_timeline
    ticks = AuditEntry.objects.filter(action__in=["delivery.pdi_checked", "delivery.document_received"])
    assert ticks.count() == 6 + 9 and set(ticks.values_list("store_id", flat=True)) == {store_a.pk}


def test_cancelling_the_order_cancels_its_open_delivery_and_registration_and_frees_the_bay(
    store_a, consultant, clerk, make_staff
):
    from dealerdesk.registrations import services as registration_services
    from dealerdesk.sales import services as sales_services

    manager = make_staff("sales_manager", store_a)
    # given a booked delivery and an opened registration of a signed order
    delivery = booked(store_a, consultant)
    registration = registration_services.registration_open(actor=clerk, order=delivery.order)
    # when a manager cancels the order
    sales_services.order_cancel(actor=manager, order=delivery.order, reason="客户放弃购车", deposit_decision="refund")
    # then the delivery and the registration are cancelled with it, each audited
    delivery.refresh_from_db()
    registration.refresh_from_db()
    assert delivery.status == "cancelled" and registration.status == "cancelled"
    assert "客户放弃购车" in registration.cancel_reason
    assert AuditEntry.objects.filter(action="delivery.cancelled", target_id=str(delivery.pk)).exists()
    # and the bay's slot can be booked again
    again = booked(store_a, consultant, when=delivery.scheduled_at, bay=delivery.bay)
    assert again.status == "scheduled"
    # and the calendar no longer shows the cancelled one
    from dealerdesk.deliveries.selectors import delivery_calendar, week_start

    monday = week_start(timezone.localtime(delivery.scheduled_at, store_a.tz).date())
    shown = [row.pk for _day, rows in delivery_calendar(manager, store_a, monday)["days"] for row in rows]
    assert again.pk in shown and delivery.pk not in shown
