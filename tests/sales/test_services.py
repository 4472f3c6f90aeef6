"""Orders, contracts and payments through the services: the happy path, every refused move, immutability of a
signed contract on every path, amendments, cancellation, legal hold."""

import datetime
import hashlib
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from dealerdesk.catalog.choices import StockStatus
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.customers.merge import customer_merge
from dealerdesk.customers.privacy import customer_erase
from dealerdesk.sales import selectors, services
from dealerdesk.sales.models import Contract, ContractTemplate, Order, Payment
from tests.catalog.factories import ColourFactory, StockVehicleFactory, TrimFactory
from tests.customers.factories import CustomerFactory
from tests.sales.helpers import PNG, accepted_offer, make_order, sign_all, signed_contract, submitted_contract

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


# ---------------------------------------------------------------- orders


def test_order_from_accepted_offer_snapshots_the_offer_and_reserves_the_matching_vehicle(store_a, consultant):
    # given an accepted offer and a matching vehicle in stock (plus one of another colour)
    setup = accepted_offer(store_a, consultant)
    StockVehicleFactory(store=store_a, trim=setup.cat.trim, exterior=ColourFactory(trim=setup.cat.trim))
    # when the consultant takes the order
    order = services.order_create_from_offer(
        actor=consultant,
        offer=setup.offer,
        planned_delivery_on=in_days(7),
        delivery_place="交车区",
        deposit_amount="5000",
    )
    # then it copies the offer and holds the matching vehicle
    version = setup.offer.current
    assert order.number.startswith("SO") and order.status == "draft"
    assert order.total == version.total and order.marked_price_amount == version.marked_price_amount
    assert order.trim_id == setup.cat.trim.pk and order.exterior_id == setup.cat.colour.pk
    assert [o["label"] for o in order.options] == [setup.cat.option.name]
    assert order.price_lines[0]["kind"] == "marked_price"
    assert order.stock_vehicle_id == setup.vehicle.pk
    setup.vehicle.refresh_from_db()
    assert setup.vehicle.status == StockStatus.RESERVED
    entry = AuditEntry.objects.get(action="order.created")
    assert entry.customer_id == order.customer_id  # on the customer's timeline


def test_order_needs_an_accepted_offer_once(store_a, consultant):
    # given an accepted offer already ordered
    setup = accepted_offer(store_a, consultant)
    services.order_create_from_offer(actor=consultant, offer=setup.offer)
    # when it is ordered again, then it is refused
    with pytest.raises(Conflict, match="already became order"):
        services.order_create_from_offer(actor=consultant, offer=setup.offer)
    assert Order.objects.count() == 1


def test_order_from_an_offer_not_accepted_is_refused(store_a, consultant):
    from dealerdesk.offers.models import Offer

    setup = accepted_offer(store_a, consultant)
    Offer.objects.filter(pk=setup.offer.pk).update(status="approved")
    with pytest.raises(TransitionRefused, match="accepted"):
        services.order_create_from_offer(actor=consultant, offer=setup.offer)
    assert not Order.objects.exists()


def test_order_refuses_a_vehicle_of_another_trim_and_a_vehicle_taken(store_a, consultant):
    setup = accepted_offer(store_a, consultant)
    other = StockVehicleFactory(store=store_a, trim=TrimFactory())
    with pytest.raises(ValidationError) as exc:
        services.order_create_from_offer(actor=consultant, offer=setup.offer, stock_vehicle=other)
    assert "stock_vehicle" in exc.value.message_dict
    assert not Order.objects.exists()
    setup.vehicle.status = StockStatus.SOLD
    setup.vehicle.save()
    with pytest.raises(Conflict, match=setup.vehicle.vin):
        services.order_create_from_offer(actor=consultant, offer=setup.offer, stock_vehicle=setup.vehicle)
    assert not Order.objects.exists()


def test_no_stock_records_the_factory_order(store_a, consultant):
    setup = accepted_offer(store_a, consultant, vehicle=False)
    order = services.order_create_from_offer(actor=consultant, offer=setup.offer, factory_order_ref="FO-2026-001")
    assert order.stock_vehicle_id is None and order.factory_order_ref == "FO-2026-001"


