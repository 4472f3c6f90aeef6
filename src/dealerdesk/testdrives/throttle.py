"""Rate limits of the public booking page, kept in Django's cache (Redis in production): per IP and per mobile."""

import hashlib

from django.core.cache import cache

PER_IP = (10, 60 * 60)  # bookings per hour from one address
PER_MOBILE = (3, 24 * 60 * 60)  # bookings per day for one mobile


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no PII in the cache key
    return f"testdrives:public:{kind}:{digest}"


def allow(kind: str, value: str, limit: tuple[int, int]) -> bool:
    """Count one attempt; False once `limit` = (attempts, seconds) is exceeded."""
    if not value:
        return True
    key = _key(kind, value)
    cache.add(key, 0, timeout=limit[1])
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=limit[1])
        count = 1
    return count <= limit[0]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
