"""The `committed_db` fixture: threads see each other's commits, and the append-only triggers survive it."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from dealerdesk.core.audit import audit_record
from dealerdesk.core.models import AuditEntry
from tests.factories import StoreFactory


def test_threads_commit_audit_rows_and_see_each_other(committed_db):
    store = StoreFactory()

    errors = []

    def write():
        try:
            with transaction.atomic():
                audit_record(actor=None, action="store.touched", target=store)
        except Exception as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEntry.objects.filter(action="store.touched", target_id=str(store.pk)).count() == 4


def test_audit_rows_stay_append_only_after_a_committed_db_test(db):
    store = StoreFactory()
    entry = audit_record(actor=None, action="store.touched", target=store)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