@pytest.mark.usefixtures("shanghai_clock")
def test_order_terms_bad_input_is_refused_field_by_field(store_a, consultant):
    setup = accepted_offer(store_a, consultant)
    with pytest.raises(ValidationError) as exc:
        services.order_create_from_offer(
            actor=consultant, offer=setup.offer, planned_delivery_on=in_days(-1), deposit_amount="99999999"
        )
    assert set(exc.value.message_dict) == {"planned_delivery_on", "deposit_amount"}
    assert not Order.objects.exists()


def test_receptionist_cannot_take_orders(store_a, consultant, make_staff):
    setup = accepted_offer(store_a, consultant)
    with pytest.raises(NotPermitted):
        services.order_create_from_offer(actor=make_staff("receptionist", store_a), offer=setup.offer)


def test_allocate_another_vehicle_releases_the_first(store_a, consultant):
    order = make_order(store_a, consultant)
    first = order.stock_vehicle
    second = StockVehicleFactory(
        store=store_a, trim=order.trim, exterior=order.exterior, options=list(first.options.all())
    )
    order = services.order_allocate(actor=consultant, order=order, stock_vehicle=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert order.stock_vehicle_id == second.pk
    assert (first.status, second.status) == (StockStatus.IN_STOCK, StockStatus.RESERVED)


# ---------------------------------------------------------------- templates


def test_default_template_is_created_on_first_contract_and_new_versions_are_used(store_a, consultant, make_staff):
    admin = make_staff("store_admin", store_a)
    order = make_order(store_a, consultant)
    contract = services.contract_create(actor=consultant, order=order)
    template = ContractTemplate.objects.get(store=store_a)
    assert template.is_default and contract.template_version.number == 1
    # a bad placeholder is refused, a consultant may not edit templates
    with pytest.raises(ValidationError, match="nonsense"):
        services.contract_template_add_version(actor=admin, template=template, body="{{nonsense}}")
    with pytest.raises(NotPermitted):
        services.contract_template_add_version(actor=consultant, template=template, body="合同 {{total}}")
    v2 = services.contract_template_add_version(actor=admin, template=template, body="简版合同\n总价 {{total}}")
    assert v2.number == 2
    assert selectors.template_in_force(store_a) == v2
    services.contract_discard(actor=consultant, contract=contract)
    fresh = services.contract_fill(actor=consultant, contract=services.contract_create(actor=consultant, order=order))
    assert fresh.template_version_id == v2.pk and "总价 ¥" in fresh.body


def test_preview_shows_the_template_filled_with_the_order(store_a, consultant):
    order = make_order(store_a, consultant)
    text = selectors.contract_preview(order)
    assert "汽车买卖合同" in text and order.stock_vehicle.vin in text and "陈小明" in text


# ---------------------------------------------------------------- contract: fill, sign


def test_full_signing_freezes_text_stores_pdf_with_hash_and_signs_the_order(store_a, consultant, manager):
    # given a draft order with a reserved vehicle
    order = make_order(store_a, consultant)
    # when the contract is filled, reviewed and every party signs
    contract = signed_contract(order, consultant, manager)
    # then the contract is signed, the PDF stored with its SHA-256
    contract.refresh_from_db()
    pdf = bytes(contract.pdf)
    assert contract.status == "signed" and contract.sha256 == hashlib.sha256(pdf).hexdigest()
    assert contract.customer_signed_name == "陈小明" and bytes(contract.customer_signature) == PNG
    order.refresh_from_db()
    assert order.status == "signed" and order.contract_id == contract.pk and order.signed_at
    order.stock_vehicle.refresh_from_db()
    assert order.stock_vehicle.status == StockStatus.SOLD
    order.customer.refresh_from_db()
    assert order.customer.stage == "ordered"
    # the PDF has the Chinese text with the VIN and the total
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert order.stock_vehicle.vin in text and "汽车买卖合同" in text
    assert f"¥{order.total:,.2f}" in text


def test_fill_is_blocked_with_specific_messages(store_a, consultant):
    order = make_order(store_a, consultant)
    contract = services.contract_create(actor=consultant, order=order)
    # the price no longer equals the offer's total, the date is past, the vehicle is of another colour
    Order.objects.filter(pk=order.pk).update(total=order.total - 1, planned_delivery_on=in_days(-2), delivery_place="")
    order.stock_vehicle.exterior = ColourFactory(trim=order.trim, name="曜石黑")
    order.stock_vehicle.save()
    with pytest.raises(ValidationError) as exc:
        services.contract_fill(actor=consultant, contract=contract)
    errors = exc.value.message_dict
    assert "offer's total" in errors["total"][0]
    assert "in the past" in errors["planned_delivery_on"][0]
    assert "曜石黑" in errors["stock_vehicle"][0]
    assert "delivery_place" in errors
    contract.refresh_from_db()
    assert contract.body == "" and contract.filled_at is None  # nothing half-written


def test_deposit_above_total_is_refused(store_a, consultant):
    order = make_order(store_a, consultant)
    with pytest.raises(ValidationError) as exc:
        services.order_update(actor=consultant, order=order, deposit_amount=str(order.total + 1))
    assert "above the total" in exc.value.message_dict["deposit_amount"][0]
    assert "deposit_amount" in services.contract_blockers(order, {"deposit_amount": str(order.total + 1)})


def test_signing_refusals(store_a, consultant, manager, clerk, make_staff):
    order = make_order(store_a, consultant)
    contract = services.contract_create(actor=consultant, order=order)
    # an unfilled / unsubmitted contract cannot be signed or submitted
    with pytest.raises(TransitionRefused, match="Submit"):
        services.contract_sign(actor=consultant, contract=contract, party="consultant")
    with pytest.raises(TransitionRefused, match="Fill"):
        services.contract_submit(actor=consultant, contract=contract)
    services.contract_fill(actor=consultant, contract=contract)
    contract = services.contract_submit(actor=consultant, contract=contract)
    order.refresh_from_db()
    assert order.status == "pending_signature"
    with pytest.raises(ValidationError, match="陈小明"):
        services.contract_sign(actor=consultant, contract=contract, party="customer", typed_name="陈大明")
    with pytest.raises(ValidationError):
        services.contract_sign(
            actor=consultant, contract=contract, party="customer", typed_name="陈小明", signature_png=b"GIF89a"
        )
    other = make_staff("consultant", store_a)
    with pytest.raises(NotPermitted):
        services.contract_sign(actor=other, contract=contract, party="consultant")
    with pytest.raises(NotPermitted):
        services.contract_sign(actor=clerk, contract=contract, party="manager")
    services.contract_sign(actor=consultant, contract=contract, party="consultant")
    with pytest.raises(Conflict):
        services.contract_sign(actor=consultant, contract=contract, party="consultant")
    contract.refresh_from_db()
    assert contract.status == "pending_signature" and not contract.customer_signed_at


def test_manager_who_sold_the_car_cannot_sign_for_the_store(store_a, manager, make_staff):
    order = make_order(store_a, manager)
    contract = submitted_contract(order, manager)
    services.contract_sign(actor=manager, contract=contract, party="customer", typed_name="陈小明")
    services.contract_sign(actor=manager, contract=contract, party="consultant")
    with pytest.raises(NotPermitted):
        services.contract_sign(actor=manager, contract=contract, party="manager")
    services.contract_sign(actor=make_staff("store_admin", store_a), contract=contract, party="manager")
    contract.refresh_from_db()
    assert contract.status == "signed"


def test_reopen_clears_signatures_and_returns_the_order_to_draft(store_a, consultant):
    order = make_order(store_a, consultant)
    contract = submitted_contract(order, consultant)
    services.contract_sign(actor=consultant, contract=contract, party="consultant")
    contract = services.contract_reopen(actor=consultant, contract=contract)
    order.refresh_from_db()
    assert contract.status == "draft" and contract.consultant_signed_at is None and order.status == "draft"


# ---------------------------------------------------------------- immutability


@pytest.fixture
def signed(store_a, consultant, manager):
    order = make_order(store_a, consultant)
    return signed_contract(order, consultant, manager)


def test_signed_contract_service_refuses_every_change(signed, consultant, manager):
    for call in (
        lambda: services.contract_fill(actor=consultant, contract=signed),
        lambda: services.contract_reopen(actor=consultant, contract=signed),
        lambda: services.contract_submit(actor=consultant, contract=signed),
        lambda: services.contract_discard(actor=consultant, contract=signed),
        lambda: services.contract_sign(actor=manager, contract=signed, party="manager"),
    ):
        with pytest.raises(TransitionRefused):
            call()


def test_signed_contract_model_save_refuses_changes(signed):
    contract = Contract.objects.get(pk=signed.pk)
    contract.body = contract.body + "\n补充条款：免费保养十年。"
    with pytest.raises(TransitionRefused):
        contract.save()
    contract = Contract.objects.get(pk=signed.pk)
    contract.save()  # saving without a change is harmless
    assert Contract.objects.get(pk=signed.pk).body == signed.body


@pytest.mark.parametrize(
    "changes",
    [{"body": "伪造"}, {"sha256": "0" * 64}, {"status": "draft"}, {"pdf": b"%PDF-fake"}, {"total": D("1.00")}],
)
def test_database_trigger_refuses_update_of_frozen_columns(signed, changes):
    with pytest.raises(DatabaseError), transaction.atomic():
        Contract.objects.filter(pk=signed.pk).update(**changes)
    assert Contract.objects.get(pk=signed.pk).sha256 == signed.sha256


def test_database_trigger_refuses_deleting_a_signed_contract(signed):
    with pytest.raises(DatabaseError), transaction.atomic():
        Contract.objects.filter(pk=signed.pk).delete()


def test_database_lets_an_unsigned_contract_change(store_a, consultant):
    contract = services.contract_create(actor=consultant, order=make_order(store_a, consultant))
    assert Contract.objects.filter(pk=contract.pk).update(body="草稿") == 1


def test_merging_customers_moves_a_signed_contract(signed, manager, store_a):
    duplicate = CustomerFactory(store=store_a, name="陈小明")
    customer_merge(actor=manager, survivor=duplicate, merged=signed.customer)
    signed.refresh_from_db()
    assert signed.customer_id == duplicate.pk and signed.status == "signed"


def test_admin_is_read_only_for_contracts(client, signed, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "Root#2026pass")
    client.force_login(admin)
    url = f"/admin/sales/contract/{signed.pk}/change/"
    response = client.post(url, {"body": "伪造", "status": "draft"})
    assert response.status_code == 403
    assert client.get(url).status_code == 200  # viewable, not editable
    assert Contract.objects.get(pk=signed.pk).body == signed.body


# ---------------------------------------------------------------- amendments


def test_amendment_is_a_new_version_signed_again_and_then_in_force(signed, consultant, manager):
    order = signed.order
    new_date = in_days(20)
    amendment = services.contract_amend(
        actor=consultant, contract=signed, reason="客户要求推迟交车", planned_delivery_on=new_date
    )
    assert amendment.amends_id == signed.pk and amendment.version == 2
    assert amendment.number == f"{signed.number}-A1"
    services.contract_fill(actor=consultant, contract=amendment)
    services.contract_submit(actor=consultant, contract=amendment)
    order.refresh_from_db()
    assert order.status == "signed" and order.contract_id == signed.pk  # the original stays in force meanwhile
    sign_all(amendment, consultant, manager)
    order.refresh_from_db()
    amendment.refresh_from_db()
    assert order.contract_id == amendment.pk and order.planned_delivery_on == new_date
    assert "修订" in amendment.body and signed.number in amendment.body
    assert Contract.objects.get(pk=signed.pk).sha256 == signed.sha256  # the original is untouched


def test_amendment_refusals(signed, consultant):
    with pytest.raises(ValidationError) as exc:
        services.contract_amend(actor=consultant, contract=signed, reason="", total="1")
    assert {"reason", "total"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError, match="changes nothing"):
        services.contract_amend(
            actor=consultant, contract=signed, reason="无", delivery_place=signed.order.delivery_place
        )
    services.contract_amend(actor=consultant, contract=signed, reason="改地点", delivery_place="广州天河")
    with pytest.raises(Conflict):
        services.contract_amend(actor=consultant, contract=signed, reason="又改", delivery_place="东莞")


# ---------------------------------------------------------------- payments


def test_deposit_balance_refund_keep_amount_paid_and_grade_o(store_a, consultant, manager, clerk):
    order = make_order(store_a, consultant)
    signed_contract(order, consultant, manager)
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="wechat", receipt_number="R-001", amount="5000"
    )
    order.refresh_from_db()
    order.customer.refresh_from_db()
    assert order.amount_paid == D("5000.00") and order.customer.intent_grade == "O"
    graded = AuditEntry.objects.get(action="customer.graded", target_id=str(order.customer_id))
    assert graded.actor == clerk  # the audit names who took the money, not the consultant
    assert selectors.order_delivery_blocker(order) is not None
    services.payment_record(
        actor=clerk, order=order, kind="balance", method="transfer", receipt_number="R-002", amount=order.total - 5000
    )
    order.refresh_from_db()
    assert order.amount_paid == order.total and selectors.order_delivery_blocker(order) is None
    services.payment_record(
        actor=clerk, order=order, kind="refund", method="transfer", receipt_number="R-003", amount="100"
    )
    order.refresh_from_db()
    assert order.amount_paid == order.total - 100
    assert AuditEntry.objects.filter(action="payment.received", customer_id=order.customer_id).count() == 2


