"""Named locks held until the transaction ends, taken in one global order so that racing writers queue instead of
deadlocking.

Why: two PostgreSQL transactions that each insert a row checked by two exclusion (or unique) constraints can wait
on each other's uncommitted row, one through the first constraint and the other through the second, and one of
them dies with "deadlock detected". Taking a lock per resource that decides the write (a demo car, a consultant,
a VIN) before checking and writing, always in sorted order, turns that into a queue: whoever holds a resource's
lock has no uncommitted rival row on it to wait for.

On SQLite there is nothing to do: every write transaction begins IMMEDIATE, so writers are already serialised
by the database's single write lock.
"""

import hashlib

from django.db import connection

_SIGNED_64 = 1 << 63


def lock_key(name: str) -> int:
    """The signed 64-bit number PostgreSQL's advisory locks take for a lock's name (stable across processes)."""
    number = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return number - (1 << 64) if number >= _SIGNED_64 else number


def hold_locks(*names: str) -> None:
    """Take the named locks for the rest of the current transaction, in one global order (sorted by key).

    Every writer that needs several of these names must take them in a single call: the sorted order across the
    whole set is what rules out a cycle.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("hold_locks() needs a transaction: the locks are released when it ends.")
    if connection.vendor != "postgresql":
        return
    keys = sorted({lock_key(name) for name in names if name})
    if not keys:
        return
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
