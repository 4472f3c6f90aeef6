import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

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
        request.session_expired = bool(sent_cookie and request.session.is_empty())
        return self.get_response(request)


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


def _same_site_referer(request: HttpRequest) -> str:
    """The page the user came from, only when it is on this site (never an open redirect)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return ""