def test_payment_refusals(store_a, store_b, consultant, clerk, make_staff):
    order = make_order(store_a, consultant)
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="cash", receipt_number="R-1", amount="3000"
    )
    cases = [
        ({"kind": "deposit", "amount": "2500"}, "amount", "agreed deposit"),
        ({"kind": "balance", "amount": str(order.total)}, "amount", "more than is due"),
        ({"kind": "refund", "amount": "3000.01"}, "amount", "At most"),
        ({"kind": "balance", "amount": "10", "receipt_number": "R-1"}, "receipt_number", "already recorded"),
        ({"kind": "balance", "amount": "-5"}, "amount", "negative"),
        ({"kind": "balance", "amount": "10", "method": "loan"}, "method", "not financed"),
    ]
    for values, field, message in cases:
        args = {"kind": "balance", "method": "cash", "receipt_number": "R-X", "amount": "1", **values}
        with pytest.raises(ValidationError) as exc:
            services.payment_record(actor=clerk, order=order, **args)
        assert message in " ".join(exc.value.message_dict[field]), values
    with pytest.raises(NotPermitted):
        services.payment_record(
            actor=consultant, order=order, kind="balance", method="cash", receipt_number="R-9", amount="1"
        )
    order.refresh_from_db()
    assert order.amount_paid == D("3000.00") and Payment.objects.count() == 1
    # the same receipt number is fine in another store
    other = make_order(
        store_b, make_staff("consultant", store_b), customer=CustomerFactory(store=store_b, name="陈小明")
    )
    services.payment_record(
        actor=make_staff("admin_clerk", store_b),
        order=other,
        kind="deposit",
        method="cash",
        receipt_number="R-1",
        amount="100",
    )


