import pytest
from rest_framework.test import APIClient

from tests.factories import DealerGroupFactory, StoreFactory, staff


@pytest.fixture(autouse=True)
def _fresh_caches():
    """django-axes and throttles keep state in the cache; each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def group(db):
    return DealerGroupFactory(code="xy", name="星耀集团")


@pytest.fixture
def store_a(group):
    return StoreFactory(group=group, code="store-a", name="A店")


@pytest.fixture
def store_b(group):
    return StoreFactory(group=group, code="store-b", name="B店")


@pytest.fixture
def make_staff():
    return staff


@pytest.fixture
def api():
    return APIClient()


_AUDIT_TABLES = ["core_auditentry", "core_accesslog"]


@pytest.fixture
def committed_db(transactional_db, django_db_blocker):
    """A database whose writes really commit, for tests with several threads on separate connections.

    Like `transactional_db` (emptied afterwards). On SQLite the emptying is by DELETE, which the append-only
    triggers refuse: the audit tables are emptied here with their DELETE triggers lifted for that moment, so the
    flush that follows finds nothing to delete there. (PostgreSQL flushes by TRUNCATE, which row triggers ignore.)
    """
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for table in _AUDIT_TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
            )


# The `shanghai_clock` fixture (tests/clock.py): runs a test at 00:05, 07:59 and 23:59 Asia/Shanghai, at the end of a
# month and of a year, and on 1 January. Apply with `pytest.mark.usefixtures("shanghai_clock")`.
from tests.clock import shanghai_clock  # noqa: E402, F401

# isort: split
# `--clock=ISO` (tests/clock.py): every test of the run starts with the clock travelled to that instant, before any
# other fixture. `pytest -m "not e2e" --clock=2026-12-31T23:59+08:00`; the sweep is in docs/testing-clock.md.
from tests.clock import (  # noqa: E402, F401
    _clock_option,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_report_header,
)
