"""SQLite writers of one process queue first come, first served (dealerdesk.core.sqlite3): the lock is handed to
the oldest waiter, a waiter that times out leaves the queue, and many threads writing at once all get through."""

import threading
import time

from django.db import connection, connections, transaction

from dealerdesk.core.sqlite3.base import WriterQueue, writer_queue


def test_the_turn_goes_to_waiters_in_arrival_order():
    queue = WriterQueue()
    assert queue.acquire(timeout=1)
    order: list[int] = []

    def waiter(n: int) -> None:
        assert queue.acquire(timeout=10)
        order.append(n)
        queue.release()

    threads = []
    for n in range(8):
        thread = threading.Thread(target=waiter, args=(n,))
        thread.start()
        threads.append(thread)
        while len(queue._waiters) < n + 1:  # the next one queues only after this one is in line
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(8))


def test_a_waiter_that_times_out_leaves_the_queue():
    queue = WriterQueue()
    assert queue.acquire(timeout=1)
    assert queue.acquire(timeout=0.05) is False
    assert len(queue._waiters) == 0
    queue.release()
    assert queue.acquire(timeout=0)  # free again, nobody left waiting
    queue.release()


def test_32_threads_writing_at_once_all_commit(committed_db):
    from dealerdesk.accounts.models import DealerGroup

    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(5):
                with transaction.atomic():
                    DealerGroup.objects.create(name=f"并发集团 {n}-{k}", code=f"rush-{n}-{k}")
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert DealerGroup.objects.filter(name__startswith="并发集团").count() == 160
    if connection.vendor == "sqlite":  # PostgreSQL needs no queue: its row locks wait fairly
        queue = writer_queue(connection.settings_dict["NAME"])
        assert not queue._held and not queue._waiters  # every turn was handed back
