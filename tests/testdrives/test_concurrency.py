"""The overlap invariant under concurrency: 32 threads on separate connections race for the same demo car and the
same consultant. Exactly one wins each contested slot; the others get 409; a self-join finds no overlap."""

import datetime
import threading

from django.db import connection
from django.utils import translation

from dealerdesk.testdrives import services
from dealerdesk.testdrives.selectors import overlap_violations
from dealerdesk.testdrives.services import SlotTaken
from tests.customers.factories import CustomerFactory
from tests.factories import DealerGroupFactory, StoreFactory, staff
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import at

THREADS = 32
SLOTS = (10, 12, 14, 16)  # contested start hours of tomorrow

SELF_JOIN = """
SELECT COUNT(*) FROM testdrives_testdrive a JOIN testdrives_testdrive b ON a.id < b.id
 AND a.status IN ('requested','confirmed','prepared','in_progress')
 AND b.status IN ('requested','confirmed','prepared','in_progress')
 AND ((a.demo_car_id = b.demo_car_id AND a.start_at < b.blocked_until AND b.start_at < a.blocked_until)
   OR (a.consultant_id = b.consultant_id AND a.start_at < b.end_at AND b.start_at < a.end_at))
"""


def test_32_threads_race_for_the_same_car_and_consultant(committed_db):
    # given one store, two demo cars, one consultant and 32 customers
    store = StoreFactory(group=DealerGroupFactory(code="race"), code="race")
    consultant = staff("consultant", store)
    cars = [DemoCarFactory(store), DemoCarFactory(store)]
    customers = [CustomerFactory(store=store, owner=consultant) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    won, refused, errors = [], [], []

    def attempt(i: int) -> None:
        # each thread books slot i % 4 (30 or 60 minutes, shifted 0–30 minutes) on car 0 or car 1; the consultant
        # is always the same, so every pair in a slot overlaps on the consultant or on the car
        hour = SLOTS[i % len(SLOTS)]
        start = at(store, 1, hour, (i // len(SLOTS)) % 2 * 30)
        try:
            with translation.override("en"):
                barrier.wait()
                td = services.testdrive_book(
                    actor=consultant,
                    store=store,
                    customer=customers[i],
                    demo_car=cars[i % 2],
                    consultant=consultant,
                    start=start,
                    end=start + datetime.timedelta(minutes=60),
                )
            won.append((hour, td.pk))
        except SlotTaken as exc:
            refused.append((hour, exc.status, exc.extra.get("next_free")))
        except Exception as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly one booking per contested slot, every other attempt a 409
    assert errors == []
    assert sorted(h for h, _pk in won) == list(SLOTS)
    assert len(refused) == THREADS - len(SLOTS)
    assert all(status == 409 for _h, status, _n in refused)
    assert overlap_violations() == 0
    with connection.cursor() as cursor:
        cursor.execute(SELF_JOIN)
        assert cursor.fetchone()[0] == 0
