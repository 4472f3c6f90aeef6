"""Customer services: collection with validation and dedup, grades and follow-ups, lost approval, handover,
consent, needs and vehicles — each refused move tested, nothing half-written."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers import services
from dealerdesk.customers.models import Consent, Customer, FollowUp, OwnerChange, PurchaseNeed, SearchToken
from dealerdesk.customers.services import DuplicateCustomer

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a)


def create(actor, store, **kw):
    kw.setdefault("name", "张三丰")
    kw.setdefault("mobile", "138 0013 8000")
    return services.customer_create(actor=actor, store=store, **kw)


# ------------------------------------------------------------- collection and validation


def test_minimal_customer_gets_normalised_mobile_owner_and_first_follow_up(store_a, consultant):
    before = timezone.now()
    customer = create(consultant, store_a, mobile="＋86 138-0013-8000")
    assert customer.mobile == "+8613800138000"
    assert customer.owner == consultant  # a consultant owns what they register
    assert (customer.stage, customer.intent_grade) == ("lead", "N")
    first = FollowUp.objects.get(customer=customer)
    assert first.purpose == "first_contact" and first.assignee == consultant
    assert before + timedelta(hours=23) < first.due_at <= timezone.now() + timedelta(hours=24)
    entry = AuditEntry.objects.get(action="customer.created")
    assert entry.actor == consultant and entry.store == store_a


def test_id_number_fills_birthday_and_gender_and_is_never_stored_in_plain_text(store_a, consultant):
    customer = create(consultant, store_a, id_number=VALID_ID)
    assert customer.birthday == date(1949, 12, 31)
    assert customer.gender == "female"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM customers_customer WHERE id = %s", [customer.pk])
        stored = cursor.fetchone()[0]
    assert VALID_ID not in stored and stored.startswith("v1.")
    assert Customer.objects.get(pk=customer.pk).id_number == VALID_ID
    created = AuditEntry.objects.get(action="customer.created")
    assert created.diff["id_number"] == ["***", "***"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("mobile", "12345", "mobile_invalid"),
        ("id_number", "110105194912310021", "id_invalid_checksum"),
        ("birthday", lambda: (timezone.localdate() + timedelta(days=1)).isoformat(), "future"),  # when it runs
        ("name", "  ", "required"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_writes_nothing(store_a, consultant, field, value, code):
    # a date is worked out as the test runs, not at collection: "tomorrow" must not become today at midnight
    kwargs = {field: value() if callable(value) else value}
    with pytest.raises(ValidationError) as refused:
        create(consultant, store_a, **kwargs)
    assert field in refused.value.error_dict
    assert refused.value.error_dict[field][0].code == code
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not FollowUp.objects.exists()


def test_duplicate_mobile_in_the_store_is_found_not_duplicated(store_a, consultant):
    first = create(consultant, store_a)
    with pytest.raises(DuplicateCustomer) as dup:
        create(consultant, store_a, name="张三", mobile="13800138000")
    assert dup.value.status == 409
    assert dup.value.as_dict()["existing_id"] == first.pk
    assert Customer.objects.count() == 1


def test_duplicate_id_number_is_found_by_blind_index(store_a, consultant):
    first = create(consultant, store_a, id_number=VALID_ID)
    with pytest.raises(DuplicateCustomer) as dup:
        create(consultant, store_a, name="李四", mobile="13900139000", id_number=VALID_ID.lower())
    assert dup.value.existing == first and dup.value.field == "id_number"


def test_same_mobile_in_another_store_is_a_different_customer(store_a, store_b, consultant, make_staff):
    create(consultant, store_a)
    other = create(make_staff("consultant", store_b), store_b)
    assert other.store == store_b


def test_receptionist_registers_for_a_consultant_who_is_notified(store_a, consultant, make_staff):
    reception = make_staff("receptionist", store_a)
    customer = create(reception, store_a, owner=consultant)
    assert customer.owner == consultant
    note = Notification.objects.get(recipient_user=consultant)
    assert "张三丰" in note.subject


def test_owner_must_be_a_consultant_of_the_store(store_a, store_b, manager, make_staff):
    with pytest.raises(DomainError) as refused:
        create(manager, store_a, owner=make_staff("consultant", store_b))
    assert refused.value.code == "invalid_owner"
    assert not Customer.objects.exists()


def test_care_specialist_cannot_register_customers(store_a, make_staff):
    with pytest.raises(NotPermitted):
        create(make_staff("care_specialist", store_a), store_a)


def test_update_is_audited_with_a_diff_and_reindexes_search(store_a, consultant):
    customer = create(consultant, store_a)
    services.customer_update(actor=consultant, customer=customer, name="张无忌", city="深圳")
    entry = AuditEntry.objects.get(action="customer.updated")
    assert entry.diff == {"name": ["张三丰", "张无忌"], "city": ["", "深圳"]}
    tokens = set(SearchToken.objects.filter(customer=customer).values_list("token", flat=True))
    assert "i:zwj" in tokens and "i:zsf" not in tokens


def test_another_consultant_cannot_edit_my_customer(store_a, consultant, make_staff):
    customer = create(consultant, store_a)
    with pytest.raises(NotPermitted):
        services.customer_update(actor=make_staff("consultant", store_a), customer=customer, city="x")


# ------------------------------------------------------------- grades and follow-ups


def test_grade_change_reschedules_by_the_grade_interval(store_a, consultant):
    customer = create(consultant, store_a)
    services.customer_set_grade(actor=consultant, customer=customer, grade="H")
    customer.refresh_from_db()
    assert (customer.stage, customer.intent_grade) == ("prospect", "H")
    open_ones = FollowUp.objects.filter(customer=customer, status="open")
    assert open_ones.count() == 1
    due = open_ones.get().due_at
    assert timedelta(hours=47) < due - timezone.now() <= timedelta(hours=48)
    assert customer.next_follow_up_at == due


def test_unknown_grade_is_refused(store_a, consultant):
    customer = create(consultant, store_a)
    with pytest.raises(DomainError) as refused:
        services.customer_set_grade(actor=consultant, customer=customer, grade="Z")
    assert refused.value.code == "invalid_grade"


def test_completing_a_follow_up_schedules_the_next_by_the_new_grade(store_a, consultant):
    customer = create(consultant, store_a)
    first = FollowUp.objects.get(customer=customer)
    done, nxt = services.followup_complete(
        actor=consultant, follow_up=first, channel="phone", outcome="reached", notes="想要SUV", new_grade="A"
    )
    assert done.status == "done" and done.grade_before == "N" and done.grade_after == "A"
    assert timedelta(days=6, hours=23) < nxt.due_at - timezone.now() <= timedelta(days=7)
    customer.refresh_from_db()
    assert customer.last_contact_at is not None
    assert FollowUp.objects.filter(customer=customer, status="open").count() == 1


def test_a_closed_follow_up_cannot_be_completed_again(store_a, consultant):
    customer = create(consultant, store_a)
    first = FollowUp.objects.get(customer=customer)
    services.followup_complete(actor=consultant, follow_up=first, channel="phone", outcome="reached")
    with pytest.raises(TransitionRefused):
        services.followup_complete(actor=consultant, follow_up=first, channel="phone", outcome="reached")


def test_follow_up_completion_needs_channel_and_outcome(store_a, consultant):
    customer = create(consultant, store_a)
    first = FollowUp.objects.get(customer=customer)
    with pytest.raises(ValidationError) as refused:
        services.followup_complete(actor=consultant, follow_up=first, channel="fax", outcome="")
    assert set(refused.value.error_dict) == {"channel", "outcome"}
    first.refresh_from_db()
    assert first.status == "open"


def test_no_marketing_follow_up_without_consent(store_a, consultant):
    customer = create(consultant, store_a)
    tomorrow = timezone.now() + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        services.followup_schedule(actor=consultant, customer=customer, due_at=tomorrow, purpose="marketing")
    assert refused.value.code == "no_marketing_consent"
    services.consent_grant(
        actor=consultant, customer=customer, purpose="marketing_call", channel="in_person", notice_version="2026-01"
    )
    planned = services.followup_schedule(actor=consultant, customer=customer, due_at=tomorrow, purpose="marketing")
    # withdrawing the consent cancels the marketing call at once
    services.consent_withdraw(actor=consultant, customer=customer, purpose="marketing_call")
    planned.refresh_from_db()
    assert planned.status == "cancelled"


def test_consent_is_recorded_once_per_purpose_and_withdrawal_keeps_history(store_a, consultant):
    customer = create(consultant, store_a, consents=["marketing_sms", "share_oem"])
    services.consent_withdraw(actor=consultant, customer=customer, purpose="share_oem")
    services.consent_grant(
        actor=consultant, customer=customer, purpose="share_oem", channel="paper", notice_version="2026-02"
    )
    rows = Consent.objects.filter(customer=customer, purpose="share_oem").order_by("id")
    assert [r.withdrawn_at is None for r in rows] == [False, True]
    assert rows.last().notice_version == "2026-02"


# ------------------------------------------------------------- stage moves, lost approval


def test_lost_needs_a_request_and_a_managers_approval(store_a, consultant, manager):
    customer = create(consultant, store_a)
    with pytest.raises(TransitionRefused):
        services.customer_change_stage(actor=consultant, customer=customer, stage="lost")
    request = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    with pytest.raises(NotPermitted):
        services.loss_request_decide(actor=consultant, request=request, approve=True)
    services.loss_request_decide(actor=manager, request=request, approve=True)
    customer.refresh_from_db()
    assert customer.stage == "lost"
    assert not FollowUp.objects.filter(customer=customer, status="open").exists()
    assert Notification.objects.filter(recipient_user=consultant, kind="customer.loss_decided").exists()


def test_loss_request_needs_a_reason_and_other_needs_details(store_a, consultant):
    customer = create(consultant, store_a)
    with pytest.raises(ValidationError):
        services.customer_request_lost(actor=consultant, customer=customer, reason="")
    with pytest.raises(ValidationError) as refused:
        services.customer_request_lost(actor=consultant, customer=customer, reason="other")
    assert "notes" in refused.value.error_dict


def test_second_pending_loss_request_is_a_conflict(store_a, consultant):
    customer = create(consultant, store_a)
    services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    with pytest.raises(Conflict):
        services.customer_request_lost(actor=consultant, customer=customer, reason="price")


def test_rejection_needs_a_note_and_keeps_the_stage(store_a, consultant, manager):
    customer = create(consultant, store_a)
    request = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    with pytest.raises(ValidationError):
        services.loss_request_decide(actor=manager, request=request, approve=False)
    services.loss_request_decide(actor=manager, request=request, approve=False, note="再跟进一次")
    customer.refresh_from_db()
    assert customer.stage == "lead"


@pytest.mark.parametrize(("start", "to"), [("lead", "owner"), ("owner", "prospect"), ("prospect", "lead")])
def test_refused_stage_moves(store_a, consultant, start, to):
    customer = create(consultant, store_a)
    Customer.objects.filter(pk=customer.pk).update(stage=start)
    with pytest.raises(TransitionRefused):
        services.customer_change_stage(actor=consultant, customer=customer, stage=to)


def test_lost_customer_comes_back_as_prospect_on_new_contact(store_a, consultant):
    customer = create(consultant, store_a)
    Customer.objects.filter(pk=customer.pk).update(stage="lost")
    services.customer_change_stage(actor=consultant, customer=customer, stage="prospect")
    customer.refresh_from_db()
    assert customer.stage == "prospect"
    assert FollowUp.objects.filter(customer=customer, status="open").exists()


# ------------------------------------------------------------- handover


def test_manager_reassigns_many_customers_with_a_reason(store_a, consultant, manager, make_staff):
    newcomer = make_staff("consultant", store_a)
    customers = [create(consultant, store_a, mobile=f"1390013900{i}") for i in range(3)]
    moved = services.customers_assign(actor=manager, customers=customers, new_owner=newcomer, reason="顾问离职")
    assert moved == 3
    assert OwnerChange.objects.filter(to_owner=newcomer, reason="顾问离职").count() == 3
    assert set(FollowUp.objects.filter(status="open").values_list("assignee", flat=True)) == {newcomer.pk}
    assert Notification.objects.filter(recipient_user=newcomer, kind="customer.assigned").count() == 1


def test_consultant_cannot_reassign_and_reason_is_required(store_a, consultant, manager, make_staff):
    customer = create(consultant, store_a)
    other = make_staff("consultant", store_a)
    with pytest.raises(NotPermitted):
        services.customers_assign(actor=consultant, customers=[customer], new_owner=other, reason="x")
    with pytest.raises(ValidationError):
        services.customers_assign(actor=manager, customers=[customer], new_owner=other, reason=" ")
    customer.refresh_from_db()
    assert customer.owner == consultant


# ------------------------------------------------------------- needs, vehicles, notes


def test_needs_keep_history(store_a, consultant):
    customer = create(consultant, store_a)
    services.need_record(actor=consultant, customer=customer, budget_min=150000, budget_max=200000, body_type="suv")
    services.need_record(
        actor=consultant, customer=customer, budget_min=200000, budget_max=250000, energy_types=["bev"]
    )
    needs = PurchaseNeed.objects.filter(customer=customer).order_by("id")
    assert [n.is_current for n in needs] == [False, True]


def test_needs_budget_order_is_checked(store_a, consultant):
    customer = create(consultant, store_a)
    with pytest.raises(ValidationError) as refused:
        services.need_record(actor=consultant, customer=customer, budget_min=300000, budget_max=200000)
    assert "budget_max" in refused.value.error_dict
    assert not PurchaseNeed.objects.exists()


def test_vehicle_plate_and_vin_are_validated_and_searchable(store_a, consultant):
    customer = create(consultant, store_a)
    with pytest.raises(ValidationError) as refused:
        services.vehicle_add(actor=consultant, customer=customer, brand="比亚迪", plate="粤X", vin="LSVAU2180N2O12345")
    assert {"plate", "vin"} <= set(refused.value.error_dict)
    services.vehicle_add(actor=consultant, customer=customer, brand="比亚迪", plate="粤B·D12345")
    assert SearchToken.objects.filter(customer=customer, token="l:粤BD12345").exists()


def test_mention_notifies_a_colleague_of_the_store_only(store_a, store_b, consultant, make_staff):
    customer = create(consultant, store_a)
    colleague = make_staff("sales_manager", store_a, username="zhangwei")
    make_staff("sales_manager", store_b, username="outsider")
    services.note_add(actor=consultant, customer=customer, body="@zhangwei 请帮忙报价 @outsider")
    assert Notification.objects.filter(recipient_user=colleague, kind="customer.mentioned").exists()
    assert not Notification.objects.filter(recipient_user__username="outsider").exists()


def test_an_unowned_customer_goes_to_the_consultant_who_serves_them_once(store_a, make_staff):
    reception = make_staff("receptionist", store_a)
    customer = create(reception, store_a)
    assert customer.owner is None
    first, second = make_staff("consultant", store_a), make_staff("consultant", store_a)
    assert services.customer_claim_unowned(actor=reception, customer=customer, consultant=first, reason="visit")
    assert not services.customer_claim_unowned(actor=reception, customer=customer, consultant=second, reason="visit")
    customer.refresh_from_db()
    assert customer.owner == first
    assert FollowUp.objects.get(customer=customer, status="open").assignee == first


def test_a_follow_up_goes_to_the_named_caller_only_if_they_make_calls_in_the_store(
    store_a, store_b, consultant, make_staff
):
    customer = create(consultant, store_a)
    tomorrow = timezone.now() + timedelta(days=1)
    care = make_staff("care_specialist", store_a)
    # a care specialist of the store takes the call
    planned = services.followup_schedule(actor=consultant, customer=customer, due_at=tomorrow, assignee=care)
    assert planned.assignee_id == care.pk
    # a clerk of the store or a care specialist of another store does not
    for outsider in (make_staff("admin_clerk", store_a), make_staff("care_specialist", store_b)):
        with pytest.raises(DomainError) as refused:
            services.followup_schedule(actor=consultant, customer=customer, due_at=tomorrow, assignee=outsider)
        assert refused.value.code == "invalid_assignee"
    assert customer.follow_ups.filter(assignee_id=care.pk).count() == 1


def test_a_public_page_registers_a_lead_once_and_finds_a_known_mobile_even_as_an_extra_contact(store_a, consultant):
    from dealerdesk.core.models import AuditEntry

    # a new mobile becomes a lead with its first contact due, audited by the system
    lead = services.customer_register_lead(store=store_a, name="林小雨", mobile="13912340001", source="website")
    assert lead.stage == "lead" and lead.follow_ups.filter(purpose="first_contact").count() == 1
    assert AuditEntry.objects.filter(action="customer.created", target_id=str(lead.pk), actor=None).exists()
    # the same mobile again is the same customer
    again = services.customer_register_lead(store=store_a, name="林小雨", mobile="139 1234 0001", source="website")
    assert again.pk == lead.pk
    # a mobile known as another customer's extra contact point finds that customer
    known = create(consultant, store_a)
    services.contact_point_add(actor=consultant, customer=known, kind="mobile", value="13912340002")
    found = services.customer_register_lead(store=store_a, name="别名", mobile="13912340002", source="website")
    assert found.pk == known.pk
    # a bad mobile is refused with the field named, nothing written
    with pytest.raises(ValidationError) as refused:
        services.customer_register_lead(store=store_a, name="王", mobile="12345", source="website")
    assert "mobile" in refused.value.message_dict


def test_a_paid_deposit_grades_the_customer_o_by_rule(store_a, make_staff):
    from tests.customers.factories import CustomerFactory

    consultant = make_staff("consultant", store_a)
    cashier = make_staff("admin_clerk", store_a)  # records payments, may not edit the customer
    customer = CustomerFactory(store=store_a, owner=consultant, intent_grade="H", stage="ordered")
    customer = services.customer_grade_deposit_paid(actor=cashier, customer=customer)
    customer.refresh_from_db()
    assert customer.intent_grade == "O"
    entry = AuditEntry.objects.get(action="customer.graded", target_id=str(customer.pk))
    assert entry.diff["intent_grade"] == ["H", "O"] and entry.actor == cashier
    # O's weekly follow-up replaces H's two-day one
    follow_up = FollowUp.objects.get(customer=customer, status="open")
    assert timedelta(days=6) < follow_up.due_at - timezone.now() <= timedelta(days=7)
    # a second deposit payment changes nothing
    services.customer_grade_deposit_paid(actor=cashier, customer=customer)
    assert AuditEntry.objects.filter(action="customer.graded", target_id=str(customer.pk)).count() == 1
