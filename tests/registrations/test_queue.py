"""The clerk is told that a handed-over car waits for its registration (#10 hand-off delivery → clerk)."""

import datetime

import pytest

from dealerdesk.accounts.queues import nav_counts, waiting_for
from dealerdesk.registrations import services
from dealerdesk.sales.choices import OrderStatus
from tests.customers.factories import CustomerFactory
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _counts(user) -> dict[str, int]:
    return {w.queue.code: w.count for w in waiting_for(user)}


def test_a_handed_over_car_waits_in_the_clerks_queue_until_its_registration_is_opened(
    store_a, store_b, clerk, consultant, make_staff
):
    # given a car handed over in store A (and a signed, not yet delivered order, which does not count yet)
    delivered = OrderFactory(
        store=store_a,
        consultant=consultant,
        customer=CustomerFactory(store=store_a),
        status=OrderStatus.DELIVERED,
        delivered_at=datetime.datetime(2026, 11, 27, 3, 0, tzinfo=datetime.UTC),
    )
    OrderFactory(store=store_a, consultant=consultant, customer=CustomerFactory(store=store_a))
    other_clerk = make_staff("admin_clerk", store_b)
    # then store A's clerk sees it counted on the registration entry; store B's clerk does not; a consultant has no
    # such queue
    assert _counts(clerk)["registrations_to_open"] == 1
    assert nav_counts(waiting_for(clerk))["registration_list"] >= 1
    assert _counts(other_clerk)["registrations_to_open"] == 0
    assert "registrations_to_open" not in _counts(consultant)
    # when the clerk opens the registration, it leaves that queue
    services.registration_open(actor=clerk, order=delivered)
    assert _counts(clerk)["registrations_to_open"] == 0
