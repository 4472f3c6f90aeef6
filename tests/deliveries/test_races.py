"""Races on committed data (both databases): the last gift, and one bay booked twice at once."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from dealerdesk.core.errors import Conflict, DomainError
from dealerdesk.deliveries import services
from dealerdesk.deliveries.choices import DeliveryStatus
from dealerdesk.deliveries.models import Delivery, DeliveryGift, GiftItem
from tests.deliveries.factories import GiftItemFactory, explained, ready_order, slot
from tests.factories import DealerGroupFactory, StoreFactory, staff


def _run_together(jobs):
    errors, results = [], []
    barrier = threading.Barrier(len(jobs))

    def run(job):
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_two_handovers_racing_for_the_last_gift_exactly_one_wins(committed_db):
    # given one dash cam in stock and two prepared, explained deliveries that each give it
    store = StoreFactory(group=DealerGroupFactory(code="race"), code="race-a")
    consultant = staff("consultant", store)
    clerk = staff("admin_clerk", store)
    cam = GiftItemFactory(store=store, name="行车记录仪", stock=1)
    deliveries = [explained(store, consultant, clerk, when=slot(2, 10 + 2 * i, store=store)) for i in range(2)]
    for d in deliveries:
        DeliveryGift.objects.create(delivery=d, gift=cam, quantity=1)

    # when both are confirmed at the same moment
    jobs = [
        (lambda d=d: services.delivery_confirm(actor=consultant, delivery=d, customer_name=d.customer.name))
        for d in deliveries
    ]
    results, errors = _run_together(jobs)

    # then exactly one is handed over, the other refused for stock, and stock is 0, never below
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "gift_out_of_stock"
    assert GiftItem.objects.get(pk=cam.pk).stock == 0
    assert Delivery.objects.filter(status=DeliveryStatus.HANDED_OVER).count() == 1


def test_two_bookings_racing_for_one_bay_exactly_one_wins(committed_db):
    store = StoreFactory(group=DealerGroupFactory(code="race2"), code="race-b")
    consultant = staff("consultant", store)
    orders = [ready_order(store, consultant) for _ in range(2)]
    when = slot(2, 10, store=store)
    jobs = [
        (lambda o=o: services.delivery_schedule(actor=consultant, order=o, scheduled_at=when, bay="1号交车区"))
        for o in orders
    ]
    results, errors = _run_together(jobs)
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "bay_taken"
    assert Delivery.objects.count() == 1


def test_handover_racing_the_orders_cancellation_never_deadlocks(committed_db):
    # given explained deliveries whose orders a manager cancels at the moment the consultant signs the handover
    # (the handover takes the order before the delivery, as the cancellation does: the reverse order deadlocked)
    from dealerdesk.sales import services as sales_services
    from dealerdesk.sales.models import Order

    store = StoreFactory(group=DealerGroupFactory(code="race3"), code="race-c")
    consultant = staff("consultant", store)
    manager = staff("sales_manager", store)
    clerk = staff("admin_clerk", store)
    outcomes = []
    for i in range(5):
        delivery = explained(store, consultant, clerk, when=slot(2 + i, 10, store=store))
        jobs = [
            lambda d=delivery: services.delivery_confirm(actor=consultant, delivery=d, customer_name=d.customer.name),
            lambda d=delivery: sales_services.order_cancel(
                actor=manager, order=d.order, reason="客户改主意", deposit_decision="refund"
            ),
        ]
        results, errors = _run_together(jobs)
        # then one of the two wins and the other is refused in words (a domain error), never a database error
        assert len(results) == 1, errors
        assert len(errors) == 1 and isinstance(errors[0], DomainError | ValidationError), errors
        delivery.refresh_from_db()
        order = Order.objects.get(pk=delivery.order_id)
        outcomes.append((delivery.status, order.status))
        assert (delivery.status, order.status) in {("handed_over", "delivered"), ("cancelled", "cancelled")}
    assert len(outcomes) == 5
