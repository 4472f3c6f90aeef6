"""Registration services: checklist by case, collecting, submitting, the plate, refused moves, scoping, races."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.models import OwnedVehicle, SearchToken
from dealerdesk.registrations import selectors, services
from dealerdesk.registrations.choices import Case, DocumentKind, RegistrationStatus, checklist_for
from dealerdesk.registrations.models import Registration, RegistrationDocument
from dealerdesk.registrations.workdays import add_working_days, calendar_covers, working_days_between
from dealerdesk.sales.choices import LoanStatus, OrderStatus, PaymentMethod
from tests.catalog.factories import StockVehicleFactory, TrimFactory
from tests.customers.factories import CustomerFactory
from tests.registrations.helpers import receive_all, registration_at
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db
S = RegistrationStatus
K = DocumentKind
YESTERDAY = lambda: timezone.localdate() - datetime.timedelta(days=1)  # noqa: E731


def kinds(registration) -> list[str]:
    return list(registration.documents.order_by("position").values_list("kind", flat=True))


# ---------------------------------------------------------------- working days and the checklist


def test_working_days_skip_weekends():
    friday = datetime.date(2026, 11, 27)
    assert add_working_days(friday, 1) == datetime.date(2026, 11, 30)  # Monday
    assert add_working_days(friday, 15) == datetime.date(2026, 12, 18)
    assert add_working_days(datetime.date(2026, 11, 28), 1) == datetime.date(2026, 11, 30)  # from a Saturday
    assert working_days_between(friday, datetime.date(2026, 12, 18)) == 15
    assert working_days_between(datetime.date(2026, 12, 18), friday) == -15


def test_working_days_follow_the_official_holiday_calendar():
    # National Day 2026: 1–7 October off, Sunday 20 September and Saturday 10 October are make-up working days
    assert add_working_days(datetime.date(2026, 9, 30), 1) == datetime.date(2026, 10, 8)
    assert add_working_days(datetime.date(2026, 10, 9), 1) == datetime.date(2026, 10, 10)
    assert add_working_days(datetime.date(2026, 9, 19), 1) == datetime.date(2026, 9, 20)
    assert working_days_between(datetime.date(2026, 9, 30), datetime.date(2026, 10, 12)) == 4  # 8, 9, 10, 12


def test_a_year_without_the_official_calendar_skips_weekends_only():
    assert not calendar_covers(2031)
    assert calendar_covers(2026)
    assert add_working_days(datetime.date(2031, 9, 30), 1) == datetime.date(2031, 10, 1)  # a Wednesday
    assert add_working_days(datetime.date(2031, 10, 3), 1) == datetime.date(2031, 10, 6)  # Friday → Monday


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            Case(),
            [K.OWNER_ID, K.INVOICE_REGISTRATION_COPY, K.CONFORMITY_CERTIFICATE, K.COMPULSORY_INSURANCE,
             K.PURCHASE_TAX_PAID, K.APPLICATION_FORM],
        ),
        (
            Case(local=False, financed=True, new_energy=True),
            [K.OWNER_ID, K.RESIDENCE_PERMIT, K.INVOICE_REGISTRATION_COPY, K.CONFORMITY_CERTIFICATE,
             K.COMPULSORY_INSURANCE, K.PURCHASE_TAX_EXEMPT, K.APPLICATION_FORM, K.MORTGAGE_DOCUMENTS],
        ),
        (
            Case(company=True, local=False, imported=True),
            [K.BUSINESS_LICENCE, K.INVOICE_REGISTRATION_COPY, K.IMPORT_DOCUMENTS, K.COMPULSORY_INSURANCE,
             K.PURCHASE_TAX_PAID, K.APPLICATION_FORM],
        ),
    ],
)  # fmt: skip
def test_the_checklist_follows_the_case(case, expected):
    assert checklist_for(case) == expected


def test_local_is_judged_by_the_customers_city_against_the_stores(store_a):
    # given a store in 深圳
    assert services.is_local_owner(CustomerFactory(store=store_a, city="深圳市福田区"), store_a)
    assert services.is_local_owner(CustomerFactory(store=store_a, city=""), store_a)
    assert not services.is_local_owner(CustomerFactory(store=store_a, city="北京"), store_a)


# ---------------------------------------------------------------- opening


def test_the_clerk_opens_a_registration_with_the_checklist_target_and_a_message(store_a, clerk, order):
    # when the clerk opens the registration of a signed BEV order paid in full (local customer)
    now = timezone.now()
    registration = services.registration_open(actor=clerk, order=order, now=now)
    # then the checklist fits the case and the clerk is responsible
    assert registration.status == S.COLLECTING_DOCUMENTS
    assert registration.clerk == clerk and registration.customer_id == order.customer_id
    assert kinds(registration) == [
        K.OWNER_ID,
        K.INVOICE_REGISTRATION_COPY,
        K.CONFORMITY_CERTIFICATE,
        K.COMPULSORY_INSURANCE,
        K.PURCHASE_TAX_EXEMPT,
        K.APPLICATION_FORM,
    ]
    # the target is 15 working days from opening (not delivered yet)
    assert registration.target_on == add_working_days(selectors.local_today(store_a, now), 15)
    assert registration.target_from_delivery is False
    # the step is on the customer's timeline and the customer gets a text message
    entry = AuditEntry.objects.get(action="registration.opened")
    assert entry.customer_id == order.customer_id and entry.store_id == store_a.pk
    sms = Notification.objects.get(kind="registration.opened")
    assert sms.channel == "sms" and sms.recipient == order.customer.mobile and order.number in sms.body


def test_a_delivered_financed_imported_order_of_a_non_local_customer(store_a, clerk, consultant):
    # given a delivered, financed, imported petrol car bought by a customer from 北京
    trim = TrimFactory(origin="imported", energy_type="ice", electric_range_km=None, fuel_l_per_100km="7.5")
    delivered = datetime.datetime(2026, 11, 27, 3, 0, tzinfo=datetime.UTC)  # a Friday in Shenzhen
    order = OrderFactory(
        store=store_a,
        consultant=consultant,
        customer=CustomerFactory(store=store_a, city="北京"),
        stock_vehicle=StockVehicleFactory(store=store_a, trim=trim),
        payment_method=PaymentMethod.LOAN,
        loan_status=LoanStatus.APPROVED,
        status=OrderStatus.DELIVERED,
        delivered_at=delivered,
    )
    # when it is opened
    registration = services.registration_open(actor=clerk, order=order)
    # then the case and checklist say so, and the target counts 15 working days from delivery
    assert (registration.is_local, registration.financed, registration.imported, registration.new_energy) == (
        False,
        True,
        True,
        False,
    )
    assert kinds(registration) == [
        K.OWNER_ID,
        K.RESIDENCE_PERMIT,
        K.INVOICE_REGISTRATION_COPY,
        K.IMPORT_DOCUMENTS,
        K.COMPULSORY_INSURANCE,
        K.PURCHASE_TAX_PAID,
        K.APPLICATION_FORM,
        K.MORTGAGE_DOCUMENTS,
    ]
    assert registration.target_on == datetime.date(2026, 12, 18)
    assert registration.target_from_delivery is True


def test_the_consultant_opens_a_registration_without_a_clerk(consultant, order):
    registration = services.registration_open(actor=consultant, order=order)
    assert registration.clerk is None and registration.created_by == consultant


@pytest.mark.parametrize("status", [OrderStatus.DRAFT, OrderStatus.PENDING_SIGNATURE, OrderStatus.CANCELLED])
def test_an_unsigned_or_cancelled_order_is_refused(clerk, order, status):
    order.status = status
    order.save(update_fields=["status"])
    with pytest.raises(TransitionRefused) as refused:
        services.registration_open(actor=clerk, order=order)
    assert refused.value.code == "order_not_signed" and "signed or delivered" in str(refused.value.message)
    assert not Registration.objects.exists()


def test_a_second_live_registration_is_refused_but_one_after_a_cancellation_is_allowed(clerk, order):
    first = services.registration_open(actor=clerk, order=order)
    with pytest.raises(Conflict) as refused:
        services.registration_open(actor=clerk, order=order, by_customer=True)
    assert refused.value.code == "registration_exists" and order.number in str(refused.value.message)
    services.registration_cancel(actor=clerk, registration=first, reason="客户决定自行上牌")
    second = services.registration_open(actor=clerk, order=order, by_customer=True)
    assert second.by_customer and Registration.objects.count() == 2


def test_the_database_keeps_one_live_registration_per_order(clerk, order):
    first = services.registration_open(actor=clerk, order=order)
    duplicate = Registration(
        store=first.store, order=order, customer=first.customer, number=first.number, created_by=clerk
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_people_who_may_not_open_are_refused(store_a, store_b, make_staff, order):
    for user in (
        make_staff("receptionist", store_a),
        make_staff("care_specialist", store_a),
        make_staff("consultant", store_a),  # not this order's consultant
        make_staff("admin_clerk", store_b),
    ):
        with pytest.raises(NotPermitted):
            services.registration_open(actor=user, order=order)
    assert not Registration.objects.exists()


def test_a_company_needs_its_name_and_gets_the_business_licence(clerk, order):
    with pytest.raises(ValidationError) as invalid:
        services.registration_open(actor=clerk, order=order, owner_kind="company")
    assert "company_name" in invalid.value.message_dict
    registration = services.registration_open(
        actor=clerk, order=order, owner_kind="company", company_name="深圳星河科技有限公司"
    )
    assert kinds(registration)[0] == K.BUSINESS_LICENCE and K.OWNER_ID not in kinds(registration)


def test_the_clerk_corrects_the_case_and_the_checklist_follows(clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    services.registration_document_receive(actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer")
    services.registration_set_case(actor=clerk, registration=registration, local=False)
    assert K.RESIDENCE_PERMIT in kinds(registration)
    assert registration.documents.get(kind=K.OWNER_ID).received_at is not None  # kept
    services.registration_set_case(
        actor=clerk, registration=registration, owner_kind="company", company_name="星河公司"
    )
    assert K.OWNER_ID not in kinds(registration) and K.BUSINESS_LICENCE in kinds(registration)
    assert AuditEntry.objects.filter(action="registration.case_changed").count() == 2


# ---------------------------------------------------------------- collecting


def test_receiving_a_document_records_holder_time_and_refuses_a_second_time(store_a, clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    at = timezone.now()
    doc = services.registration_document_receive(
        actor=clerk, registration=registration, kind=K.CONFORMITY_CERTIFICATE, holder="lender", now=at
    )
    assert (doc.holder, doc.received_at, doc.received_by) == ("lender", at, clerk)
    with pytest.raises(Conflict) as refused:
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.CONFORMITY_CERTIFICATE, holder="store"
        )
    assert refused.value.code == "document_already_received"
    assert "was already marked received on" in str(refused.value.message) and "吴芳" in str(refused.value.message)
    doc.refresh_from_db()
    assert doc.holder == "lender"  # unchanged
    assert AuditEntry.objects.filter(action="registration.document_received").count() == 1


def test_bad_document_input_is_refused_per_field(clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    with pytest.raises(ValidationError) as invalid:
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.MORTGAGE_DOCUMENTS, holder="lender"
        )
    assert "not on this registration's checklist" in invalid.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as invalid:
        services.registration_document_receive(actor=clerk, registration=registration, kind=K.OWNER_ID, holder="x")
    assert "holder" in invalid.value.message_dict
    assert not RegistrationDocument.objects.filter(received_at__isnull=False).exists()


def test_the_consultant_may_not_mark_documents(consultant, clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    with pytest.raises(NotPermitted):
        services.registration_document_receive(
            actor=consultant, registration=registration, kind=K.OWNER_ID, holder="customer"
        )


# ---------------------------------------------------------------- submitting


def test_submitting_is_refused_until_every_document_is_in(clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    services.registration_document_receive(actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer")
    with pytest.raises(TransitionRefused) as refused:
        services.registration_submit(actor=clerk, registration=registration)
    assert refused.value.code == "documents_missing"
    assert "Not all documents are in yet" in str(refused.value.message)
    assert refused.value.extra["missing"][0] == K.INVOICE_REGISTRATION_COPY
    registration.refresh_from_db()
    assert registration.status == S.COLLECTING_DOCUMENTS and registration.submitted_at is None
    receive_all(clerk, registration)
    services.registration_submit(actor=clerk, registration=registration, office="深圳市车管所福田分所")
    registration.refresh_from_db()
    assert registration.status == S.SUBMITTED and registration.submitted_at and registration.office
    assert Notification.objects.filter(kind="registration.submitted").count() == 1


def test_documents_cannot_be_marked_after_submission(clerk, order):
    registration = registration_at(clerk, order, S.SUBMITTED)
    RegistrationDocument.objects.filter(registration=registration, kind=K.OWNER_ID).update(
        received_at=None, holder="", received_by=None
    )
    with pytest.raises(TransitionRefused) as refused:
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer"
        )
    assert refused.value.code == "registration_not_collecting"


@pytest.mark.parametrize(
    ("status", "service", "code"),
    [
        (S.COLLECTING_DOCUMENTS, "complete", "registration_transition_refused"),
        (S.COLLECTING_DOCUMENTS, "plate", "registration_transition_refused"),
        (S.SUBMITTED, "submit", "registration_transition_refused"),
        (S.SUBMITTED, "complete", "registration_transition_refused"),
        (S.PLATE_ISSUED, "plate", "registration_transition_refused"),
        (S.PLATE_ISSUED, "cancel", "registration_transition_refused"),
        (S.COMPLETED, "complete", "registration_transition_refused"),
        (S.COMPLETED, "cancel", "registration_transition_refused"),
    ],
)
def test_refused_moves_say_why_and_change_nothing(clerk, order, status, service, code):
    registration = registration_at(clerk, order, status)
    calls = {
        "submit": lambda: services.registration_submit(actor=clerk, registration=registration),
        "complete": lambda: services.registration_complete(actor=clerk, registration=registration),
        "plate": lambda: services.registration_record_plate(
            actor=clerk, registration=registration, plate="粤B99999", licence_issued_on=YESTERDAY()
        ),
        "cancel": lambda: services.registration_cancel(actor=clerk, registration=registration, reason="x"),
    }
    before = AuditEntry.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        calls[service]()
    assert refused.value.code == code and "cannot become" in str(refused.value.message)
    registration.refresh_from_db()
    assert registration.status == status and AuditEntry.objects.count() == before


# ---------------------------------------------------------------- the plate


def test_the_plate_goes_to_the_stock_vehicle_and_the_customers_vehicles(clerk, order):
    registration = registration_at(clerk, order, S.SUBMITTED)
    services.registration_record_plate(
        actor=clerk, registration=registration, plate="粤b·d12345", licence_issued_on=YESTERDAY()
    )
    registration.refresh_from_db()
    # a new-energy plate is accepted and normalised
    assert registration.status == S.PLATE_ISSUED and registration.plate == "粤BD12345"
    assert StockVehicle.objects.get(pk=order.stock_vehicle_id).plate == "粤BD12345"
    owned = OwnedVehicle.objects.get(customer=order.customer)
    assert (owned.vin, owned.plate, owned.bought_here) == (order.stock_vehicle.vin, "粤BD12345", True)
    assert SearchToken.objects.filter(customer=order.customer, token__contains="BD12345").exists()
    assert Notification.objects.filter(kind="registration.plate_issued", body__contains="粤BD12345").exists()
    # handing over completes it
    services.registration_complete(actor=clerk, registration=registration)
    registration.refresh_from_db()
    assert registration.status == S.COMPLETED and registration.completed_at


def test_an_owned_vehicle_with_the_vin_gets_the_plate_instead_of_a_new_one(clerk, order):
    OwnedVehicle.objects.create(
        store_id=order.store_id, customer=order.customer, brand="星耀", vin=order.stock_vehicle.vin
    )
    registration = registration_at(clerk, order, S.PLATE_ISSUED, plate="粤B12345")
    assert registration.plate == "粤B12345"
    assert list(OwnedVehicle.objects.filter(customer=order.customer).values_list("plate", flat=True)) == ["粤B12345"]


@pytest.mark.parametrize("plate", ["粤B1234", "B12345", "粤BI2345", "粤B123456789", ""])
def test_a_plate_in_a_wrong_format_is_refused_with_the_format(clerk, order, plate):
    registration = registration_at(clerk, order, S.SUBMITTED)
    with pytest.raises(ValidationError) as invalid:
        services.registration_record_plate(
            actor=clerk, registration=registration, plate=plate, licence_issued_on=YESTERDAY()
        )
    assert "粤BD12345" in invalid.value.message_dict["plate"][0]
    assert StockVehicle.objects.get(pk=order.stock_vehicle_id).plate == ""
    assert not OwnedVehicle.objects.exists()


def test_a_licence_date_in_the_future_is_refused(clerk, order):
    registration = registration_at(clerk, order, S.SUBMITTED)
    with pytest.raises(ValidationError) as invalid:
        services.registration_record_plate(
            actor=clerk,
            registration=registration,
            plate="粤B12345",
            licence_issued_on=timezone.localdate() + datetime.timedelta(days=2),
        )
    assert "future" in invalid.value.message_dict["licence_issued_on"][0]


def test_a_plate_already_on_another_vehicle_is_a_conflict_and_nothing_is_written(store_a, clerk, order):
    StockVehicleFactory(store=store_a, is_demo=True, plate="粤B66666")
    registration = registration_at(clerk, order, S.SUBMITTED)
    with pytest.raises(Conflict) as refused:
        services.registration_record_plate(
            actor=clerk, registration=registration, plate="粤B 66666", licence_issued_on=YESTERDAY()
        )
    assert refused.value.code == "plate_in_use" and "粤B66666" in str(refused.value.message)
    registration.refresh_from_db()
    assert registration.status == S.SUBMITTED and registration.plate == ""
    assert not OwnedVehicle.objects.exists()


# ---------------------------------------------------------------- by the customer


def test_a_registration_by_the_customer_tracks_only_the_reported_plate(consultant, clerk, order):
    registration = services.registration_open(actor=consultant, order=order, by_customer=True)
    assert registration.by_customer and registration.target_on is None and registration.clerk is None
    assert not registration.documents.exists()
    with pytest.raises(TransitionRefused) as refused:
        services.registration_submit(actor=clerk, registration=registration)
    assert refused.value.code == "registration_by_customer"
    with pytest.raises(TransitionRefused):
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer"
        )
    # the consultant records the plate the customer reports: done
    services.registration_record_plate(
        actor=consultant, registration=registration, plate="粤BF12345", licence_issued_on=YESTERDAY()
    )
    registration.refresh_from_db()
    assert registration.status == S.COMPLETED and registration.plate == "粤BF12345"
    assert StockVehicle.objects.get(pk=order.stock_vehicle_id).plate == "粤BF12345"
    assert OwnedVehicle.objects.get(customer=order.customer).plate == "粤BF12345"


# ---------------------------------------------------------------- tracking


def test_the_target_is_recounted_from_delivery_by_the_periodic_duty(store_a, clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    delivered = timezone.now() + datetime.timedelta(days=3)
    order.status, order.delivered_at = OrderStatus.DELIVERED, delivered
    order.save(update_fields=["status", "delivered_at"])
    assert services.registrations_retarget() == 1
    assert services.registrations_retarget() == 0  # idempotent
    registration.refresh_from_db()
    assert registration.target_on == add_working_days(selectors.local_today(store_a, delivered), 15)
    assert registration.target_from_delivery


def test_the_store_target_is_configurable(store_a, make_staff, clerk, order):
    admin = make_staff("store_admin", store_a)
    with pytest.raises(NotPermitted):
        services.registration_policy_update(actor=clerk, store=store_a, target_working_days=10)
    with pytest.raises(ValidationError):
        services.registration_policy_update(actor=admin, store=store_a, target_working_days=0)
    services.registration_policy_update(actor=admin, store=store_a, target_working_days=10)
    now = timezone.now()
    registration = services.registration_open(actor=clerk, order=order, now=now)
    assert registration.target_on == add_working_days(selectors.local_today(store_a, now), 10)


def test_the_overdue_list_has_open_store_cases_past_their_target(store_a, clerk, consultant):
    def make(status, *, by_customer=False, days_late=3):
        order = OrderFactory(store=store_a, consultant=consultant)
        if by_customer:
            registration = services.registration_open(actor=consultant, order=order, by_customer=True)
        else:
            registration = registration_at(clerk, order, status)
        Registration.objects.filter(pk=registration.pk).update(
            target_on=timezone.localdate() - datetime.timedelta(days=days_late)
        )
        return registration

    late = make(S.COLLECTING_DOCUMENTS)
    late_submitted = make(S.SUBMITTED)
    make(S.COMPLETED)
    make(S.COLLECTING_DOCUMENTS, by_customer=True)
    make(S.SUBMITTED, days_late=-2)  # not yet due
    overdue = list(selectors.registration_overdue(clerk, [store_a]))
    assert {r.pk for r in overdue} == {late.pk, late_submitted.pk}
    assert all(selectors.is_overdue(r) for r in overdue)


def test_scoping_clerk_sees_the_store_consultant_their_own(store_a, store_b, make_staff, clerk, consultant, order):
    registration = services.registration_open(actor=clerk, order=order)
    other_consultant = make_staff("consultant", store_a)
    other_clerk = make_staff("admin_clerk", store_b)
    assert list(selectors.registration_visible_to(clerk)) == [registration]
    assert list(selectors.registration_visible_to(consultant)) == [registration]
    assert not selectors.registration_visible_to(other_consultant).exists()
    assert not selectors.registration_visible_to(other_clerk).exists()
    assert not selectors.registration_visible_to(make_staff("receptionist", store_a)).exists()


def test_every_step_is_on_the_customers_timeline(clerk, order):
    registration_at(clerk, order, S.COMPLETED)
    actions = set(AuditEntry.objects.filter(customer_id=order.customer_id).values_list("action", flat=True))
    assert {
        "registration.opened",
        "registration.document_received",
        "registration.submitted",
        "registration.plate_recorded",
        "registration.completed",
        "customer.vehicle_added",
    } <= actions


# ---------------------------------------------------------------- races


def test_two_clerks_opening_at_once_exactly_one_wins(committed_db, store_a, make_staff):
    clerks = [make_staff("admin_clerk", store_a) for _ in range(2)]
    order = OrderFactory(store=store_a, consultant=make_staff("consultant", store_a))
    errors: list[Exception] = []
    opened: list[int] = []
    barrier = threading.Barrier(2)

    def work(clerk):
        try:
            barrier.wait(timeout=5)
            opened.append(services.registration_open(actor=clerk, order=order).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(opened) == 1
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "registration_exists"
    assert Registration.objects.filter(order=order).count() == 1


# ---------------------------------------------------------------- overdue reminders and merges


def test_overdue_cases_remind_their_clerk_once_a_day(store_a, make_staff, clerk, consultant):
    late = registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), S.SUBMITTED)
    unassigned = registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), S.COLLECTING_DOCUMENTS)
    on_time = registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), S.COLLECTING_DOCUMENTS)
    other_clerk = make_staff("admin_clerk", store_a)
    past = timezone.localdate() - datetime.timedelta(days=4)
    Registration.objects.filter(pk__in=[late.pk, unassigned.pk]).update(target_on=past)
    Registration.objects.filter(pk=unassigned.pk).update(clerk=None)
    # when the duty runs twice the same day
    assert services.registrations_remind_overdue() == 2
    assert services.registrations_remind_overdue() == 0
    # then the responsible clerk hears about their case, every clerk about the unassigned one, nobody about on_time
    reminders = Notification.objects.filter(kind="registration.overdue")
    assert sorted((n.recipient_user_id, late.number in n.subject) for n in reminders) == sorted(
        [(clerk.pk, True), (clerk.pk, False), (other_clerk.pk, False)]
    )
    assert all("4 days ago" in n.body for n in reminders)
    assert not reminders.filter(subject__contains=on_time.number).exists()


def test_a_merged_customers_registrations_follow_the_survivor(store_a, manager, clerk, order):
    from dealerdesk.customers.merge import customer_merge

    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    survivor = CustomerFactory(store=store_a)
    customer_merge(actor=manager, survivor=survivor, merged=order.customer)
    registration.refresh_from_db()
    assert registration.customer_id == survivor.pk


def test_two_cases_racing_for_one_plate_exactly_one_gets_it(committed_db, store_a, make_staff):
    clerk = make_staff("admin_clerk", store_a)
    consultant = make_staff("consultant", store_a)
    cases = [registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), S.SUBMITTED) for _ in range(2)]
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def work(registration):
        try:
            barrier.wait(timeout=5)
            services.registration_record_plate(
                actor=clerk, registration=registration, plate="粤B88888", licence_issued_on=YESTERDAY()
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(r,)) for r in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "plate_in_use"
    assert StockVehicle.objects.filter(plate="粤B88888").count() == 1
    statuses = sorted(Registration.objects.filter(pk__in=[r.pk for r in cases]).values_list("status", flat=True))
    assert statuses == [S.PLATE_ISSUED, S.SUBMITTED]
    assert Registration.objects.filter(plate="粤B88888").count() == 1


def test_the_id_card_number_goes_to_the_customers_encrypted_record(store_a, clerk, order, make_staff):
    from dealerdesk.core.crypto import blind_index
    from dealerdesk.customers.services import ID_PURPOSE

    customer = order.customer
    assert not customer.id_number
    registration = services.registration_open(actor=clerk, order=order)
    # a wrong number is refused with the field named, and the document stays unreceived
    with pytest.raises(ValidationError) as invalid:
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer", id_number="110105194912310021"
        )
    assert "id_number" in invalid.value.message_dict
    assert registration.documents.get(kind=K.OWNER_ID).received_at is None
    # the clerk (no customer-editing right) records the number read from the card
    services.registration_document_receive(
        actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer", id_number="11010519491231002x"
    )
    customer.refresh_from_db()
    assert customer.id_number == "11010519491231002X"
    assert customer.id_number_index == blind_index("11010519491231002X", purpose=ID_PURPOSE)
    assert customer.birthday.isoformat() == "1949-12-31"
    entry = AuditEntry.objects.filter(action="customer.updated", target_id=str(customer.pk)).latest("id")
    assert entry.actor == clerk and "11010519491231002X" not in str(entry.diff)


def test_a_different_number_than_on_record_is_refused(store_a, clerk, order):
    from dealerdesk.core.errors import Conflict
    from dealerdesk.customers.services import customer_record_id_number

    customer_record_id_number(actor=clerk, customer=order.customer, id_number="11010519491231002X")
    registration = services.registration_open(actor=clerk, order=order)
    with pytest.raises(Conflict) as differs:
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer", id_number="44030519900101123X"
        )
    assert differs.value.code == "id_number_differs"
    # the same number again is fine
    services.registration_document_receive(
        actor=clerk, registration=registration, kind=K.OWNER_ID, holder="customer", id_number="11010519491231002X"
    )
