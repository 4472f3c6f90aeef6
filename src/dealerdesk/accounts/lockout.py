"""Login guessing made impossible without handing an outsider a switch that locks a store's staff out
(decision 0014).

- django-axes counts failures per username *and address*: five wrong passwords from one address lock that username
  there for 15 minutes. Someone elsewhere who types a colleague's username locks only themselves.
- Guessing from many addresses is stopped by a ceiling per username across all addresses: past GUARD_FAILURES in
  the cool-off window, the username can only log in from an address it has logged in from before (the showroom's),
  so the store keeps working while the guesser is refused, whatever their address.
- A token stops working the moment its account is locked at that address, deactivated, or left with no role.
"""

import datetime

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

GUARD_FAILURES = 20
KNOWN_ADDRESS_DAYS = 90


def _cool_off() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


def failures_across_addresses(username: str, *, now: datetime.datetime | None = None) -> int:
    """Failed logins of `username` from every address within the cool-off window."""
    since = (now or timezone.now()) - _cool_off()
    found = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )
    return found["total"] or 0


def known_address(username: str, ip: str | None, *, now: datetime.datetime | None = None) -> bool:
    """Has `username` logged in successfully from `ip` within KNOWN_ADDRESS_DAYS?"""
    if not ip:
        return False
    since = (now or timezone.now()) - datetime.timedelta(days=KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=username, ip_address=ip, attempt_time__gte=since).exists()


def guarded_out(request: HttpRequest, username: str) -> bool:
    """True when `username` is under a guessing attack and this request comes from an address it never used."""
    if failures_across_addresses(username) < GUARD_FAILURES:
        return False
    return not known_address(username, get_client_ip_address(request))


class GuessingGuardBackend:
    """Refuses a login attempt for a username under attack from an unknown address, before the password is tried
    (so no guess is tested). Comes right after axes' backend in AUTHENTICATION_BACKENDS. It has no get_user on
    purpose: it never logs anyone in, and force_login must not pick it as the session's backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not username:
            return None
        if guarded_out(request, username):
            request.axes_locked_out = True  # the login page and the token view answer with the lockout message
            raise PermissionDenied
        return None


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a token whose account is locked out at this address (besides the
    deactivated accounts DRF already refuses: a person whose last role was taken away is deactivated)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if _token_refused(request._request, user.get_username()):
            raise exceptions.AuthenticationFailed(
                _(
                    "Too many failed logins: this account is locked for 15 minutes. Try again later or ask your "
                    "store administrator."
                )
            )
        return user, token


def _token_refused(request: HttpRequest, username: str) -> bool:
    """Locked at this address, or guarded out: one query for the usual case of no recent failures at all."""
    since = timezone.now() - _cool_off()
    failures = list(
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since).values_list(
            "ip_address", "failures_since_start"
        )
    )
    if not failures:
        return False
    ip = get_client_ip_address(request)
    here = sum(count for address, count in failures if address == ip)
    if here >= settings.AXES_FAILURE_LIMIT:
        return True
    return sum(count for _address, count in failures) >= GUARD_FAILURES and not known_address(username, ip)
