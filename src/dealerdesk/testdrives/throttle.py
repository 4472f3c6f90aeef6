"""Rate limits of the public booking page, kept in Django's cache (Redis in production): per IP and per mobile.

Every attempt counts against the visitor's address (flood protection). The per-mobile limit counts only bookings
actually made: counting attempts would let anyone who knows a mobile block that person's online booking for a day
with a few invalid or clashing posts."""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dealerdesk.core.middleware import client_ip as _request_ip

PER_IP = (10, 60 * 60)  # attempts per hour from one address
PER_MOBILE = (3, 24 * 60 * 60)  # bookings made per day for one mobile


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no PII in the cache key
    return f"testdrives:public:{kind}:{digest}"


def _count(key: str, seconds: int) -> int:
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def allow(kind: str, value: str, limit: tuple[int, int]) -> bool:
    """Count one attempt; False once `limit` = (attempts, seconds) is exceeded."""
    if not value:
        return True
    return _count(_key(kind, value), limit[1]) <= limit[0]


def reached(kind: str, value: str, limit: tuple[int, int]) -> bool:
    """True when `limit` is used up, without counting anything (pair with `record` after a success)."""
    if not value:
        return False
    return (cache.get(_key(kind, value)) or 0) >= limit[0]


def record(kind: str, value: str, limit: tuple[int, int]) -> None:
    """Count one success against `limit`."""
    if value:
        _count(_key(kind, value), limit[1])


def client_ip(request: HttpRequest) -> str:
    """The visitor's address as the rest of the app sees it: nginx's X-Real-IP (docs/deploy.md), else REMOTE_ADDR.
    REMOTE_ADDR alone is the proxy's 127.0.0.1 for every visitor in production."""
    return _request_ip(request) or ""


def mobile_key(mobile: str) -> str:
    """The mobile's last 11 digits, so that "+86 139…" and "139…" share one count."""
    return "".join(ch for ch in (mobile or "") if ch.isdigit())[-11:]


def booking_refusal(request: HttpRequest, mobile: str) -> str | None:
    """Before a public booking: a message when this address has tried too often (the attempt is counted) or this
    mobile has booked too often today (nothing counted: see `booking_made`), else None."""
    if not allow("ip", client_ip(request), PER_IP):
        return str(_("Too many bookings from your network; please try again later or call the store."))
    if reached("mobile", mobile_key(mobile), PER_MOBILE):
        return str(_("Too many bookings for this mobile today; please call the store."))
    return None


def booking_made(mobile: str) -> None:
    """After a public booking was created: count it against the mobile's daily limit."""
    record("mobile", mobile_key(mobile), PER_MOBILE)
