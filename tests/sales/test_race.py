"""Two orders racing for one VIN: exactly one wins, on both databases (real commits, separate connections)."""

import threading

from django.db import connection

from dealerdesk.catalog.choices import StockStatus
from dealerdesk.core.errors import Conflict
from dealerdesk.sales import services
from dealerdesk.sales.models import Order
from tests.customers.factories import CustomerFactory
from tests.factories import DealerGroupFactory, StoreFactory, staff
from tests.offers.helpers import catalogue
from tests.sales.helpers import accepted_offer


def test_two_orders_racing_for_one_vin_exactly_one_wins(committed_db):
    # given two accepted offers of two customers for the same trim, and one vehicle in stock
    store = StoreFactory(group=DealerGroupFactory(code="race"), code="race-store")
    consultant = staff("consultant", store)
    cat = catalogue(store)
    first = accepted_offer(store, consultant, CustomerFactory(store=store, owner=consultant, stage="prospect"), cat=cat)
    second = accepted_offer(
        store, consultant, CustomerFactory(store=store, owner=consultant, stage="prospect"), cat=cat, vehicle=False
    )
    vehicle = first.vehicle
    barrier = threading.Barrier(2)
    errors: list[Exception] = []
    made: list[Order] = []

    def take(offer):
        try:
            barrier.wait(timeout=10)
            made.append(services.order_create_from_offer(actor=consultant, offer=offer, stock_vehicle=vehicle))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(o,)) for o in (first.offer, second.offer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then exactly one order holds the vehicle, the other was refused with a clear conflict
    assert len(made) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    assert vehicle.vin in str(errors[0].message)
    assert Order.objects.filter(stock_vehicle=vehicle).count() == 1
    assert Order.objects.count() == 1  # the loser wrote nothing
    vehicle.refresh_from_db()
    assert vehicle.status == StockStatus.RESERVED
