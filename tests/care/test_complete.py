"""Completing a care call: through the care desk (HTML), the customer page and the API, all through the one service;
bad scores refused with nothing written; the sales managers alerted at once when the customer is unhappy; who may
complete whose call."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.models import FollowUp
from tests.care.helpers import care_call, handed_over, local
from tests.clock import INSTANTS, pinned_at

pytestmark = pytest.mark.django_db

API = "/api/v1/follow-ups/"


def _alerts(user):
    return list(Notification.objects.filter(recipient_user=user, kind="followup.dissatisfied"))


def _completions(call):
    return AuditEntry.objects.filter(action="followup.completed", target_id=str(call.pk)).count()


@pinned_at(INSTANTS["ordinary-23:59"])
def test_the_care_specialist_completes_the_day_3_call_on_the_desk(
    shanghai_clock, client, store_a, care, consultant, clerk, manager
):
    # given a real handover: the service planned the day-3 call for the care desk, given to the store's specialist
    delivery, calls = handed_over(store_a, consultant, clerk)
    day3 = calls[3]
    assert (day3.role, day3.assignee_id) == ("care_specialist", care.pk)

    # when, on day 3, the specialist opens the call: the day-3 script, the delivery, the form
    shanghai_clock.traveller.shift(datetime.timedelta(days=3))
    client.force_login(care)
    page = client.get(reverse("care_call", args=[day3.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="care-complete-form"' in html and reverse("delivery_detail", args=[delivery.pk]) in html
    assert page.context["script"].call_type == "delivery_d3" and page.context["script"].is_default
    assert delivery.customer.name in page.context["script_text"] and "{customer}" not in page.context["script_text"]

    # and records it: reached, satisfied (4), the customer's words, nothing further
    response = client.post(
        reverse("care_call_complete", args=[day3.pk]),
        {"channel": "phone", "outcome": "reached", "score": "4", "next_step": "none", "comment": "车很好，顾问很专业"},
    )

    # then it is done with the score and the words, audited, the desk's day shown again, and nobody alerted
    assert response.status_code == 302 and response["Location"] == reverse("care_day")
    day3.refresh_from_db()
    assert (day3.status, day3.satisfaction_score, day3.next_step, day3.outcome, day3.notes) == (
        "done",
        4,
        "none",
        "reached",
        "车很好，顾问很专业",
    )
    entry = AuditEntry.objects.get(action="followup.completed", target_id=str(day3.pk))
    assert entry.actor_id == care.pk and entry.diff["satisfaction_score"] == [None, 4]
    assert _alerts(manager) == []
    # the other calls of the plan are untouched: the consultant's days 1 and 7, the desk's day 30
    assert FollowUp.objects.filter(pk__in=[calls[1].pk, calls[7].pk, calls[30].pk], status="open").count() == 3


@pinned_at(INSTANTS["ordinary-00:05"])
def test_the_care_specialist_completes_the_day_3_call_through_the_api(
    shanghai_clock, api, store_a, care, consultant, clerk, manager
):
    # given the handover's day-3 call
    _delivery, calls = handed_over(store_a, consultant, clerk)
    day3 = calls[3]
    api.force_login(care)
    next_call = (timezone.now() + datetime.timedelta(days=7)).isoformat()

    # when the specialist completes it over the API (it answered 403 before) with a next call in a week
    response = api.post(
        f"{API}{day3.pk}/complete/",
        {
            "channel": "phone",
            "outcome": "reached",
            "score": 5,
            "comment": "非常满意",
            "next_step": "call_again",
            "next_due_at": next_call,
        },
        format="json",
    )

    # then the done call carries score, comment and next step; the next care call is planned for the desk
    assert response.status_code == 200, response.json()
    done, following = response.json()["done"], response.json()["next"]
    assert (done["status"], done["satisfaction_score"], done["notes"], done["next_step"]) == (
        "done",
        5,
        "非常满意",
        "call_again",
    )
    assert following["role"] == "care_specialist" and following["purpose"] == "care"
    assert FollowUp.objects.get(pk=following["id"]).assignee_id == care.pk
    assert _alerts(manager) == []


@pytest.mark.parametrize("score", [0, 6, "很好"])
def test_a_score_outside_1_to_5_is_refused_naming_the_field_and_nothing_is_written(
    api, client, store_a, care, manager, score
):
    # given an open care call
    call = care_call(store_a, due_at=timezone.now(), assignee=care)
    payload = {"channel": "phone", "outcome": "reached", "score": score, "comment": "一般"}

    # when the API is sent the score
    api.force_login(care)
    answer = api.post(f"{API}{call.pk}/complete/", payload, format="json")

    # then 400 naming the score
    assert answer.status_code == 400 and "score" in answer.json(), answer.json()

    # and the desk's form re-renders with the message on the score, in Chinese
    client.force_login(care)
    page = client.post(reverse("care_call_complete", args=[call.pk]), payload)
    assert page.status_code == 400
    assert 'data-testid="error-score"' in page.content.decode()
    assert page.context["form"].errors["score"] == ["请填写满意度评分：1（非常不满意）到5（非常满意）。"]

    # and nothing is written: the call is open, no audit, no alert
    call.refresh_from_db()
    assert (call.status, call.satisfaction_score, call.completed_at) == ("open", None, None)
    assert _completions(call) == 0 and _alerts(manager) == []


def test_the_database_refuses_a_score_outside_1_to_5(store_a):
    from django.db import IntegrityError, transaction

    call = care_call(store_a, due_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=call.pk).update(satisfaction_score=6)


def test_a_low_score_alerts_the_sales_manager_at_once_and_a_good_one_does_not(
    client, store_a, store_b, care, manager, owner, make_staff
):
    # given two open care calls, a second manager of the store and one of another store
    second = make_staff("sales_manager", store_a, language="en")
    elsewhere = make_staff("sales_manager", store_b)
    low = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    good = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    client.force_login(care)

    # when the first call scores 2 with a comment
    client.post(
        reverse("care_call_complete", args=[low.pk]),
        {"channel": "phone", "outcome": "reached", "score": "2", "next_step": "manager", "comment": "交车等了两个小时"},
    )

    # then each manager of the store has an in-app message naming the customer, the score and the comment
    [alert] = _alerts(manager)
    assert "陈车主" in alert.subject and "2/5" in alert.subject and "交车等了两个小时" in alert.subject
    assert (
        alert.channel == "in_app" and alert.store_id == store_a.pk and alert.body.startswith(f"/customers/{owner.pk}/")
    )
    [english] = _alerts(second)
    assert english.subject.startswith("Dissatisfied customer 陈车主: score 2/5")
    assert _alerts(elsewhere) == []

    # and a score of 4 alerts nobody
    client.post(
        reverse("care_call_complete", args=[good.pk]),
        {"channel": "phone", "outcome": "reached", "score": "4", "next_step": "none", "comment": "满意"},
    )
    assert len(_alerts(manager)) == 1


def test_the_complaint_outcome_alerts_the_manager_without_a_score(api, store_a, care, manager, owner):
    call = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    api.force_login(care)
    response = api.post(
        f"{API}{call.pk}/complete/",
        {"channel": "phone", "outcome": "complaint", "comment": "赠品没给", "next_step": "manager"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    [alert] = _alerts(manager)
    assert "陈车主" in alert.subject and "赠品没给" in alert.subject


def test_a_consultant_cannot_complete_another_persons_care_call(api, client, store_a, care, consultant, owner):
    # given the desk's call about the consultant's own customer
    call = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    payload = {"channel": "phone", "outcome": "reached", "score": 3}

    # when the consultant tries over the API and on the customer page
    api.force_login(consultant)
    answer = api.post(f"{API}{call.pk}/complete/", payload, format="json")
    client.force_login(consultant)
    page = client.get(reverse("customer_detail", args=[owner.pk]))
    posted = client.post(reverse("followup_complete", args=[owner.pk, call.pk]), {f"fu{call.pk}-channel": "phone"})

    # then both are refused, the page offers no form for it, and the call stays open
    assert answer.status_code == 403
    forms = dict(page.context["follow_up_forms"])
    assert [f.pk for f in forms] == [call.pk] and forms[next(iter(forms))] is None
    assert posted.status_code in (302, 403)
    call.refresh_from_db()
    assert call.status == "open" and _completions(call) == 0


def test_the_manager_may_complete_a_care_call_and_the_consultant_their_own(
    api, store_a, care, consultant, manager, owner
):
    desk = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    theirs = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=consultant)  # no specialist then
    api.force_login(manager)
    assert api.post(f"{API}{desk.pk}/complete/", {"channel": "phone", "outcome": "reached"}).status_code == 200
    api.force_login(consultant)
    answer = api.post(f"{API}{theirs.pk}/complete/", {"channel": "phone", "outcome": "reached", "score": 4})
    assert answer.status_code == 200, answer.json()


def test_the_customer_page_offers_the_care_specialist_the_care_calls_form(client, store_a, care, consultant, owner):
    # given the desk's call and the consultant's own (sales) call about the customer
    desk = care_call(store_a, customer=owner, due_at=timezone.now(), assignee=care)
    sales = care_call(
        store_a, customer=owner, due_at=timezone.now(), role="", purpose="post_delivery", assignee=consultant
    )
    client.force_login(care)

    # when the specialist opens the customer page
    page = client.get(reverse("customer_detail", args=[owner.pk]))

    # then the desk's call has the complete form with the score (no grade), the consultant's has none
    forms = {f.pk: form for f, form in page.context["follow_up_forms"]}
    assert forms[sales.pk] is None
    assert set(forms[desk.pk].fields) == {"channel", "outcome", "score", "next_step", "next_due_at", "comment"}

    # and completing it there goes through the same service
    response = client.post(
        reverse("followup_complete", args=[owner.pk, desk.pk]),
        {f"fu{desk.pk}-channel": "phone", f"fu{desk.pk}-outcome": "reached", f"fu{desk.pk}-score": "5"},
    )
    assert response.status_code == 302
    desk.refresh_from_db()
    assert (desk.status, desk.satisfaction_score) == ("done", 5)


def test_a_call_again_without_a_date_is_refused(client, store_a, care):
    call = care_call(store_a, due_at=timezone.now(), assignee=care)
    client.force_login(care)
    page = client.post(
        reverse("care_call_complete", args=[call.pk]),
        {"channel": "phone", "outcome": "no_answer", "next_step": "call_again"},
    )
    assert page.status_code == 400 and "next_due_at" in page.context["form"].errors
    call.refresh_from_db()
    assert call.status == "open"
    # with the date, the next call is planned for the desk
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    ok = client.post(
        reverse("care_call_complete", args=[call.pk]),
        {
            "channel": "phone",
            "outcome": "no_answer",
            "next_step": "call_again",
            "next_due_at": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert ok.status_code == 302
    assert FollowUp.objects.filter(customer=call.customer, status="open", role="care_specialist").count() == 1
    assert local  # the helper is shared with the day tests
