"""Factories for test drives: a demo car of the store (available, insured) and a booking built on the model."""

import datetime

import factory

from dealerdesk.testdrives.models import TestDrive
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory


def DemoCarFactory(store, **fields):
    """A demo car of `store` (StockVehicleFactory with is_demo=True)."""
    return StockVehicleFactory(store=store, is_demo=True, **fields)


class TestDriveFactory(factory.django.DjangoModelFactory):
    """A booking written directly (no service): for list and query-count tests."""

    class Meta:
        model = TestDrive

    customer = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("customer.store")
    demo_car = factory.LazyAttribute(lambda o: DemoCarFactory(o.store))
    trim = factory.SelfAttribute("demo_car.trim")
    consultant = None
    start_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1))
    end_at = factory.LazyAttribute(lambda o: o.start_at + datetime.timedelta(hours=1))
    blocked_until = factory.LazyAttribute(lambda o: o.end_at + datetime.timedelta(minutes=15))
    channel = "walk_in"
    status = "requested"
