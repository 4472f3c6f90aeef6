"""The customers and follow-ups API: scoping (not visible → 404), filters, keyset pages, create with dedup and
Idempotency-Key, search in the body, logged reveals, every action's happy path and one refused path, the schema."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from dealerdesk.core.models import AccessLog
from dealerdesk.customers import services
from dealerdesk.customers.models import Consent, Customer, FollowUp
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
FOLLOW_UPS = "/api/v1/follow-ups/"
ID = "11010519491231002X"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def colleague(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a)


@pytest.fixture
def receptionist(store_a, make_staff):
    return make_staff("receptionist", store_a)


@pytest.fixture
def as_user(api):
    def sign_in(user):
        api.force_authenticate(user=user)
        return api

    return sign_in


def register(actor, store, **fields):
    fields.setdefault("name", "张三丰")
    fields.setdefault("mobile", "13800138000")
    return services.customer_create(actor=actor, store=store, **fields)


def detail(customer_or_id, suffix=""):
    pk = getattr(customer_or_id, "pk", customer_or_id)
    return f"{URL}{pk}/{suffix}"


# ---------------------------------------------------------------- list, retrieve, scoping


def test_consultant_lists_only_own_customers_a_manager_the_whole_store(
    store_a, store_b, consultant, colleague, manager, as_user, django_assert_max_num_queries
):
    # given customers of two consultants in store A and one in store B
    mine = CustomerFactory(store=store_a, owner=consultant)
    theirs = CustomerFactory(store=store_a, owner=colleague)
    CustomerFactory(store=store_b)

    # when the consultant lists customers
    with django_assert_max_num_queries(3):
        response = as_user(consultant).get(URL)

    # then only their own come back, masked
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["mobile"].count("*") == 4

    # and a manager sees the whole store, never store B
    rows = as_user(manager).get(URL).json()["results"]
    assert {row["id"] for row in rows} == {mine.pk, theirs.pk}


def test_retrieve_is_scoped_another_store_or_another_consultant_is_404(
    store_a, store_b, consultant, colleague, manager, make_staff, as_user, django_assert_max_num_queries
):
    # given a customer of store A owned by the consultant, and one of store B
    customer = register(consultant, store_a, id_number=ID)
    other_store = CustomerFactory(store=store_b)

    # when the owner opens it, in a fixed number of queries
    with django_assert_max_num_queries(3):
        response = as_user(consultant).get(detail(customer))

    # then every glossary field is there, personal data masked
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "name", "gender", "birthday", "mobile", "id_number", "source", "campaign", "city", "occupation",
        "employer", "notes", "tags", "stage", "intent_grade", "owner", "store", "next_follow_up_at", "created_at",
    }  # fmt: skip
    assert (body["mobile"], body["id_number"]) == ("138****8000", "1101**********002X")
    assert (body["owner"], body["store"], body["birthday"]) == (consultant.pk, store_a.pk, "1949-12-31")

    # and a colleague, a store-B manager and anyone asking for a store-B customer get 404
    assert as_user(colleague).get(detail(customer)).status_code == 404
    assert as_user(make_staff("sales_manager", store_b)).get(detail(customer)).status_code == 404
    assert as_user(manager).get(detail(other_store)).status_code == 404
    assert as_user(manager).post(detail(other_store, "grade/"), {"intent_grade": "H"}, format="json").status_code == 404
    assert as_user(manager).get(detail("abc")).status_code == 404


def test_list_filters(store_a, store_b, consultant, colleague, manager, make_staff, as_user):
    # given customers differing by owner, grade, stage, source and store
    a = CustomerFactory(store=store_a, owner=consultant, intent_grade="H", stage="prospect", source="website")
    b = CustomerFactory(store=store_a, owner=colleague, intent_grade="A", stage="lead", source="walk_in")
    c = CustomerFactory(store=store_b, owner=None, intent_grade="H", stage="prospect", source="website")
    group_admin = make_staff("group_admin", store_a)

    def ids(user, query):
        response = as_user(user).get(URL, query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    # then each filter narrows the visible customers
    assert ids(manager, {"owner": consultant.pk}) == {a.pk}
    assert ids(manager, {"intent_grade": "A"}) == {b.pk}
    assert ids(manager, {"stage": "prospect"}) == {a.pk}
    assert ids(manager, {"source": "walk_in"}) == {b.pk}
    assert ids(group_admin, {"store": store_b.pk}) == {c.pk}
    assert ids(group_admin, {"intent_grade": "H", "source": "website"}) == {a.pk, c.pk}
    # and a filter never widens the scope
    assert ids(manager, {"store": store_b.pk}) == set()
    # and a bad filter value is a 400 keyed by the filter
    response = as_user(manager).get(URL, {"stage": "nonsense"})
    assert response.status_code == 400 and "stage" in response.json()


def test_keyset_pages_newest_first_without_a_count(store_a, manager, as_user):
    # given five customers
    created = [CustomerFactory(store=store_a) for _ in range(5)]
    client = as_user(manager)

    # when paging two at a time
    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    # then pages follow newest first, no total is counted, and the last page has no next
    assert "count" not in first
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == [c.pk for c in reversed(created)]
    assert third["next"] is None and third["previous"]


# ---------------------------------------------------------------- create and update


def test_create_answers_201_with_the_masked_mobile_and_stores_the_full_one(store_a, consultant, as_user):
    # when a consultant registers a customer with full values
    payload = {"name": "李四", "mobile": "139 1234 5678", "id_number": ID, "tags": ["SUV"], "source": "website"}
    response = as_user(consultant).post(URL, payload, format="json")

    # then the answer masks them and the consultant owns the customer
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["mobile"], body["id_number"]) == ("139****5678", "1101**********002X")
    assert (body["owner"], body["store"], body["stage"], body["tags"]) == (consultant.pk, store_a.pk, "lead", ["SUV"])
    stored = Customer.objects.get(pk=body["id"])
    assert (stored.mobile, stored.id_number) == ("+8613912345678", ID)


def test_create_with_an_invalid_mobile_is_400_keyed_mobile_in_chinese(store_a, consultant, as_user):
    # when the mobile is not a number, asked in Chinese
    response = as_user(consultant).post(
        URL, {"name": "李四", "mobile": "12345"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    # then the message is keyed by the field, in Chinese, and nothing is written
    assert response.status_code == 400
    assert CJK.search(response.json()["mobile"][0])
    assert not Customer.objects.exists()


def test_create_needs_a_store_when_the_caller_works_in_several(store_a, store_b, consultant, as_user):
    # given a consultant of two stores
    from tests.factories import MembershipFactory

    MembershipFactory(user=consultant, store=store_b, role="consultant")

    # when no store is given, then the store field is asked for
    response = as_user(consultant).post(URL, {"name": "李四", "mobile": "13912345678"}, format="json")
    assert response.status_code == 400 and "store" in response.json()
    # and with the store it is created there
    response = as_user(consultant).post(
        URL, {"name": "李四", "mobile": "13912345678", "store": store_b.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["store"] == store_b.pk


def test_duplicate_mobile_is_409_with_the_existing_id(store_a, consultant, as_user):
    # given a customer with this mobile
    existing = register(consultant, store_a)

    # when another is registered with the same number in another notation
    response = as_user(consultant).post(URL, {"name": "张三", "mobile": "+86 138-0013-8000"}, format="json")

    # then 409 names the existing customer and the field
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["existing_id"], body["field"]) == ("duplicate_customer", existing.pk, "mobile")
    assert body["detail"]
    assert Customer.objects.count() == 1


def test_idempotency_key_replay_returns_the_first_answer_and_creates_once(store_a, consultant, as_user):
    client = as_user(consultant)
    payload = {"name": "王五", "mobile": "13700137000"}

    # when the same create is sent twice with one key
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")

    # then both answers are the same 201 and one customer exists
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Customer.objects.count() == 1
    # and the key cannot be reused for another body
    other = client.post(URL, {"name": "赵六", "mobile": "13600136000"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Customer.objects.count() == 1


def test_patch_changes_details_and_a_receptionist_may_not(store_a, consultant, receptionist, as_user):
    customer = register(consultant, store_a)

    # when the owner changes the city
    response = as_user(consultant).patch(detail(customer), {"city": "深圳", "birthday": "1990-05-01"}, format="json")

    # then it is saved
    assert response.status_code == 200, response.json()
    assert (response.json()["city"], response.json()["birthday"]) == ("深圳", "1990-05-01")
    # and a bad mobile is keyed by field; a receptionist may not edit someone else's customer
    bad = as_user(consultant).patch(detail(customer), {"mobile": "123"}, format="json")
    assert bad.status_code == 400 and "mobile" in bad.json()
    refused = as_user(receptionist).patch(detail(customer), {"city": "广州"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    assert Customer.objects.get().city == "深圳"


# ---------------------------------------------------------------- search and reveal


def test_search_is_a_post_and_one_character_is_too_short(store_a, store_b, consultant, as_user):
    # given two customers of the consultant and one of store B with the same name
    zhang = register(consultant, store_a)
    register(consultant, store_a, name="李四", mobile="13912345678")
    CustomerFactory(store=store_b, name="张三丰")
    client = as_user(consultant)

    # when searching by name, pinyin initials and mobile tail
    for q in ("张三", "zsf", "8000"):
        response = client.post(f"{URL}search/", {"q": q}, format="json")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [zhang.pk]
    assert response.json()["results"][0]["mobile"] == "138****8000"

    # then one character is refused with a code
    short = client.post(f"{URL}search/", {"q": "张"}, format="json")
    assert short.status_code == 400 and short.json()["code"] == "search_too_short"
    # and the search is never a GET with the term in the URL
    assert client.get(f"{URL}search/", {"q": "张三"}).status_code == 405


def test_reveal_writes_the_access_log_and_a_receptionist_gets_403(store_a, consultant, receptionist, as_user):
    customer = register(consultant, store_a, id_number=ID)

    # when the owner reveals the mobile and the ID number
    mobile = as_user(consultant).post(detail(customer, "reveal/"), {"field": "mobile", "reason": "回访"}, format="json")
    id_number = as_user(consultant).post(detail(customer, "reveal/"), {"field": "id_number"}, format="json")

    # then the full values come back, uncached, and both are logged
    assert mobile.status_code == 200
    assert mobile.json() == {"field": "mobile", "value": "+8613800138000"}
    assert mobile["Cache-Control"] == "no-store"
    assert id_number.json()["value"] == ID
    logs = list(AccessLog.objects.order_by("id"))
    assert [(log.actor, log.kind, log.fields, log.reason) for log in logs] == [
        (consultant, "reveal", ["mobile"], "回访"),
        (consultant, "reveal", ["id_number"], ""),
    ]

    # and a receptionist, who sees the card, is refused and nothing is logged
    refused = as_user(receptionist).post(detail(customer, "reveal/"), {"field": "mobile"}, format="json")
    assert refused.status_code == 403
    assert AccessLog.objects.count() == 2
    # and an unknown field is keyed by field
    assert as_user(consultant).post(detail(customer, "reveal/"), {"field": "name"}, format="json").status_code == 400


# ---------------------------------------------------------------- timeline, grade, assign


def test_timeline_lists_the_customers_audit_entries_newest_first_with_mobiles_masked(
    store_a, consultant, as_user, django_assert_max_num_queries
):
    # given a registered, graded customer whose mobile changed
    customer = register(consultant, store_a)
    services.customer_set_grade(actor=consultant, customer=customer, grade="H")
    services.customer_update(actor=consultant, customer=customer, mobile="13912345678")

    # when the owner reads the timeline
    with django_assert_max_num_queries(3):
        response = as_user(consultant).get(detail(customer, "timeline/"))

    # then the entries come newest first, labelled, with the mobile masked in the change

    assert response.status_code == 200
    entries = response.json()["results"]
    assert [e["action"] for e in entries] == ["customer.updated", "customer.graded", "customer.created"]
    assert entries[0]["diff"]["mobile"] == ["138****8000", "139****5678"]
    assert entries[1]["diff"] == {"intent_grade": ["N", "H"]}
    assert all(e["label"] and e["label"] != e["action"] for e in entries)
    assert (entries[0]["actor"], entries[0]["actor_id"]) == (str(consultant), consultant.pk)
    assert entries[0]["time"]


def test_grade_reschedules_and_an_unknown_grade_is_refused(store_a, consultant, as_user):
    customer = register(consultant, store_a)

    # when the consultant grades the customer H
    response = as_user(consultant).post(detail(customer, "grade/"), {"intent_grade": "h"}, format="json")

    # then grade and stage change and the next follow-up is two days out
    assert response.status_code == 200
    body = response.json()
    assert (body["intent_grade"], body["stage"]) == ("H", "prospect")
    open_follow_up = FollowUp.objects.get(customer=customer, status="open")
    assert open_follow_up.due_at > timezone.now() + timedelta(hours=47)

    # and an unknown grade is refused with its code and field
    refused = as_user(consultant).post(detail(customer, "grade/"), {"intent_grade": "Z"}, format="json")
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_grade", "intent_grade")
    assert Customer.objects.get().intent_grade == "H"


def test_assign_hands_over_and_a_consultant_may_not(
    store_a, store_b, consultant, colleague, manager, make_staff, as_user
):
    customer = register(consultant, store_a)

    # when the manager hands the customer to a colleague
    response = as_user(manager).post(
        detail(customer, "assign/"), {"owner": colleague.pk, "reason": "休假"}, format="json"
    )

    # then the owner changes
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == colleague.pk
    assert FollowUp.objects.get(customer=customer, status="open").assignee == colleague

    # and a consultant may not reassign, a missing reason and a stranger as owner are keyed by field
    refused = as_user(colleague).post(
        detail(customer, "assign/"), {"owner": consultant.pk, "reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    no_reason = as_user(manager).post(
        detail(customer, "assign/"), {"owner": consultant.pk, "reason": ""}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    stranger = make_staff("consultant", store_b)
    outsider = as_user(manager).post(detail(customer, "assign/"), {"owner": stranger.pk, "reason": "x"}, format="json")
    assert outsider.status_code == 400 and "owner" in outsider.json()
    receptionist = make_staff("receptionist", store_a)
    not_sales = as_user(manager).post(
        detail(customer, "assign/"), {"owner": receptionist.pk, "reason": "x"}, format="json"
    )
    assert not_sales.status_code == 400
    assert (not_sales.json()["code"], not_sales.json()["field"]) == ("invalid_owner", "owner")
    assert Customer.objects.get().owner == colleague


# ---------------------------------------------------------------- consents


def test_consents_grant_list_withdraw_and_a_receptionist_may_not(store_a, consultant, receptionist, as_user):
    customer = register(consultant, store_a)
    client = as_user(consultant)
    grant = {"purpose": "marketing_sms", "action": "grant", "channel": "paper", "notice_version": "2026-01"}

    # when the owner records a consent
    granted = client.post(detail(customer, "consents/"), grant, format="json")

    # then the list shows it active
    assert granted.status_code == 200, granted.json()
    [row] = granted.json()["results"]
    assert (row["purpose"], row["channel"], row["notice_version"], row["is_active"]) == (
        "marketing_sms",
        "paper",
        "2026-01",
        True,
    )
    assert client.get(detail(customer, "consents/")).json()["results"] == granted.json()["results"]

    # and withdrawing it keeps the record, inactive
    withdrawn = client.post(
        detail(customer, "consents/"), {"purpose": "marketing_sms", "action": "withdraw"}, format="json"
    )
    [row] = withdrawn.json()["results"]
    assert row["is_active"] is False and row["withdrawn_at"]

    # and a receptionist may not record consents for someone else's customer; bad input is keyed by field
    refused = as_user(receptionist).post(detail(customer, "consents/"), grant, format="json")
    assert refused.status_code == 403
    client = as_user(consultant)
    bad = client.post(detail(customer, "consents/"), {**grant, "purpose": "spam"}, format="json")
    assert bad.status_code == 400 and "purpose" in bad.json()
    no_notice = client.post(detail(customer, "consents/"), {**grant, "notice_version": " "}, format="json")
    assert no_notice.status_code == 400 and "notice_version" in no_notice.json()
    assert Consent.objects.count() == 1


# ---------------------------------------------------------------- merge, subject export, erase


def test_merge_keeps_the_url_customer_and_the_alias_redirects(store_a, consultant, manager, as_user):
    survivor = register(consultant, store_a)
    duplicate = register(consultant, store_a, name="张三", mobile="13912345678", city="深圳")

    # when a manager merges the duplicate into the survivor
    response = as_user(manager).post(detail(survivor, "merge/"), {"merged_id": duplicate.pk}, format="json")

    # then the survivor answers with the gaps filled, and the alias redirects to it
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["city"]) == (survivor.pk, "深圳")
    alias = as_user(manager).get(detail(duplicate))
    assert alias.status_code == 301 and alias["Location"] == detail(survivor)
    assert duplicate.pk not in {row["id"] for row in as_user(manager).get(URL).json()["results"]}

    # and merging again is refused, and a consultant may not merge
    again = as_user(manager).post(detail(survivor, "merge/"), {"merged_id": duplicate.pk}, format="json")
    assert again.status_code == 400 and "merged_id" in again.json()
    third = register(consultant, store_a, name="张三三", mobile="13712345678")
    refused = as_user(consultant).post(detail(survivor, "merge/"), {"merged_id": third.pk}, format="json")
    assert refused.status_code == 403
    assert Customer.objects.get(pk=third.pk).merged_into_id is None


def test_subject_export_json_and_xlsx_logged_and_refused_for_a_consultant(store_a, consultant, manager, as_user):
    customer = register(consultant, store_a, id_number=ID)

    # when a manager exports the person's data as JSON
    response = as_user(manager).get(detail(customer, "subject-export/"), {"format": "json"})

    # then the document holds the full data, uncached, and the export is logged
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    document = response.json()
    assert (document["customer"]["name"], document["customer"]["id_number"]) == ("张三丰", ID)
    assert AccessLog.objects.get().kind == "export"

    # and as XLSX it is a workbook attachment
    xlsx = as_user(manager).get(detail(customer, "subject-export/"), {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="customer-{customer.pk}.xlsx"' in xlsx["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ["customer", "name", "张三丰"] in [list(row) for row in sheet.iter_rows(values_only=True)]

    # and a consultant may not export; an unknown format is keyed by field
    refused = as_user(consultant).get(detail(customer, "subject-export/"), {"format": "json"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    bad = as_user(manager).get(detail(customer, "subject-export/"), {"format": "pdf"})
    assert bad.status_code == 400 and "format" in bad.json()
    assert AccessLog.objects.count() == 2


def test_erase_anonymises_once_and_a_consultant_may_not(store_a, consultant, manager, as_user):
    customer = register(consultant, store_a, id_number=ID)

    # when a consultant tries, then it is refused
    refused = as_user(consultant).post(detail(customer, "erase/"), {"reason": "SR-1"}, format="json")
    assert refused.status_code == 403

    # when a manager erases with a reason, then the personal data is gone
    response = as_user(manager).post(detail(customer, "erase/"), {"reason": "SR-1"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["mobile"], body["id_number"]) == ("已删除客户", "", "")

    # and erasing again is a conflict
    again = as_user(manager).post(detail(customer, "erase/"), {"reason": "SR-1"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_erased"


def test_erase_without_a_reason_is_keyed_reason(store_a, consultant, manager, as_user):
    customer = register(consultant, store_a)
    response = as_user(manager).post(detail(customer, "erase/"), {"reason": " "}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "reason"
    assert Customer.objects.get().erased_at is None


# ---------------------------------------------------------------- follow-ups


def test_follow_ups_mine_and_overdue(
    store_a, store_b, consultant, colleague, manager, as_user, django_assert_max_num_queries
):
    # given a follow-up each for two consultants (one overdue) and one in store B
    mine = FollowUp.objects.get(customer=register(consultant, store_a))
    theirs = FollowUp.objects.get(customer=register(colleague, store_a, name="李四", mobile="13912345678"))
    FollowUp.objects.filter(pk=theirs.pk).update(due_at=timezone.now() - timedelta(hours=1))
    register(manager, store_a, name="王五", mobile="13712345678")  # a manager's customer has no owner
    client = as_user(manager)

    def ids(query):
        response = client.get(FOLLOW_UPS, query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    # then the manager sees the store's open follow-ups, soonest first, and can narrow them
    with django_assert_max_num_queries(3):
        rows = client.get(FOLLOW_UPS).json()["results"]
    assert rows[0]["id"] == theirs.pk and len(rows) == 3
    assert rows[0]["customer_name"] == "李四"
    assert ids({"overdue": "true"}) == [theirs.pk]
    assert ids({"status": "done"}) == []
    # and a consultant's "mine" is their own
    client = as_user(consultant)
    assert ids({"mine": "true"}) == [mine.pk]
    assert ids({"mine": "true", "overdue": "true"}) == []


def test_complete_a_follow_up_answers_done_and_next_and_refuses_twice(store_a, consultant, colleague, as_user):
    follow_up = FollowUp.objects.get(customer=register(consultant, store_a))
    payload = {"channel": "phone", "outcome": "reached", "notes": "下周试驾", "new_grade": "H"}

    # when the owner records the call
    response = as_user(consultant).post(f"{FOLLOW_UPS}{follow_up.pk}/complete/", payload, format="json")

    # then the done one and the next one come back, planned by the new grade
    assert response.status_code == 200, response.json()
    done, following = response.json()["done"], response.json()["next"]
    assert (done["id"], done["status"], done["grade_after"], done["channel"]) == (follow_up.pk, "done", "H", "phone")
    assert following["status"] == "open" and following["id"] != follow_up.pk
    assert Customer.objects.get().intent_grade == "H"

    # and completing it again is a conflict; a colleague cannot see it; a bad outcome is keyed by field
    again = as_user(consultant).post(f"{FOLLOW_UPS}{follow_up.pk}/complete/", payload, format="json")
    assert again.status_code == 409 and again.json()["code"] == "followup_closed"
    hidden = as_user(colleague).post(f"{FOLLOW_UPS}{following['id']}/complete/", payload, format="json")
    assert hidden.status_code == 404
    bad = as_user(consultant).post(
        f"{FOLLOW_UPS}{following['id']}/complete/", {**payload, "outcome": "maybe"}, format="json"
    )
    assert bad.status_code == 400 and "outcome" in bad.json()


# ---------------------------------------------------------------- schema


def test_customer_endpoints_are_in_the_validated_schema(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/customers/:",
        "/api/v1/customers/{id}/:",
        "/api/v1/customers/search/:",
        "/api/v1/customers/{id}/reveal/:",
        "/api/v1/customers/{id}/timeline/:",
        "/api/v1/customers/{id}/grade/:",
        "/api/v1/customers/{id}/assign/:",
        "/api/v1/customers/{id}/consents/:",
        "/api/v1/customers/{id}/merge/:",
        "/api/v1/customers/{id}/subject-export/:",
        "/api/v1/customers/{id}/erase/:",
        "/api/v1/follow-ups/:",
        "/api/v1/follow-ups/{id}/complete/:",
    ):
        assert path in text
    assert "- follow-ups" in text and "- customers" in text
