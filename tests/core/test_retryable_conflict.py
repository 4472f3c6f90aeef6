"""A transaction the database aborted for a concurrent one (deadlock, serialization failure) answers 409 "try
again", in the API and on pages; any other database error stays a server error (issue #16's safety net)."""

import json

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from django.utils import translation

from dealerdesk.core.middleware import RetryableConflictMiddleware, retryable_failure

pytestmark = pytest.mark.django_db


def _database_error(sqlstate: str | None) -> OperationalError:
    """A real error raised by the database in use: on PostgreSQL with the given SQLSTATE, on SQLite a plain one."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                code = sqlstate or "57014"  # query_canceled: an OperationalError that no retry mends
                cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'raced' USING ERRCODE = '{code}'; END $$")
            else:
                cursor.execute("SELECT * FROM no_such_table_at_all")
    except OperationalError as exc:
        return exc
    except Exception as exc:  # SQLite reports a missing table as OperationalError too; anything else is a bug here
        raise AssertionError(f"unexpected {exc!r}") from exc
    raise AssertionError("the database raised nothing")


def _middleware():
    return RetryableConflictMiddleware(lambda request: None)


def test_a_deadlock_answers_409_try_again_in_the_api_and_on_a_page():
    error = _database_error("40P01")
    request_api = RequestFactory().post("/api/v1/test-drives/")
    request_page = RequestFactory().post("/test-drives/new/", HTTP_REFERER="http://testserver/test-drives/")
    with translation.override("zh-hans"):
        api = _middleware().process_exception(request_api, error)
        page = _middleware().process_exception(request_page, error)
    if connection.vendor != "postgresql":
        # SQLite serialises writers and has no deadlock: its plain OperationalError is not mistaken for one
        assert retryable_failure(error) is None and api is None and page is None
        return
    assert retryable_failure(error) == "deadlock"
    assert api.status_code == 409 and api["Retry-After"] == "1"
    body = json.loads(api.content)
    assert body["code"] == "retry" and "请重试" in body["detail"]
    assert page.status_code == 409 and "http://testserver/test-drives/" in page.content.decode()


def test_a_serialization_failure_is_retryable_and_other_database_errors_are_not():
    if connection.vendor == "postgresql":
        assert retryable_failure(_database_error("40001")) == "serialization_failure"
        assert retryable_failure(_database_error("53300")) is None  # too many connections: not the user's retry
    assert retryable_failure(_database_error(None)) is None
    assert retryable_failure(ValueError("not a database error")) is None
