"""The demo registrations: every status in both demo stores, valid, idempotent."""

import pytest

from dealerdesk.catalog import demo as catalog_demo
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.customers import demo as customers_demo
from dealerdesk.customers.models import OwnedVehicle
from dealerdesk.registrations import demo, selectors
from dealerdesk.registrations.models import Registration
from dealerdesk.sales.models import Order
from tests.factories import StoreFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_stores(group):
    stores = [
        StoreFactory(group=group, code="sz-futian", city="深圳", brands=["星耀", "远航", "青峰"]),
        StoreFactory(group=group, code="gz-tianhe", city="广州", brands=["星耀", "远航"]),
    ]
    for store in stores:
        for role in ("consultant", "sales_manager", "admin_clerk"):
            staff(role, store)
    catalog_demo.load()
    customers_demo.load()
    return stores


def test_demo_registrations_cover_every_status_in_both_stores_and_load_once(demo_stores):
    # when the demo loads
    created = demo.load()
    # then each store has a case at every status, on DEMO-R- orders
    assert created == 14
    for store in demo_stores:
        statuses = set(Registration.objects.filter(store=store).values_list("status", flat=True))
        assert statuses == {"collecting_documents", "submitted", "plate_issued", "completed", "cancelled"}
        assert Registration.objects.filter(store=store, by_customer=True).count() == 1
        assert Order.objects.filter(store=store, number__startswith="DEMO-R-").count() == 7
        # one case is overdue, plates are on the vehicles and in the customers' vehicles
        assert selectors.registration_overdue(staff("admin_clerk", store), [store]).count() == 1
        for r in Registration.objects.filter(store=store).exclude(plate=""):
            assert StockVehicle.objects.get(pk=r.stock_vehicle_id).plate == r.plate
            assert OwnedVehicle.objects.filter(customer_id=r.customer_id, plate=r.plate).exists()
    # and a second run changes nothing
    assert demo.load() == 0
    assert Registration.objects.count() == 14
