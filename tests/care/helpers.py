"""Builders for the care desk tests: care calls written on the model (for lists and counts) and a real handover whose
service plans the post-delivery calls (days 1, 3, 7, 30)."""

import datetime

from dealerdesk.customers.choices import CARE_ROLE
from dealerdesk.customers.models import FollowUp
from dealerdesk.deliveries import services as delivery_services
from dealerdesk.deliveries.models import DeliveryFollowUp
from tests.clock import SHANGHAI
from tests.customers.factories import CustomerFactory
from tests.deliveries.factories import explained


def care_call(store, *, due_at, customer=None, assignee=None, role=CARE_ROLE, purpose="post_delivery", **fields):
    """An open follow-up of `store`, planned for the care desk unless `role=""`."""
    customer = customer or CustomerFactory(store=store, stage="owner")
    return FollowUp.objects.create(
        store=store, customer=customer, assignee=assignee, role=role, purpose=purpose, due_at=due_at, **fields
    )


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def handed_over(store, consultant, clerk):
    """A delivery handed over through the services (the customer signs): the post-delivery calls are planned."""
    delivery = explained(store, consultant, clerk)
    delivery = delivery_services.delivery_confirm(
        actor=consultant, delivery=delivery, customer_name=delivery.customer.name
    )
    calls = {row.day: row.follow_up for row in DeliveryFollowUp.objects.filter(delivery=delivery)}
    return delivery, calls