def test_loan_status_and_delivery_readiness(store_a, consultant, manager, clerk):
    order = make_order(store_a, consultant, payment_method="loan")
    signed_contract(order, consultant, manager)
    with pytest.raises(TransitionRefused):
        services.order_set_loan_status(actor=clerk, order=order, loan_status="approved")
    services.order_set_loan_status(actor=clerk, order=order, loan_status="applied")
    order = services.order_set_loan_status(actor=clerk, order=order, loan_status="refused")
    assert "loan was refused" in selectors.order_delivery_blocker(order)
    services.order_set_loan_status(actor=clerk, order=order, loan_status="applied")
    order = services.order_set_loan_status(actor=clerk, order=order, loan_status="approved")
    assert selectors.order_delivery_blocker(order) is None
    delivered = services.order_mark_delivered(actor=manager, order=order)
    assert delivered.status == "delivered"


def test_unpaid_order_cannot_be_delivered(store_a, consultant, manager):
    order = make_order(store_a, consultant)
    signed_contract(order, consultant, manager)
    with pytest.raises(TransitionRefused, match="not paid"):
        services.order_mark_delivered(actor=manager, order=order)


# ---------------------------------------------------------------- cancellation


def test_draft_order_cancel_releases_vehicle_and_voids_the_contract(store_a, consultant, clerk):
    order = make_order(store_a, consultant)
    contract = services.contract_create(actor=consultant, order=order)
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="cash", receipt_number="R-1", amount="5000"
    )
    with pytest.raises(ValidationError, match="always refunded"):
        services.order_cancel(actor=consultant, order=order, reason="客户改主意", deposit_decision="forfeit")
    with pytest.raises(ValidationError) as exc:
        services.order_cancel(actor=consultant, order=order, reason="")
    assert {"reason", "deposit_decision"} <= set(exc.value.message_dict)
    order = services.order_cancel(actor=consultant, order=order, reason="客户改主意", deposit_decision="refund")
    order.stock_vehicle.refresh_from_db()
    contract.refresh_from_db()
    assert order.status == "cancelled" and order.deposit_decision == "refund"
    assert order.stock_vehicle.status == StockStatus.IN_STOCK and contract.status == "cancelled"
    services.payment_record(actor=clerk, order=order, kind="refund", method="cash", receipt_number="R-2", amount="5000")
    with pytest.raises(TransitionRefused):
        services.order_cancel(actor=consultant, order=order, reason="again", deposit_decision="refund")


