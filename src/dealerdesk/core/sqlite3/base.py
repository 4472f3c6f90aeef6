"""Django's SQLite backend, with writers of one process queued first come, first served.

Every transaction takes SQLite's write lock at BEGIN (transaction_mode IMMEDIATE), which is what makes a
check-then-insert in a service safe. While the lock is taken, SQLite's busy handler makes the others poll with
growing sleeps (up to 100 ms), so under many threads a writer can lose the race again and again until its busy
timeout runs out ("database is locked") while later arrivals get through. Threads of one process (the threaded
web server, the benchmark's 32 threads) therefore wait here in a queue, and the lock is handed to the oldest
waiter when a transaction ends. Other processes (the task worker, the tick) still meet SQLite's own busy timeout.
"""

import threading
from collections import deque

from django.db.backends.sqlite3 import base

# How long a thread waits in the queue before it stops queueing and lets SQLite's busy timeout decide: a
# transaction held open that long (a hung request) must not stop the others for ever.
QUEUE_TIMEOUT_SECONDS = 20.0


class WriterQueue:
    """A lock handed over in arrival order; a waiter that times out leaves the queue."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over between the timeout and this line
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # handed over: stays held by the next in line
            else:
                self._held = False


_QUEUES: dict[str, WriterQueue] = {}
_QUEUES_MUTEX = threading.Lock()


def writer_queue(database_name: str) -> WriterQueue:
    with _QUEUES_MUTEX:
        return _QUEUES.setdefault(str(database_name), WriterQueue())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_turn = False

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode is None or self.is_in_memory_db():
            return super()._start_transaction_under_autocommit()
        queue = writer_queue(self.settings_dict["NAME"])
        self._holds_writer_turn = queue.acquire(QUEUE_TIMEOUT_SECONDS)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_writer_turn()
            raise

    def _end_writer_turn(self) -> None:
        if self._holds_writer_turn:
            self._holds_writer_turn = False
            writer_queue(self.settings_dict["NAME"]).release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._end_writer_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._end_writer_turn()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._end_writer_turn()
