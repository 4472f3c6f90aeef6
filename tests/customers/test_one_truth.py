"""The customer record agrees with itself (issue #10.7): the next follow-up is the earliest open follow-up of any
kind, on the page, the list and the API, kept on every schedule, completion and cancellation (and fixed once for
existing rows by migration 0012); the purchase needs are one truth the needs analysis writes, with every energy type
it recorded."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dealerdesk.customers import services
from dealerdesk.customers.choices import CARE_ROLE, ConsentPurpose, FollowUpPurpose
from dealerdesk.customers.models import Customer, FollowUp, PurchaseNeed
from dealerdesk.showroom import services as showroom_services
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def care(store_a, make_staff):
    return make_staff("care_specialist", store_a, full_name="孙丽")


@pytest.fixture
def owner(store_a, consultant):
    """A customer who took delivery: no sales cadence any more, only the care calls."""
    return CustomerFactory(store=store_a, owner=consultant, stage="owner", name="陈晓明")


def _plan_care_calls(actor, customer, care, days=(1, 3, 7, 30)) -> list[FollowUp]:
    now = timezone.now()
    return [
        services.followup_schedule(
            actor=actor,
            customer=customer,
            due_at=now + datetime.timedelta(days=d),
            purpose=FollowUpPurpose.POST_DELIVERY,
            assignee=care,
            role=CARE_ROLE,
        )
        for d in days
    ]


def _shown(customer: Customer) -> str:
    return timezone.localtime(customer.next_follow_up_at, customer.store.tz).strftime("%Y-%m-%d %H:%M")


def test_next_follow_up_is_the_earliest_open_call_of_any_kind(owner, consultant, manager, care, client):
    # given four post-delivery calls for the care desk (none is the consultant's)
    calls = _plan_care_calls(consultant, owner, care)
    owner.refresh_from_db()
    # then the customer's next follow-up is the first of them, not "—"
    assert owner.next_follow_up_at == calls[0].due_at
    # on the page, the list and the API alike
    client.force_login(manager)
    page = client.get(reverse("customer_detail", args=[owner.pk])).content.decode()
    assert _shown(owner) in page.split('data-testid="next-follow-up"', 1)[1][:200]
    listing = client.get(reverse("customer_list")).content.decode()
    assert _shown(owner) in listing
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get(f"/api/v1/customers/{owner.pk}/").json()
    assert datetime.datetime.fromisoformat(body["next_follow_up_at"]) == calls[0].due_at
    # when the first call is completed, the next one is the next follow-up
    services.followup_complete(actor=care, follow_up=calls[0], channel="phone", outcome="reached", score=5)
    owner.refresh_from_db()
    assert owner.next_follow_up_at == calls[1].due_at


def test_a_cancelled_call_stops_being_the_next_follow_up(owner, consultant, care):
    calls = _plan_care_calls(consultant, owner, care, days=(3, 30))
    services.consent_grant(
        actor=consultant,
        customer=owner,
        purpose=ConsentPurpose.MARKETING_CALL,
        channel="in_person",
        notice_version="2026-01",
    )
    marketing = services.followup_schedule(
        actor=consultant,
        customer=owner,
        due_at=timezone.now() + datetime.timedelta(hours=2),
        purpose=FollowUpPurpose.MARKETING,
    )
    owner.refresh_from_db()
    assert owner.next_follow_up_at == marketing.due_at
    # when the customer withdraws the marketing consent, the marketing call is cancelled
    services.consent_withdraw(actor=consultant, customer=owner, purpose=ConsentPurpose.MARKETING_CALL)
    owner.refresh_from_db()
    assert owner.next_follow_up_at == calls[0].due_at


def test_a_sales_call_and_a_care_call_the_earliest_wins(store_a, consultant, care):
    # given a prospect (the sales cadence opens its first contact) and an earlier care call
    customer = services.customer_create(actor=consultant, store=store_a, name="张三丰", mobile="138 0013 8000")
    first_contact = FollowUp.objects.get(customer=customer, status="open")
    customer.refresh_from_db()
    assert customer.next_follow_up_at == first_contact.due_at
    earlier = services.followup_schedule(
        actor=consultant,
        customer=customer,
        due_at=timezone.now() + datetime.timedelta(minutes=30),
        purpose=FollowUpPurpose.CARE,
        assignee=care,
        role=CARE_ROLE,
    )
    customer.refresh_from_db()
    assert customer.next_follow_up_at == min(earlier.due_at, first_contact.due_at)
    # completing the sales call keeps the earlier care call as the next one
    services.followup_complete(actor=consultant, follow_up=first_contact, channel="phone", outcome="reached")
    customer.refresh_from_db()
    assert customer.next_follow_up_at == earlier.due_at


def test_the_data_migration_fixes_existing_customers(owner, consultant, care):
    calls = _plan_care_calls(consultant, owner, care, days=(3, 30))
    none_open = CustomerFactory(store=owner.store, owner=consultant, stage="owner")
    # given rows written before the rule: "—" while calls are open, a date while none is
    Customer.objects.filter(pk=owner.pk).update(next_follow_up_at=None)
    Customer.objects.filter(pk=none_open.pk).update(next_follow_up_at=timezone.now())
    migration = importlib.import_module("dealerdesk.customers.migrations.0012_customer_next_follow_up_data")
    migration.forwards(apps, None)
    owner.refresh_from_db()
    none_open.refresh_from_db()
    assert owner.next_follow_up_at == calls[0].due_at and none_open.next_follow_up_at is None


def test_the_needs_analysis_writes_every_energy_type_to_the_purchase_needs(store_a, consultant, client):
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈晓明")
    # when the needs analysis records PHEV and BEV
    showroom_services.needs_assessment_create(
        actor=consultant, customer=customer, energy_types=["bev", "phev"], body_type="suv", timeframe="month"
    )
    # then the one purchase-needs record holds both, and the card shows both (not "不限")
    need = PurchaseNeed.objects.get(customer=customer, is_current=True)
    assert need.energy_types == ["phev", "bev"]
    client.force_login(consultant)
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    energy = page.split('data-testid="need-energy"', 1)[1][:120]
    assert "插电混动" in energy and "纯电" in energy and "不限" not in energy


def test_the_customer_page_records_needs_the_same_way(store_a, consultant, client):
    customer = CustomerFactory(store=store_a, owner=consultant)
    client.force_login(consultant)
    r = client.post(reverse("customer_need", args=[customer.pk]), {"energy_types": ["bev", "erev"]})
    assert r.status_code in (200, 302)
    assert PurchaseNeed.objects.get(customer=customer, is_current=True).energy_types == ["bev", "erev"]
    r = client.post(reverse("customer_need", args=[customer.pk]), {"energy_types": ["steam"]})
    assert r.status_code == 400
    assert PurchaseNeed.objects.filter(customer=customer).count() == 1
