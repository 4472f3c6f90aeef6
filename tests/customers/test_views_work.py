"""The consultant's day and the manager's desk: loss decisions, feedback, handovers; scoping and query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers import services
from dealerdesk.customers.models import Customer, FeedbackItem, FollowUp, LossRequest, OwnerChange
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _follow_up(customer, *, due_at, assignee=None, status="open"):
    return FollowUp.objects.create(
        store_id=customer.store_id,
        customer=customer,
        assignee=assignee or customer.owner,
        purpose="regular",
        due_at=due_at,
        status=status,
        completed_at=timezone.now() if status == "done" else None,
    )


def _later_today():
    """A moment after now but still today in Asia/Shanghai, whenever the test runs."""
    now = timezone.now()
    end = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=0)
    return now + (end - now) / 2


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---------------------------------------------------------------- my day


def test_my_day_shows_own_overdue_and_todays_follow_ups_only(store_a, make_staff, client):
    # given a consultant with an overdue, a today and a tomorrow follow-up, and a colleague with an overdue one
    me = make_staff("consultant", store_a, language="en")
    colleague = make_staff("consultant", store_a)
    late = CustomerFactory(store=store_a, owner=me, name="王逾期", intent_grade="H")
    due = CustomerFactory(store=store_a, owner=me, name="李今天", intent_grade="A")
    later = CustomerFactory(store=store_a, owner=me, name="赵明天")
    theirs = CustomerFactory(store=store_a, owner=colleague, name="孙别人")
    _follow_up(late, due_at=timezone.now() - timedelta(days=2))
    _follow_up(due, due_at=_later_today())
    _follow_up(later, due_at=timezone.now() + timedelta(days=2))
    _follow_up(theirs, due_at=timezone.now() - timedelta(days=1))
    client.force_login(me)

    # when the consultant opens my day
    response = client.get(reverse("my_day"))

    # then only their overdue (red) and today's follow-ups are listed, with counts and grades
    assert response.status_code == 200
    assert [f.customer.name for f in response.context["overdue"]] == ["王逾期"]
    assert [f.customer.name for f in response.context["today"]] == ["李今天"]
    body = response.content.decode()
    assert "王逾期" in body and "李今天" in body
    assert "赵明天" not in body and "孙别人" not in body
    assert "table-danger" in body
    assert f"/customers/{late.pk}/" in body
    assert {g["code"]: g["count"] for g in response.context["grades"]} == {"H": 1, "A": 1, "N": 1}


def test_my_day_empty_state(store_a, make_staff, client):
    client.force_login(make_staff("consultant", store_a, language="en"))
    body = client.get(reverse("my_day")).content.decode()
    assert "Nothing due today" in body


def test_my_day_is_forbidden_without_selling_role(store_a, make_staff, client):
    client.force_login(make_staff("receptionist", store_a))
    assert client.get(reverse("my_day")).status_code == 403


def test_my_day_runs_a_fixed_number_of_queries(store_a, make_staff, client, django_assert_max_num_queries):
    me = make_staff("consultant", store_a)
    for i in range(15):
        customer = CustomerFactory(store=store_a, owner=me)
        _follow_up(customer, due_at=timezone.now() - timedelta(hours=i + 1))
        _follow_up(customer, due_at=_later_today())
    client.force_login(me)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("my_day"))
    assert len(response.context["overdue"]) == 15 and len(response.context["today"]) == 15


# ---------------------------------------------------------------- manager desk: access


def test_consultant_gets_403_on_manager_pages_and_404_on_their_objects(store_a, make_staff, client):
    # given a consultant's own loss request and feedback item
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    item = services.feedback_add(actor=consultant, customer=customer, kind="remark", body="展厅太冷")
    client.force_login(consultant)

    # then the desk pages are forbidden and the objects behind them are not found
    assert client.get(reverse("manager_desk")).status_code == 403
    assert client.post(reverse("customers_reassign"), {"customer_ids": [customer.pk]}).status_code == 403
    assert client.post(reverse("loss_request_decide", args=[loss.pk]), {"decision": "approve"}).status_code == 404
    assert client.post(reverse("feedback_status", args=[item.pk]), {"status": "done"}).status_code == 404
    loss.refresh_from_db()
    item.refresh_from_db()
    assert loss.status == "pending" and item.status == "open"


def test_manager_of_another_store_gets_404_on_loss_request(store_a, store_b, make_staff, client):
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    client.force_login(make_staff("sales_manager", store_b))
    assert client.post(reverse("loss_request_decide", args=[loss.pk]), {"decision": "approve"}).status_code == 404
    loss.refresh_from_db()
    assert loss.status == "pending"


# ---------------------------------------------------------------- manager desk: the page


def test_manager_desk_lists_overdue_by_consultant_loss_requests_and_feedback(
    store_a, store_b, make_staff, client, django_assert_max_num_queries
):
    # given two consultants with overdue follow-ups, pending loss requests and open feedback; store B has its own
    manager = make_staff("sales_manager", store_a, language="en")
    first = make_staff("consultant", store_a, full_name="甲顾问")
    second = make_staff("consultant", store_a, full_name="乙顾问")
    for i in range(6):
        customer = CustomerFactory(store=store_a, owner=first if i < 4 else second, name=f"逾期{i}")
        _follow_up(customer, due_at=timezone.now() - timedelta(hours=i + 1))
    for i in range(5):
        customer = CustomerFactory(store=store_a, owner=first, name=f"战败{i}")
        services.customer_request_lost(actor=first, customer=customer, reason="price")
        services.feedback_add(actor=first, customer=customer, kind="request", body=f"反馈{i}")
    other = CustomerFactory(store=store_b, name="B店客户")
    _follow_up(other, due_at=timezone.now() - timedelta(days=1), assignee=make_staff("consultant", store_b))
    client.force_login(manager)

    # when the manager opens the desk
    # 16 for the desk itself and 5 for its queue counts (stores, offers, contracts, loss requests, overdue): a fixed
    # number whatever the data
    with django_assert_max_num_queries(21):
        response = client.get(reverse("manager_desk"))

    # then overdue follow-ups are grouped by consultant (most first), and loss requests and feedback are listed
    assert response.status_code == 200
    groups = response.context["overdue_groups"]
    assert [(str(g["assignee"]), g["count"]) for g in groups] == [("甲顾问", 4), ("乙顾问", 2)]
    assert [f.customer.name for f in groups[0]["items"]] == ["逾期3", "逾期2", "逾期1", "逾期0"]
    assert len(response.context["loss_requests"]) == 5
    assert len(response.context["feedback"]) == 5
    body = response.content.decode()
    assert "B店客户" not in body
    assert reverse("loss_request_decide", args=[response.context["loss_requests"][0].pk]) in body
    # and the desk leads to the offers waiting for the manager's approval and to overdue registrations
    assert f"{reverse('offer_list')}?status=pending_approval" in body
    assert reverse("registration_overdue") in body


def test_manager_desk_handover_tool_lists_the_chosen_consultants_customers(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a)
    first = make_staff("consultant", store_a)
    second = make_staff("consultant", store_a)
    CustomerFactory(store=store_a, owner=first, name="甲的客户")
    CustomerFactory(store=store_a, owner=second, name="乙的客户")
    client.force_login(manager)
    response = client.get(reverse("manager_desk"), {"from_owner": first.pk})
    assert [c.name for c in response.context["handover_page"].items] == ["甲的客户"]
    assert reverse("customers_reassign") in response.content.decode()


# ---------------------------------------------------------------- loss requests


def test_reject_without_note_is_refused_and_changes_nothing(store_a, make_staff, client):
    # given a pending loss request
    manager = make_staff("sales_manager", store_a, language="en")
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="price")

    # when the manager rejects it without a note
    client.force_login(manager)
    response = client.post(
        reverse("loss_request_decide", args=[loss.pk]), {"decision": "reject", "note": "  "}, follow=True
    )

    # then the error says what is missing and nothing changed
    assert "Say why the request is rejected" in " ".join(_messages(response))
    loss.refresh_from_db()
    customer.refresh_from_db()
    assert loss.status == "pending" and customer.stage == "lead"
    assert not AuditEntry.objects.filter(action="customer.loss_rejected").exists()


def test_reject_with_note_keeps_the_customer_open(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a)
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    client.force_login(manager)
    response = client.post(reverse("loss_request_decide", args=[loss.pk]), {"decision": "reject", "note": "再跟一次"})
    assert response.status_code == 302
    loss.refresh_from_db()
    customer.refresh_from_db()
    assert loss.status == "rejected" and loss.decision_note == "再跟一次"
    assert customer.stage == "lead"


def test_approve_marks_the_customer_lost_with_an_audit_entry(store_a, make_staff, client):
    # given a pending loss request
    manager = make_staff("sales_manager", store_a)
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    _follow_up(customer, due_at=timezone.now() + timedelta(days=1))
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="bought_competitor")

    # when the manager approves it from the desk
    client.force_login(manager)
    next_url = f"{reverse('manager_desk')}?store={store_a.code}"
    response = client.post(reverse("loss_request_decide", args=[loss.pk]), {"decision": "approve", "next": next_url})

    # then the customer is lost, open follow-ups are cancelled, and the decision is audited
    assert response.status_code == 302 and response["Location"] == next_url
    customer.refresh_from_db()
    loss.refresh_from_db()
    assert customer.stage == "lost" and loss.status == "approved" and loss.decided_by == manager
    assert not FollowUp.objects.filter(customer=customer, status="open").exists()
    entry = AuditEntry.objects.get(action="customer.lost", target_id=str(customer.pk))
    assert entry.actor == manager and entry.diff == {"stage": ["lead", "lost"]}


def test_deciding_twice_is_refused_with_a_message(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a, language="en")
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    loss = services.customer_request_lost(actor=consultant, customer=customer, reason="price")
    client.force_login(manager)
    client.post(reverse("loss_request_decide", args=[loss.pk]), {"decision": "approve"})
    response = client.post(
        reverse("loss_request_decide", args=[loss.pk]), {"decision": "reject", "note": "x"}, follow=True
    )
    assert "already been decided" in " ".join(_messages(response))
    loss.refresh_from_db()
    assert loss.status == "approved"


# ---------------------------------------------------------------- feedback


def test_feedback_done_needs_what_was_done(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a, language="en")
    customer = CustomerFactory(store=store_a)
    item = services.feedback_add(actor=manager, customer=customer, kind="request", body="想要脚垫")
    client.force_login(manager)

    response = client.post(reverse("feedback_status", args=[item.pk]), {"status": "done"}, follow=True)
    assert "Say what was done" in " ".join(_messages(response))
    item.refresh_from_db()
    assert item.status == "open"

    client.post(reverse("feedback_status", args=[item.pk]), {"status": "done", "resolution": "已赠送脚垫"})
    item.refresh_from_db()
    assert item.status == "done" and item.resolution == "已赠送脚垫"
    assert not FeedbackItem.objects.filter(pk=item.pk, status__in=["open", "in_progress"]).exists()


# ---------------------------------------------------------------- reassignment


def test_bulk_reassign_hands_over_customers_and_their_follow_ups(store_a, make_staff, client):
    # given three customers of one consultant, each with an open follow-up
    manager = make_staff("sales_manager", store_a, language="en")
    leaving = make_staff("consultant", store_a)
    taking = make_staff("consultant", store_a)
    customers = [CustomerFactory(store=store_a, owner=leaving) for _ in range(3)]
    for customer in customers:
        _follow_up(customer, due_at=timezone.now() + timedelta(days=1))
    client.force_login(manager)
    next_url = f"{reverse('manager_desk')}?store={store_a.code}&from_owner={leaving.pk}"

    # when the manager hands them over
    response = client.post(
        reverse("customers_reassign"),
        {"customer_ids": [c.pk for c in customers], "new_owner": taking.pk, "reason": "顾问离职", "next": next_url},
    )

    # then three handovers are recorded, the new owner is notified once and now holds the follow-ups
    assert response.status_code == 302 and response["Location"] == next_url
    assert OwnerChange.objects.filter(to_owner=taking, from_owner=leaving, reason="顾问离职").count() == 3
    assert Customer.objects.filter(owner=taking).count() == 3
    assert Notification.objects.filter(recipient_user=taking, channel="in_app").count() == 1
    assert not FollowUp.objects.filter(customer__in=customers, status="open").exclude(assignee=taking).exists()
    page = client.get(next_url)
    assert "3 customers handed over" in " ".join(_messages(page))


def test_reassign_to_a_non_consultant_is_refused(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a, language="en")
    consultant = make_staff("consultant", store_a)
    receptionist = make_staff("receptionist", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    client.force_login(manager)

    response = client.post(
        reverse("customers_reassign"),
        {"customer_ids": [customer.pk], "new_owner": receptionist.pk, "reason": "试试"},
        follow=True,
    )

    assert "must be a sales consultant" in " ".join(_messages(response))
    customer.refresh_from_db()
    assert customer.owner == consultant
    assert not OwnerChange.objects.exists()


def test_reassign_without_reason_or_owner_says_what_is_missing(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a, language="en")
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a)
    client.force_login(manager)

    no_reason = client.post(
        reverse("customers_reassign"), {"customer_ids": [customer.pk], "new_owner": consultant.pk}, follow=True
    )
    no_owner = client.post(reverse("customers_reassign"), {"customer_ids": [customer.pk], "reason": "x"}, follow=True)

    assert "Give a reason" in " ".join(_messages(no_reason))
    assert "Choose the consultant" in " ".join(_messages(no_owner))
    customer.refresh_from_db()
    assert customer.owner is None


def test_reassign_customers_of_another_store_is_404_and_changes_nothing(store_a, store_b, make_staff, client):
    # given a manager of A, a consultant of A, and customers of A and B
    manager = make_staff("sales_manager", store_a)
    consultant = make_staff("consultant", store_a)
    mine = CustomerFactory(store=store_a)
    foreign = CustomerFactory(store=store_b)
    client.force_login(manager)

    # when the ids include a store-B customer
    response = client.post(
        reverse("customers_reassign"),
        {"customer_ids": [mine.pk, foreign.pk], "new_owner": consultant.pk, "reason": "接手"},
    )

    # then not found, and nobody changed hands
    assert response.status_code == 404
    assert not OwnerChange.objects.exists()
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert mine.owner is None and foreign.owner is None


def test_reassign_ignores_an_unsafe_next_url(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a)
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a)
    client.force_login(manager)
    response = client.post(
        reverse("customers_reassign"),
        {"customer_ids": [customer.pk], "new_owner": consultant.pk, "reason": "接手", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("manager_desk"))
    assert LossRequest.objects.count() == 0
    customer.refresh_from_db()
    assert customer.owner == consultant
