"""Merging duplicates: everything moves to the survivor, the merged record stays as an alias."""

import pytest

from dealerdesk.core.errors import DomainError, NotPermitted
from dealerdesk.customers.merge import customer_merge
from dealerdesk.customers.models import Consent, ContactPoint, Customer, FollowUp, PurchaseNeed
from dealerdesk.customers.search import search_customers
from dealerdesk.customers.selectors import customer_get
from dealerdesk.customers.services import DuplicateCustomer, customer_create, need_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    a = customer_create(actor=consultant, store=store_a, name="张三", mobile="13800138000", consents=["share_oem"])
    b = customer_create(
        actor=consultant,
        store=store_a,
        name="张三丰",
        mobile="13900139000",
        city="深圳",
        consents=["share_oem", "marketing_sms"],
    )
    need_record(actor=consultant, customer=a, budget_max=200000)
    need_record(actor=consultant, customer=b, budget_max=300000)
    return consultant, a, b


def test_merge_moves_records_and_keeps_an_alias(pair, store_a, make_staff):
    consultant, a, b = pair
    manager = make_staff("sales_manager", store_a)
    survivor = customer_merge(actor=manager, survivor=a, merged=b)
    b.refresh_from_db()
    assert b.merged_into == survivor
    assert FollowUp.objects.filter(customer=b).count() == 0
    assert FollowUp.objects.filter(customer=a).count() == 2
    assert ContactPoint.objects.filter(customer=a, kind="mobile", value="+8613900139000").exists()
    assert set(Consent.objects.filter(customer=a, withdrawn_at__isnull=True).values_list("purpose", flat=True)) == {
        "share_oem",
        "marketing_sms",
    }
    assert PurchaseNeed.objects.filter(customer=a, is_current=True).count() == 1
    assert survivor.city == "深圳"
    # the alias resolves to the survivor and no longer appears in search
    assert customer_get(manager, b.pk).merged_into_id == a.pk
    assert [c.pk for c in search_customers(manager, "zsf")] == []
    # the merged record's mobile now belongs to the survivor: registering it again finds the survivor
    with pytest.raises(DuplicateCustomer) as dup:
        customer_create(actor=consultant, store=store_a, name="张三丰", mobile="13900139000")
    assert dup.value.existing == survivor
    assert Customer.objects.filter(mobile="+8613900139000", merged_into__isnull=True).count() == 0


def test_only_a_manager_merges_and_only_within_a_store(pair, store_b, make_staff):
    consultant, a, b = pair
    with pytest.raises(NotPermitted):
        customer_merge(actor=consultant, survivor=a, merged=b)
    other = customer_create(actor=make_staff("consultant", store_b), store=store_b, name="李四", mobile="13700137000")
    with pytest.raises(DomainError):
        customer_merge(actor=make_staff("group_admin", store_b), survivor=a, merged=other)