def test_signed_order_cancels_only_with_a_manager_and_forfeit_keeps_the_deposit(store_a, consultant, manager, clerk):
    order = make_order(store_a, consultant)
    signed = signed_contract(order, consultant, manager)
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="alipay", receipt_number="R-1", amount="5000"
    )
    services.payment_record(
        actor=clerk, order=order, kind="balance", method="card", receipt_number="R-2", amount="1000"
    )
    with pytest.raises(NotPermitted):
        services.order_cancel(actor=consultant, order=order, reason="客户违约", deposit_decision="forfeit")
    order = services.order_cancel(actor=manager, order=order, reason="客户违约", deposit_decision="forfeit")
    assert order.status == "cancelled"
    with pytest.raises(ValidationError, match="At most"):
        services.payment_record(
            actor=clerk, order=order, kind="refund", method="card", receipt_number="R-3", amount="1001"
        )
    services.payment_record(actor=clerk, order=order, kind="refund", method="card", receipt_number="R-3", amount="1000")
    with pytest.raises(TransitionRefused):
        services.payment_record(
            actor=clerk, order=order, kind="balance", method="card", receipt_number="R-4", amount="1"
        )
    assert Contract.objects.get(pk=signed.pk).status == "signed"  # the signed contract stays as signed


# ---------------------------------------------------------------- archive and legal hold


