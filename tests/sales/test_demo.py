"""The demo orders: every status before delivery in both demo stores, consistent with stock and payments, idempotent."""

import pytest

from dealerdesk.accounts.management.commands.demo_data import PEOPLE, STORES, demo_username
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog import demo as catalog_demo
from dealerdesk.customers import demo as customers_demo
from dealerdesk.offers import demo as offers_demo
from dealerdesk.sales import demo, selectors
from dealerdesk.sales.models import Contract, Order, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_stores():
    group = DealerGroup.objects.create(code="xingyao", name="星耀汽车集团")
    stores = [Store.objects.create(**{**spec, "group": group}) for spec in STORES]
    for index, store in enumerate(stores):
        for prefix, (role, *names) in PEOPLE.items():
            user = User.objects.create_user(demo_username(prefix, index), password="Demo@2026", full_name=names[index])
            Membership.objects.create(user=user, store=store, role=role)
    catalog_demo.load()
    customers_demo.load()
    offers_demo.load()
    return stores


def test_demo_orders_cover_every_status_in_both_stores_and_load_once(demo_stores):
    created = demo.load()
    assert created >= 10
    for store in demo_stores:
        statuses = set(Order.objects.filter(store=store).values_list("status", flat=True))
        assert {"draft", "pending_signature", "signed", "cancelled"} <= statuses, store.code
        contract_statuses = set(Contract.objects.filter(store=store).values_list("status", flat=True))
        assert {"draft", "pending_signature", "signed", "cancelled"} <= contract_statuses
        assert Contract.objects.filter(store=store, amends__isnull=False, status="signed").exists()
        ready = [
            o for o in Order.objects.filter(store=store, status="signed") if not selectors.order_delivery_blocker(o)
        ]
        assert ready, "an order ready for delivery"
    for order in Order.objects.all():
        paid = sum(p.amount if p.kind != "refund" else -p.amount for p in Payment.objects.filter(order=order))
        assert order.amount_paid == paid
    assert demo.load() == 0  # idempotent
