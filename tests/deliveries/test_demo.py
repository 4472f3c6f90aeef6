"""The demo deliveries: every status in both demo stores, after the sales demo, idempotent."""

import pytest

from dealerdesk.accounts.management.commands.demo_data import PEOPLE, STORES, demo_username
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog import demo as catalog_demo
from dealerdesk.customers import demo as customers_demo
from dealerdesk.deliveries import demo
from dealerdesk.deliveries.models import Delivery, DeliveryDocument, GiftItem, WarrantyClock
from dealerdesk.offers import demo as offers_demo
from dealerdesk.sales import demo as sales_demo

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
    sales_demo.load()
    return stores


def test_demo_deliveries_cover_every_status_in_both_stores_and_load_once(demo_stores):
    created = demo.load()
    assert created == 8
    for store in demo_stores:
        statuses = set(Delivery.objects.filter(store=store).values_list("status", flat=True))
        assert statuses == {"scheduled", "prepared", "handed_over"}, store.code
        handed = Delivery.objects.get(store=store, status="handed_over")
        assert handed.confirmation_sha256 and WarrantyClock.objects.filter(delivery=handed).count() == 2
        lender_held = DeliveryDocument.objects.filter(delivery__store=store, holder="lender", received_at__isnull=True)
        assert lender_held.exists()
        assert GiftItem.objects.filter(store=store, stock=0).exists()
    assert demo.load() == 0


def test_demo_orders_hold_their_vehicles_so_no_new_order_can_take_them(demo_stores):
    from dealerdesk.catalog.models import StockVehicle
    from dealerdesk.sales.choices import LIVE_ORDER_STATUSES

    demo.load()
    held = StockVehicle.objects.filter(orders__status__in=sorted(LIVE_ORDER_STATUSES)).distinct()
    assert held.exists()
    # a vehicle of a signed or delivered order is never offered as free stock
    assert not held.filter(status="in_stock").exists(), list(held.filter(status="in_stock").values_list("vin"))


def test_every_demo_order_is_paid_by_its_payment_records(demo_stores):
    from django.db.models import Sum

    from dealerdesk.sales.models import Order

    demo.load()
    orders = Order.objects.filter(amount_paid__gt=0).annotate(received=Sum("payments__amount"))
    assert orders.exists()
    assert [(o.number, o.amount_paid) for o in orders if o.received != o.amount_paid] == []
