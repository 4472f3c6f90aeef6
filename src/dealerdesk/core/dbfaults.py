"""The database went away in the middle of a request: answer 503 "nothing was saved, try again", never a 500.

A connection the database server closed (restart, failover, `pg_terminate_backend`, a network cut) or could not
open raises `OperationalError` (or `InterfaceError` once the connection is known closed). The service's transaction
was open on that very connection, so the server rolled it back whole: nothing of the action was written and it may
simply be sent again. This middleware turns exactly that case into a clear, retryable answer: JSON with the code
`database_unavailable` under `/api/`, a short page elsewhere, both with `Retry-After`. It renders without touching
the database (which is gone). Deadlocks and serialisation failures stay with `RetryableConflictMiddleware` (409).

Place it last in MIDDLEWARE (its `process_exception` then runs first, before the conflict one declines).
"""

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

# SQLSTATE classes of a lost or refused connection (PostgreSQL): 08 connection exception, 57P operator intervention
# (57P01 admin shutdown / terminated backend, 57P02 crash shutdown, 57P03 cannot connect now).
_LOST_PREFIXES = ("08", "57P")
_RETRY_AFTER = "5"

MESSAGE = gettext_noop("The connection to the database was lost; nothing was saved. Please try again in a moment.")
TITLE = gettext_noop("Database unavailable")


def connection_lost(exc: BaseException) -> bool:
    """True when the database connection broke or could not be opened (not for a deadlock or a locked SQLite file)."""
    if isinstance(exc, InterfaceError):
        return True  # Django/psycopg: the connection is already closed
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith(_LOST_PREFIXES)
    # psycopg raises OperationalError without a SQLSTATE when the server closed the socket or could not be reached
    return cause is not None and type(cause).__module__.startswith("psycopg")


class DatabaseUnavailableMiddleware:
    """A lost database connection answers 503 with a translated "nothing was saved; try again", not a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not connection_lost(exception):
            return None
        message = _(MESSAGE)
        headers = {"Retry-After": _RETRY_AFTER}
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "database_unavailable", "detail": message}, status=503, headers=headers)
        page = format_html(
            '<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>'
            "<body><main><h1>{}</h1><p>{}</p></main></body></html>",
            get_language() or "zh-hans",
            _(TITLE),
            _(TITLE),
            message,
        )
        return HttpResponse(page, status=503, headers=headers, content_type="text/html; charset=utf-8")
