"""The core customer pages: list, search, register, the customer card and its forms."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from dealerdesk.core.audit import audit_record
from dealerdesk.core.models import AccessLog
from dealerdesk.customers import merge, services
from dealerdesk.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerNote,
    FollowUp,
    LossRequest,
    OwnedVehicle,
    PurchaseNeed,
)
from tests.customers.factories import CustomerFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
# A valid resident ID (check digit correct) and the same number with a wrong check digit.
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"


def zh(msgid: str) -> str:
    """The message as a Chinese user reads it."""
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def other_consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="赵敏")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="刘经理")


@pytest.fixture
def receptionist(store_a, make_staff):
    return make_staff("receptionist", store_a, full_name="李静")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def register(actor, store, name="张三丰", mobile="13912345678", **fields) -> Customer:
    return services.customer_create(actor=actor, store=store, name=name, mobile=mobile, **fields)


# ---------------------------------------------------------------- list


def test_consultant_sees_only_own_customers_and_manager_the_whole_store(
    store_a, store_b, consultant, other_consultant, manager, make_staff
):
    # given customers of two consultants in store A and one in store B
    CustomerFactory(store=store_a, owner=consultant, name="我的客户")
    CustomerFactory(store=store_a, owner=other_consultant, name="同事客户")
    CustomerFactory(store=store_b, owner=make_staff("consultant", store_b), name="外店客户")
    # when the consultant opens the list
    mine = client_for(consultant).get(reverse("customer_list")).content.decode()
    # then only their own customer is there
    assert "我的客户" in mine and "同事客户" not in mine and "外店客户" not in mine
    # when the manager opens it, every customer of the store is there, none of store B
    store = client_for(manager).get(reverse("customer_list")).content.decode()
    assert "我的客户" in store and "同事客户" in store and "外店客户" not in store


def test_list_shows_masked_mobiles_and_red_overdue_follow_ups(store_a, consultant):
    # given a customer whose follow-up is overdue
    CustomerFactory(
        store=store_a,
        owner=consultant,
        name="逾期客户",
        mobile="+8613912345678",
        next_follow_up_at=timezone.now() - timedelta(hours=3),
    )
    # when the list is shown
    html = client_for(consultant).get(reverse("customer_list")).content.decode()
    # then the mobile is masked and the follow-up is flagged
    assert "139****5678" in html and "13912345678" not in html
    assert "text-danger" in html


def test_list_filters_by_owner_grade_stage_and_source(store_a, consultant, other_consultant, manager):
    # given customers differing in owner, grade, stage and source
    CustomerFactory(store=store_a, owner=consultant, name="高意向", intent_grade="H", stage="prospect")
    CustomerFactory(store=store_a, owner=other_consultant, name="网络线索", source="autohome")
    CustomerFactory(store=store_a, owner=None, name="无主客户")
    client = client_for(manager)
    url = reverse("customer_list")

    def names(**params) -> set[str]:
        html = client.get(url, params).content.decode()
        return {n for n in ("高意向", "网络线索", "无主客户") if n in html}

    # then each filter narrows the list
    assert names(grade="H") == {"高意向"}
    assert names(stage="prospect") == {"高意向"}
    assert names(source="autohome") == {"网络线索"}
    assert names(owner=str(other_consultant.pk)) == {"网络线索"}
    assert names(owner="none") == {"无主客户"}
    assert names() == {"高意向", "网络线索", "无主客户"}


def test_list_filter_with_no_match_shows_an_empty_state(store_a, manager):
    CustomerFactory(store=store_a, name="某客户")
    response = client_for(manager).get(reverse("customer_list"), {"stage": "owner"})
    assert 'data-testid="empty-list"' in response.content.decode()


def test_list_pages_by_keyset_fifty_at_a_time(store_a, manager):
    # given 55 customers
    customers = [CustomerFactory(store=store_a, name=f"客户{i:02d}") for i in range(55)]
    client = client_for(manager)
    # when the first page is shown
    first = client.get(reverse("customer_list"))
    page = first.context["page"]
    # then it holds the 50 newest and a cursor to the rest
    assert [c.pk for c in page.items] == [c.pk for c in reversed(customers)][:50]
    assert page.next_cursor
    # when the next page is asked for
    second = client.get(reverse("customer_list"), {"after": page.next_cursor}).context["page"]
    # then the 5 oldest follow, and there is no further page
    assert [c.pk for c in second.items] == [c.pk for c in reversed(customers[:5])]
    assert second.next_cursor is None


def test_list_runs_a_fixed_number_of_queries(store_a, manager, consultant, django_assert_max_num_queries):
    # given a full page of customers with owners
    for _ in range(60):
        CustomerFactory(store=store_a, owner=consultant)
    client = client_for(manager)
    # then the list stays within a fixed query budget
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customer_list"), {"grade": "N"})
    assert len(response.context["page"].items) == 50


def test_reassign_form_is_offered_to_managers_only(store_a, manager, consultant):
    CustomerFactory(store=store_a, owner=consultant)
    manager_html = client_for(manager).get(reverse("customer_list")).content.decode()
    consultant_html = client_for(consultant).get(reverse("customer_list")).content.decode()
    assert 'name="customer_ids"' in manager_html and 'name="new_owner"' in manager_html
    assert 'name="customer_ids"' not in consultant_html


# ---------------------------------------------------------------- search


def test_search_by_pinyin_initials_via_post(store_a, consultant):
    # given a customer 欧阳测试
    CustomerFactory(store=store_a, owner=consultant, name="欧阳测试", mobile="+8613900001111")
    CustomerFactory(store=store_a, owner=consultant, name="张三")
    client = client_for(consultant)
    # when the consultant searches by initials with htmx
    response = client.post(reverse("customer_search"), {"q": "oycs"}, **HTMX)
    # then the fragment lists the customer with a masked mobile
    html = response.content.decode()
    assert response.status_code == 200
    assert "欧阳测试" in html and "张三" not in html
    assert "139****1111" in html
    assert "<html" not in html


def test_search_without_javascript_renders_the_whole_page(store_a, consultant):
    CustomerFactory(store=store_a, owner=consultant, name="欧阳测试")
    response = client_for(consultant).post(reverse("customer_search"), {"q": "欧阳"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "欧阳测试" in html


def test_search_too_broad_shows_the_message_in_place(store_a, consultant):
    response = client_for(consultant).post(reverse("customer_search"), {"q": "张"}, **HTMX)
    assert 'data-testid="search-error"' in response.content.decode()
    assert zh("Type at least 2 characters (2 Chinese characters, pinyin, 4 digits of a mobile, a plate or VIN).") in (
        response.content.decode()
    )


def test_search_only_finds_visible_customers(store_a, consultant, other_consultant):
    CustomerFactory(store=store_a, owner=other_consultant, name="欧阳别人")
    response = client_for(consultant).post(reverse("customer_search"), {"q": "oy"}, **HTMX)
    assert "欧阳别人" not in response.content.decode()


def test_search_is_post_only_so_the_term_never_lands_in_a_url(consultant):
    response = client_for(consultant).get(reverse("customer_search"), {"q": "oycs"})
    assert response.status_code == 405


# ---------------------------------------------------------------- register


def test_consultant_registers_a_customer_and_owns_it(store_a, consultant):
    # when a consultant registers a customer with consents
    response = client_for(consultant).post(
        reverse("customer_create"),
        {
            "name": "李四",
            "mobile": "139 1234 5678",
            "owner": str(consultant.pk),
            "source": "phone_in",
            "id_number": GOOD_ID,
            "consents": ["marketing_call", "share_oem"],
            "notice_version": "2026-01",
            "consent_channel": "in_person",
        },
    )
    # then they land on the card of a customer they own, with the consents and the first follow-up
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customer_detail", args=[customer.pk])
    assert customer.owner == consultant and customer.mobile == "+8613912345678" and customer.source == "phone_in"
    assert set(Consent.objects.filter(customer=customer).values_list("purpose", flat=True)) == {
        "marketing_call",
        "share_oem",
    }
    assert FollowUp.objects.filter(customer=customer, status="open").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "msgid"),
    [
        ("mobile", "12345", "Enter a valid mobile number, e.g. 138 0013 8000."),
        ("birthday", (date.today() + timedelta(days=30)).isoformat(), "The birthday cannot be in the future."),
        ("id_number", BAD_ID, "The resident ID number fails its check digit; check it for a typing mistake."),
    ],
)
def test_register_with_a_bad_field_shows_the_error_under_it_and_writes_nothing(
    store_a, consultant, field, value, msgid
):
    # given otherwise valid input
    data = {"name": "王五", "mobile": "13912345678", field: value}
    # when it is posted
    response = client_for(consultant).post(reverse("customer_create"), data)
    # then the page comes back with the message (in Chinese) under that field, and nothing was created
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [zh(msgid)]
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert Customer.objects.count() == 0


def test_register_without_name_and_mobile_names_both_fields(consultant):
    response = client_for(consultant).post(reverse("customer_create"), {"name": "", "mobile": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "mobile"}
    assert Customer.objects.count() == 0


def test_duplicate_mobile_links_to_the_existing_customer_and_creates_nothing(store_a, consultant):
    # given a customer with this mobile
    existing = register(consultant, store_a, name="老客户", mobile="13912345678")
    # when the same mobile is registered again
    response = client_for(consultant).post(
        reverse("customer_create"), {"name": "新名字", "mobile": "+86 139-1234-5678"}
    )
    # then the page offers the existing customer and no second record exists
    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="open-existing"' in html
    assert reverse("customer_detail", args=[existing.pk]) in html
    assert Customer.objects.count() == 1


def test_receptionist_quick_registers_and_lands_on_the_confirmation(store_a, receptionist, consultant):
    client = client_for(receptionist)
    # given the quick form: no ID number, no birthday
    form = client.get(reverse("customer_create")).context["form"]
    assert "id_number" not in form.fields and "birthday" not in form.fields and "owner" in form.fields
    # when the receptionist registers a walk-in for a consultant
    response = client.post(
        reverse("customer_create"),
        {"name": "欧阳测试", "mobile": "13912340000", "owner": str(consultant.pk), "consents": ["marketing_sms"]},
    )
    # then they land back on the form with a confirmation naming the consultant
    customer = Customer.objects.get()
    assert customer.owner == consultant and customer.created_by == receptionist
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'data-testid="registered"' in html and "王磊" in html and "139****0000" in html


def test_owner_must_be_a_consultant_of_the_store(store_a, receptionist):
    response = client_for(receptionist).post(
        reverse("customer_create"), {"name": "王五", "mobile": "13912345678", "owner": str(receptionist.pk)}
    )
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    assert Customer.objects.count() == 0


def test_user_of_two_stores_chooses_among_stores_where_they_may_edit(store_a, store_b, make_staff):
    manager = make_staff("sales_manager", store_a)
    from tests.factories import MembershipFactory

    MembershipFactory(user=manager, store=store_b, role="care_specialist")
    form = client_for(manager).get(reverse("customer_create")).context["form"]
    # one store only (care specialists do not register customers), so no store select
    assert "store" not in form.fields
    MembershipFactory(user=manager, store=store_b, role="sales_manager")
    form = client_for(manager).get(reverse("customer_create")).context["form"]
    assert {s.pk for s in form.fields["store"].queryset} == {store_a.pk, store_b.pk}


# ---------------------------------------------------------------- the customer card


def test_other_store_customer_is_not_found(store_b, manager, make_staff):
    customer = CustomerFactory(store=store_b, owner=make_staff("consultant", store_b))
    client = client_for(manager)
    assert client.get(reverse("customer_detail", args=[customer.pk])).status_code == 404
    assert client.post(reverse("customer_grade", args=[customer.pk]), {"grade": "H"}).status_code == 404


def test_consultant_cannot_open_a_colleagues_customer(store_a, consultant, other_consultant):
    customer = CustomerFactory(store=store_a, owner=other_consultant)
    assert client_for(consultant).get(reverse("customer_detail", args=[customer.pk])).status_code == 404


def test_owner_sees_the_full_card(store_a, consultant):
    customer = register(consultant, store_a, id_number=GOOD_ID)
    html = client_for(consultant).get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert "1101**********002X" in html and GOOD_ID not in html
    assert 'data-testid="reveal-mobile"' in html and 'data-testid="grade-form"' in html
    assert 'data-testid="timeline"' in html


def test_receptionist_sees_a_reduced_card_with_masked_mobile_and_no_reveal(store_a, receptionist, consultant):
    # given a customer with needs and a note
    customer = register(consultant, store_a, id_number=GOOD_ID)
    services.note_add(actor=consultant, customer=customer, body="喜欢SUV，预算三十万")
    # when the receptionist opens the card
    response = client_for(receptionist).get(reverse("customer_detail", args=[customer.pk]))
    html = response.content.decode()
    # then only name, masked mobile, owner and grade are there
    assert response.status_code == 200
    assert "张三丰" in html and "139****5678" in html and "王磊" in html and 'data-testid="grade-badge"' in html
    assert 'data-testid="reveal-mobile"' not in html
    assert "1101**********002X" not in html and "喜欢SUV" not in html and 'data-testid="timeline"' not in html


def test_reveal_returns_the_full_mobile_and_writes_the_access_log(store_a, consultant):
    customer = register(consultant, store_a)
    # when the owner reveals the mobile through htmx
    response = client_for(consultant).post(reverse("customer_reveal", args=[customer.pk, "mobile"]), **HTMX)
    # then the fragment holds the full number and the reveal is logged
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()
    log = AccessLog.objects.get()
    assert log.actor == consultant and log.kind == "reveal" and log.target_id == str(customer.pk)
    assert log.fields == ["mobile"]


def test_reveal_without_javascript_shows_the_card_with_the_value(store_a, consultant):
    customer = register(consultant, store_a, id_number=GOOD_ID)
    response = client_for(consultant).post(reverse("customer_reveal", args=[customer.pk, "id_number"]))
    assert response.status_code == 200 and GOOD_ID in response.content.decode()
    assert AccessLog.objects.filter(fields=["id_number"]).count() == 1


def test_reveal_of_a_customer_not_visible_is_not_found_and_logs_nothing(store_a, consultant, other_consultant):
    customer = register(other_consultant, store_a)
    response = client_for(consultant).post(reverse("customer_reveal", args=[customer.pk, "mobile"]), **HTMX)
    assert response.status_code == 404
    assert AccessLog.objects.count() == 0


def test_receptionist_may_not_reveal(store_a, consultant, receptionist):
    customer = register(consultant, store_a)
    response = client_for(receptionist).post(reverse("customer_reveal", args=[customer.pk, "mobile"]), **HTMX)
    assert response.status_code == 403 and "13912345678" not in response.content.decode()
    assert AccessLog.objects.count() == 0


def test_alias_redirects_to_the_survivor_after_a_merge(store_a, manager, consultant):
    survivor = register(consultant, store_a, name="张三", mobile="13912345678")
    merged = register(consultant, store_a, name="张三", mobile="13987654321")
    merge.customer_merge(actor=manager, survivor=survivor, merged=merged)
    response = client_for(manager).get(reverse("customer_detail", args=[merged.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[survivor.pk])


def test_detail_runs_a_fixed_number_of_queries(store_a, consultant, django_assert_max_num_queries):
    # given a customer with a long history
    customer = register(consultant, store_a, consents=["marketing_call"])
    now = timezone.now()
    FollowUp.objects.bulk_create(
        FollowUp(
            store=store_a,
            customer=customer,
            assignee=consultant,
            purpose="regular",
            due_at=now - timedelta(days=i),
            status="done",
            completed_at=now - timedelta(days=i),
            channel="phone",
            outcome="reached",
        )
        for i in range(1, 40)
    )
    PurchaseNeed.objects.bulk_create(
        PurchaseNeed(store=store_a, customer=customer, body_type="suv", is_current=i == 0) for i in range(25)
    )
    CustomerNote.objects.bulk_create(
        CustomerNote(store=store_a, customer=customer, author=consultant, body=f"备注{i}") for i in range(40)
    )
    OwnedVehicle.objects.bulk_create(OwnedVehicle(store=store_a, customer=customer, brand="星耀") for _ in range(10))
    ContactPoint.objects.bulk_create(
        ContactPoint(store=store_a, customer=customer, kind="wechat", value=f"wx{i}") for i in range(10)
    )
    for i in range(70):
        audit_record(actor=consultant, action="customer.graded", target=customer, diff={"intent_grade": ["N", "A"]})
    client = client_for(consultant)
    # then the card stays within a fixed budget
    with django_assert_max_num_queries(15):
        response = client.get(reverse("customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    from dealerdesk.customers.views import TIMELINE_SIZE

    assert len(response.context["timeline"]) == TIMELINE_SIZE == 60  # a whole sale, order to plate, fits


# ---------------------------------------------------------------- forms on the card


def test_completing_a_follow_up_schedules_the_next(store_a, consultant):
    customer = register(consultant, store_a)
    first = FollowUp.objects.get(customer=customer, status="open")
    client = client_for(consultant)
    # when the consultant completes it and grades the customer A
    response = client.post(
        reverse("followup_complete", args=[customer.pk, first.pk]),
        {f"fu{first.pk}-channel": "phone", f"fu{first.pk}-outcome": "reached", f"fu{first.pk}-new_grade": "A"},
    )
    # then it is done, the next one is open about a week later, and the card says so
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "done" and first.grade_after == "A"
    following = FollowUp.objects.get(customer=customer, status="open")
    assert timedelta(days=6) < following.due_at - timezone.now() <= timedelta(days=7)
    page = client.get(response["Location"]).content.decode()
    assert timezone.localtime(following.due_at).strftime("%Y-%m-%d %H:%M") in page


def test_completing_a_follow_up_without_outcome_shows_field_errors(store_a, consultant):
    customer = register(consultant, store_a)
    first = FollowUp.objects.get(customer=customer, status="open")
    response = client_for(consultant).post(
        reverse("followup_complete", args=[customer.pk, first.pk]), {f"fu{first.pk}-channel": "phone"}
    )
    assert response.status_code == 400
    _fid, form = next((f, form) for f, form in response.context["follow_up_forms"] if f.pk == first.pk)
    assert form.errors["outcome"] == [zh("Choose the outcome of the contact.")]
    first.refresh_from_db()
    assert first.status == "open"


def test_grade_change_reschedules_and_shows_in_the_timeline(store_a, consultant):
    customer = register(consultant, store_a)
    client = client_for(consultant)
    response = client.post(reverse("customer_grade", args=[customer.pk]), {"grade": "H"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.intent_grade == "H" and customer.stage == "prospect"
    html = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "N → H" in html


def test_unknown_grade_is_a_field_error(store_a, consultant):
    customer = register(consultant, store_a)
    response = client_for(consultant).post(reverse("customer_grade", args=[customer.pk]), {"grade": "Z"})
    assert response.status_code == 400 and "grade" in response.context["grade_form"].errors
    customer.refresh_from_db()
    assert customer.intent_grade == "N"


def test_request_lost_waits_for_manager_approval(store_a, consultant):
    customer = register(consultant, store_a)
    client = client_for(consultant)
    # when the consultant asks to mark the prospect lost
    response = client.post(
        reverse("customer_request_lost", args=[customer.pk]), {"reason": "bought_competitor", "competitor": "某品牌"}
    )
    # then a pending request exists and the card says it waits for approval
    assert response.status_code == 302
    assert LossRequest.objects.get(customer=customer).status == "pending"
    html = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="loss-pending"' in html and 'data-testid="lost-form"' not in html
    # and a second request is refused with a message, not a crash
    again = client.post(reverse("customer_request_lost", args=[customer.pk]), {"reason": "price"}, follow=True)
    assert LossRequest.objects.count() == 1
    assert zh("A loss request for this customer is already waiting for approval.") in again.content.decode()


def test_request_lost_with_other_needs_details(store_a, consultant):
    customer = register(consultant, store_a)
    response = client_for(consultant).post(reverse("customer_request_lost", args=[customer.pk]), {"reason": "other"})
    assert response.status_code == 400 and "notes" in response.context["loss_form"].errors
    assert LossRequest.objects.count() == 0


def test_vehicle_with_a_bad_vin_gets_the_specific_message(store_a, consultant):
    customer = register(consultant, store_a)
    client = client_for(consultant)
    response = client.post(
        reverse("customer_vehicle", args=[customer.pk]), {"brand": "星耀", "vin": "LSVAU2180N2O00001"}
    )
    assert response.status_code == 400
    assert "vin" in response.context["vehicle_form"].errors
    assert OwnedVehicle.objects.count() == 0
    response = client.post(reverse("customer_vehicle", args=[customer.pk]), {"brand": "星耀", "plate": "粤b·d12345"})
    assert response.status_code == 302
    assert OwnedVehicle.objects.get().plate == "粤BD12345"


def test_need_contact_note_and_consent_forms(store_a, consultant, other_consultant):
    customer = register(consultant, store_a, consents=["marketing_call"])
    client = client_for(consultant)
    # purchase needs: a new row becomes current, the old one history
    client.post(reverse("customer_need", args=[customer.pk]), {"body_type": "suv", "budget_max": "300000"})
    client.post(reverse("customer_need", args=[customer.pk]), {"body_type": "mpv", "seats": "7"})
    assert PurchaseNeed.objects.get(customer=customer, is_current=True).body_type == "mpv"
    assert PurchaseNeed.objects.filter(customer=customer).count() == 2
    # contact point: a bad email is a field error
    bad = client.post(reverse("customer_contact", args=[customer.pk]), {"kind": "email", "value": "not-an-email"})
    assert bad.status_code == 400 and "value" in bad.context["contact_form"].errors
    client.post(reverse("customer_contact", args=[customer.pk]), {"kind": "wechat", "value": "zsf_1990"})
    assert ContactPoint.objects.get(customer=customer).value == "zsf_1990"
    # note with a mention
    client.post(reverse("customer_note", args=[customer.pk]), {"body": f"@{other_consultant.username} 请协助"})
    assert CustomerNote.objects.get(customer=customer).mentions.get() == other_consultant
    empty = client.post(reverse("customer_note", args=[customer.pk]), {"body": "  "})
    assert empty.status_code == 400 and "body" in empty.context["note_form"].errors
    # consent: withdraw and grant
    client.post(reverse("customer_consent", args=[customer.pk]), {"purpose": "marketing_call", "action": "withdraw"})
    assert not Consent.objects.filter(customer=customer, withdrawn_at__isnull=True).exists()
    client.post(reverse("customer_consent", args=[customer.pk]), {"purpose": "share_oem", "action": "grant"})
    assert Consent.objects.get(customer=customer, withdrawn_at__isnull=True).purpose == "share_oem"
    bad_purpose = client.post(reverse("customer_consent", args=[customer.pk]), {"purpose": "spam", "action": "grant"})
    assert bad_purpose.status_code == 400


def test_receptionist_cannot_change_the_grade(store_a, consultant, receptionist):
    customer = register(consultant, store_a)
    response = client_for(receptionist).post(reverse("customer_grade", args=[customer.pk]), {"grade": "H"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.intent_grade == "N"


# ---------------------------------------------------------------- edit


def test_edit_changes_details_keeps_the_mobile_and_is_audited(store_a, consultant):
    customer = register(consultant, store_a)
    client = client_for(consultant)
    form = client.get(reverse("customer_edit", args=[customer.pk]))
    assert "13912345678" not in form.content.decode()
    response = client.post(
        reverse("customer_edit", args=[customer.pk]),
        {"name": "张三丰", "city": "深圳", "gender": "male", "source": "walk_in", "tags": "老客户, 置换"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.city == "深圳" and customer.tags == ["老客户", "置换"] and customer.mobile == "+8613912345678"
    from dealerdesk.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="customer.updated", target_id=str(customer.pk)).exists()


def test_edit_with_bad_id_number_shows_the_error(store_a, consultant):
    customer = register(consultant, store_a)
    response = client_for(consultant).post(
        reverse("customer_edit", args=[customer.pk]), {"name": "张三丰", "id_number": BAD_ID}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == [
        zh("The resident ID number fails its check digit; check it for a typing mistake.")
    ]
    customer.refresh_from_db()
    assert customer.id_number == ""


def test_edit_is_refused_to_a_receptionist_and_hidden_from_other_consultants(
    store_a, consultant, other_consultant, receptionist
):
    customer = register(consultant, store_a)
    assert client_for(receptionist).get(reverse("customer_edit", args=[customer.pk])).status_code == 403
    assert client_for(other_consultant).get(reverse("customer_edit", args=[customer.pk])).status_code == 404


# ---------------------------------------------------------------- CSRF


def test_post_without_csrf_token_is_refused(store_a, consultant):
    customer = register(consultant, store_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(consultant)
    response = client.post(reverse("customer_grade", args=[customer.pk]), {"grade": "H"})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.intent_grade == "N"
    assert client.post(reverse("customer_create"), {"name": "王五", "mobile": "13912340000"}).status_code == 403
    assert Customer.objects.count() == 1


def test_consultant_registering_for_a_colleague_goes_back_to_the_list(store_a, consultant, other_consultant):
    response = client_for(consultant).post(
        reverse("customer_create"), {"name": "王五", "mobile": "13912340000", "owner": str(other_consultant.pk)}
    )
    assert response.status_code == 302 and response["Location"] == reverse("customer_list")
    assert Customer.objects.get().owner == other_consultant
