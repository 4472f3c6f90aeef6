"""Tests marked `postgresql_only` need a database server (a connection to terminate): on SQLite they are not
collected at all, and the summary says how many were left out and why, instead of counting them as skipped. The
SQLite counterpart of the same fault (the writing process killed) runs on both databases."""

from django.db import connection


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL (not collected on SQLite)")


def pytest_collection_modifyitems(config, items) -> None:
    if connection.vendor == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql_only")]
