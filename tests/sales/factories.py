"""Factories for orders. Shared by the sales, deliveries and registrations tests.

`OrderFactory(store=..., customer=..., consultant=...)` builds an order directly on the model (no permission check):
by default for a new in-stock vehicle of a default trim, fully paid and signed, ready for delivery. Override
`status`, `amount_paid`, `payment_method`/`loan_status`, `stock_vehicle` as the test needs.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from dealerdesk.sales.choices import LoanStatus, OrderStatus, PaymentMethod
from dealerdesk.sales.models import Order
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.factories import StoreFactory, UserFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    store = factory.SubFactory(StoreFactory)
    number = factory.Sequence(lambda n: f"SO-TEST-{n:06d}")
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    consultant = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("consultant")
    status = OrderStatus.SIGNED
    stock_vehicle = factory.SubFactory(StockVehicleFactory, store=factory.SelfAttribute("..store"))
    trim = factory.SelfAttribute("stock_vehicle.trim")
    exterior = factory.SelfAttribute("stock_vehicle.exterior")
    interior = factory.SelfAttribute("stock_vehicle.interior")
    marked_price_amount = Decimal("194800.00")
    total = Decimal("189800.00")
    deposit_amount = Decimal("5000.00")
    payment_method = PaymentMethod.FULL
    loan_status = LoanStatus.NONE
    amount_paid = factory.SelfAttribute("total")
    planned_delivery_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    delivery_place = "交车区"
    signed_at = factory.LazyFunction(timezone.now)