def test_erasing_a_customer_keeps_signed_contracts(signed, manager):
    customer = customer_erase(actor=manager, customer=signed.customer, reason="PIPL-2026-01")
    entry = AuditEntry.objects.filter(action="customer.erased").latest("id")
    assert entry.diff["legal_hold"] == [None, True]
    assert Contract.objects.get(pk=signed.pk).sha256 == signed.sha256
    assert customer.erased_at is not None


def test_archive_search_by_vin_number_and_customer(signed, clerk, consultant, store_a):
    vin = signed.order.stock_vehicle.vin
    assert list(selectors.contract_archive_for(clerk, vin=vin[-6:])) == [signed]
    assert list(selectors.contract_archive_for(clerk, number=signed.number)) == [signed]
    assert list(selectors.contract_archive_for(clerk, customer_ids=[signed.customer_id])) == [signed]
    assert not selectors.contract_archive_for(clerk, signed_to=timezone.localdate() - datetime.timedelta(days=1))
    assert not selectors.contract_archive_for(consultant).exists()  # consultants have no archive
    assert signed.retain_until.year == signed.signed_at.year + 10


@pytest.mark.usefixtures("shanghai_clock")
def test_showroom_outcome_counts_a_visit_with_an_order(store_a, consultant):
    from dealerdesk.showroom.models import Visit
    from dealerdesk.showroom.outcomes import ORDER, outcomes_for

    order = make_order(store_a, consultant)
    visit = Visit.objects.create(
        store=store_a, customer=order.customer, arrived_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert ORDER in outcomes_for([visit])[visit.pk]


def test_database_constraint_conflict_is_a_409_with_the_vin(store_a, consultant):
    # given a vehicle still marked in stock but already held by a live order (e.g. written by another path)
    from tests.sales.factories import OrderFactory

    setup = accepted_offer(store_a, consultant)
    OrderFactory(store=store_a, consultant=consultant, stock_vehicle=setup.vehicle, status="draft")
    # when another order takes it, the unique constraint answers and the service says so
    with pytest.raises(Conflict, match=setup.vehicle.vin) as exc:
        services.order_create_from_offer(actor=consultant, offer=setup.offer, stock_vehicle=setup.vehicle)
    assert exc.value.status == 409
    assert Order.objects.count() == 1


def test_submit_refuses_a_text_older_than_the_order_but_not_after_a_payment(store_a, consultant, clerk):
    order = make_order(store_a, consultant)
    contract = services.contract_fill(
        actor=consultant, contract=services.contract_create(actor=consultant, order=order)
    )
    services.payment_record(
        actor=clerk, order=order, kind="deposit", method="cash", receipt_number="R-1", amount="5000"
    )
    services.order_update(actor=consultant, order=order, delivery_place="广州天河交车区")
    with pytest.raises(TransitionRefused, match="fill it again"):
        services.contract_submit(actor=consultant, contract=contract)
    services.contract_fill(actor=consultant, contract=contract)
    assert services.contract_submit(actor=consultant, contract=contract).status == "pending_signature"
