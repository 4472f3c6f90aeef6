import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
