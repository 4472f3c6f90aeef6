import time
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind nginx the proxy sets X-Real-IP; REMOTE_ADDR otherwise. X-Forwarded-For is spoofable.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    """Gives each request an id (or keeps a sane one from the proxy) and binds it for audit and logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        request.request_id = request_id
        token = context.bind(context.RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.unbind(token)
        response["X-Request-ID"] = request_id
        return response


class SessionExpiryMiddleware:
    """Marks a request that came with a session cookie whose session is gone (idle timeout)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent_cookie = settings.SESSION_COOKIE_NAME in request.COOKIES
        # Django deletes the cookie on logout, so a cookie with no session behind it means it timed out.
        expired_here = request.session.pop(IDLE_EXPIRED_KEY, False) if sent_cookie else False
        request.session_expired = bool(sent_cookie and (request.session.is_empty() or expired_here))
        return self.get_response(request)


IDLE_KEY = "_dealerdesk_last_activity"
IDLE_EXPIRED_KEY = "_dealerdesk_idle_expired"
BACKGROUND_HEADER = "X-DealerDesk-Background"  # set by the page's own refreshes (inbox badge, desk, board)
IDLE_WRITE_EVERY = 60  # seconds: the session row is rewritten at most once a minute for activity


def activity_starts_at_login(sender, request, user, **kwargs) -> None:
    """Logging in is activity: the idle clock starts then, so the first page after it writes nothing more."""
    if request is not None and hasattr(request, "session"):
        request.session[IDLE_KEY] = int(time.time())


def is_background(request: HttpRequest) -> bool:
    """A refresh the page makes by itself, not something the person did."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


class IdleTimeoutMiddleware:
    """Logs a person out after DEALERDESK_IDLE_TIMEOUT_SECONDS without activity, on every page.

    Background refreshes do not count as activity, so a tablet left open on the reception desk or a page polling its
    inbox badge is logged out like any other. An htmx request that finds the session ended sends the whole page to
    the login page (HX-Redirect) instead of swapping the login form into a badge.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            last = session.get(IDLE_KEY)
            if last is not None and now - last > settings.DEALERDESK_IDLE_TIMEOUT_SECONDS:
                session.flush()
                session[IDLE_EXPIRED_KEY] = True
                request.session_expired = True
                if request.headers.get("HX-Request"):
                    login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': _page_of(request)})}"
                    return HttpResponse(status=204, headers={"HX-Redirect": login})
            elif not is_background(request) and (last is None or now - last >= IDLE_WRITE_EVERY):
                session[IDLE_KEY] = now
        return self.get_response(request)


def _page_of(request: HttpRequest) -> str:
    """The page the person was on (htmx sends it), to come back to after logging in; never another site."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
        return urlsplit(current).path
    return "/"


class MethodNotAllowedPageMiddleware:
    """A page, not an empty body, when a browser GETs an address that only takes a form.

    It happens when someone refreshes or goes back to a page that showed a form's errors after a POST. The API keeps
    its plain 405 (clients read the Allow header).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if response.status_code == 405 and request.method == "GET" and not request.path.startswith("/api/"):
            page = render(request, "405.html", {"back": _same_site_referer(request)}, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


# PostgreSQL's SQLSTATEs for a transaction it rolled back because of another one: retrying it is safe
RETRYABLE_SQLSTATES = {"40P01": "deadlock", "40001": "serialization_failure"}


def retryable_failure(exc: BaseException) -> str | None:
    """'deadlock' or 'serialization_failure' when the database aborted the transaction for a concurrent one."""
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    return RETRYABLE_SQLSTATES.get(getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or "")


class RetryableConflictMiddleware:
    """A concurrent write that the database refused answers 409 "try again", never a server error.

    Writers take their locks in one order (core.locks), so this should not happen; it is the net under that rule
    for a path that misses it. The transaction was rolled back whole, so nothing was written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        kind = retryable_failure(exception)
        if kind is None:
            return None
        message = _("Someone changed the same record at the same moment; nothing was saved. Please try again.")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "retry", "detail": message}, status=409, headers={"Retry-After": "1"})
        return render(request, "409_retry.html", {"back": _same_site_referer(request)}, status=409)


def _same_site_referer(request: HttpRequest) -> str:
    """The page the user came from, only when it is on this site (never an open redirect)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return ""
