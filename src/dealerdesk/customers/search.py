"""One-box customer search: tokens written with the customer, prefix scans when searching (DESIGN §8).

Tokens are "<kind>:<text>" in one table with an index on (store, token, customer). Every kind of query is a
range scan `token >= p AND token < p + U+10FFFF`, which a B-tree answers identically on SQLite (BINARY) and on
PostgreSQL (the column is COLLATE "C", see the migration).

Search must not confirm a mobile its user sees only masked (`138****8000`; docs/decisions/0013). For a user who
reaches customers whose mobile they may never reveal (reception: `visibility.mobile_shown_only_masked`):

- a mobile is found only by the whole number (exact token), never by its first digits: a prefix search would give
  away the four hidden digits one at a time, in about 40 searches;
- every search by a whole mobile is a lookup, written to the access log (who, when, how many customers it found,
  which one if a single one; never the number typed), found or not: a miss is what guessing looks like;
- and it is limited per user (`FULL_MOBILE_LIMITS`), counted in Django's cache (Redis in production, so every app
  server counts together).

The last 4 digits are searched as before: they are what the masked mobile shows anyway.
"""

import functools
import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS

from dealerdesk.core.audit import access_record
from dealerdesk.core.errors import DomainError
from dealerdesk.core.validators import normalize_mobile, to_halfwidth

from . import visibility
from .choices import TokenKind
from .models import Customer, OwnedVehicle, SearchToken

logger = logging.getLogger(__name__)

TOKEN_MAX = 40
TOP = 20
PER_PROBE = 200
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
_PROVINCES = set("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
_END = chr(0x10FFFF)


class SearchTooBroad(DomainError):
    default_code = "search_too_short"
    default_message = _(
        "Type at least 2 characters (2 Chinese characters, pinyin, 4 digits of a mobile, a plate or VIN)."
    )


class FullMobileLimit(NamedTuple):
    searches: int
    seconds: int
    period: str  # how the period reads in the refusal ("10 minutes")


# Searches by a whole mobile allowed per user, in fixed windows, for users who see mobiles only masked.
# A real desk never reaches them: a caller dictating a number takes a minute or more, so even a receptionist who does
# nothing else stays near 10 in 10 minutes; 30 leaves room for a queue at the desk and for typing a number again.
# A busy showroom day is some 100-150 walk-ins and calls for the whole desk; 300 a day for one person is twice that.
# Guessing the 4 hidden digits of one masked mobile takes 5,000 tries on average: 17 days at 300 a day, each try in
# the access log. The day's window turns at 00:00 UTC, 08:00 in China, before the showroom opens.
FULL_MOBILE_LIMITS = (
    FullMobileLimit(30, 10 * 60, _("10 minutes")),
    FullMobileLimit(300, 24 * 60 * 60, _("a day")),
)


class SearchLimited(SearchTooBroad):
    """Too many searches by a whole mobile number. A kind of SearchTooBroad, so that every search box (customers,
    offers, sales, showroom, test drives) shows it as it shows a refused search."""

    status = 429
    default_code = "search_rate_limited"

    def __init__(self, limit: FullMobileLimit, retry_after: int, retry_at: datetime):
        message = gettext(
            "You have searched by a full mobile number %(searches)d times in %(period)s, the most allowed: each such "
            "search is logged, and the limit keeps masked numbers from being guessed. Search again after "
            "%(time)s, or search by name or by the last 4 digits of the mobile."
        ) % {"searches": limit.searches, "period": limit.period, "time": timezone.localtime(retry_at).strftime("%H:%M")}
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


def _tok(kind: str, text: str) -> str:
    return f"{kind}:{text}"[:TOKEN_MAX]


def _surname_readings(char: str) -> list[str]:
    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return [r for r in dict.fromkeys(readings) if r.isascii()][:3] or [char]


@functools.lru_cache(maxsize=65536)
def name_tokens(name: str) -> frozenset[str]:
    """Suffixes of the name (fragments), full pinyin and initials with every reading of the surname.

    Cached: common Chinese names repeat a lot, and pinyin conversion dominates bulk imports.
    """
    return frozenset(_name_tokens(name))


def _name_tokens(name: str) -> set[str]:
    name = re.sub(r"\s+", "", name)
    tokens: set[str] = set()
    for i in range(len(name) - 1):
        tokens.add(_tok(TokenKind.NAME, name[i:]))
    if len(name) == 1:
        tokens.add(_tok(TokenKind.NAME, name))
    if not _CJK.search(name):
        lowered = name.lower()
        tokens.add(_tok(TokenKind.PINYIN, lowered))
        return tokens
    given = lazy_pinyin(name[1:], errors="ignore")
    given_initials = "".join(p[0] for p in given if p)
    for surname in _surname_readings(name[0]):
        tokens.add(_tok(TokenKind.PINYIN, surname + "".join(given)))
        tokens.add(_tok(TokenKind.INITIALS, surname[0] + given_initials))
    if len(given) >= 1 and "".join(given):
        tokens.add(_tok(TokenKind.PINYIN, "".join(given)))
    return tokens


def mobile_tokens(e164: str) -> set[str]:
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if not national:
        return set()
    return {_tok(TokenKind.MOBILE, national), _tok(TokenKind.MOBILE_TAIL, national[-4:])}


# ---------------------------------------------------------------- bulk (imports)


def new_customer_tokens(name: str, mobile: str) -> set[str]:
    """`tokens_for` of a new customer (no vehicles yet), for bulk imports: the same tokens, computed faster.

    The pinyin of a name is assembled from cached per-character readings whenever that is provably what pypinyin
    would give for the whole name (see `_given_pinyin`); otherwise pypinyin converts the name as `name_tokens`
    does.
    """
    return _fast_name_tokens(name) | mobile_tokens(mobile)


@functools.lru_cache(maxsize=65536)
def _fast_name_tokens(name: str) -> frozenset[str]:
    """Exactly `name_tokens(name)`, with the surname's readings and the given name's pinyin cached piecewise."""
    name = re.sub(r"\s+", "", name)
    if not _CJK.search(name):
        return name_tokens(name)
    tokens: set[str] = set()
    for i in range(len(name) - 1):
        tokens.add(_tok(TokenKind.NAME, name[i:]))
    if len(name) == 1:
        tokens.add(_tok(TokenKind.NAME, name))
    joined, given_initials = _given_spellings(name[1:])
    for surname in _cached_surname_readings(name[0]):
        tokens.add(_tok(TokenKind.PINYIN, surname + joined))
        tokens.add(_tok(TokenKind.INITIALS, surname[0] + given_initials))
    if joined:
        tokens.add(_tok(TokenKind.PINYIN, joined))
    return frozenset(tokens)


@functools.lru_cache(maxsize=65536)
def _given_spellings(given: str) -> tuple[str, str]:
    """The given name's pinyin run together, and its initials."""
    readings = _given_pinyin(given)
    return "".join(readings), "".join(p[0] for p in readings if p)


@functools.lru_cache(maxsize=8192)
def _cached_surname_readings(char: str) -> tuple[str, ...]:
    return tuple(_surname_readings(char))


@functools.lru_cache(maxsize=65536)
def _given_pinyin(given: str) -> tuple[str, ...]:
    """`lazy_pinyin(given, errors="ignore")`, from per-character readings when that gives the same result.

    pypinyin reads a run of Chinese characters phrase by phrase (its phrase dictionary) and every other character
    on its own. When no part of the run of two or more characters is a phrase, and no character is a one-character
    entry of the phrase dictionary, every character is read on its own, whatever the segmentation: the run's
    pinyin is the characters' pinyin in order.
    """
    readings = [_char_pinyin(char) for char in given]
    if None in readings or _has_phrase(given):
        return tuple(lazy_pinyin(given, errors="ignore"))
    return tuple(readings)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str | None:
    """The one reading pypinyin gives a character read on its own; None when it is not a plain Chinese character."""
    if char in PHRASES_DICT or ord(char) not in PINYIN_DICT or not RE_HANS.match(char):
        return None
    readings = lazy_pinyin(char, errors="ignore")
    return readings[0] if len(readings) == 1 and readings[0] else None


def _has_phrase(text: str) -> bool:
    return any(text[i:j] in PHRASES_DICT for i in range(len(text)) for j in range(i + 2, len(text) + 1))


def plate_tokens(plate: str) -> set[str]:
    return {_tok(TokenKind.PLATE, plate[i:]) for i in range(max(len(plate) - 2, 1))} if plate else set()


def vin_tokens(vin: str) -> set[str]:
    return {_tok(TokenKind.VIN_TAIL, vin[::-1])} if vin else set()


def tokens_for(customer: Customer, vehicles: list[OwnedVehicle] | None = None) -> set[str]:
    """Every token of a customer: name, mobile, and the plates and VINs of their vehicles."""
    if customer.erased_at or customer.merged_into_id:
        return set()
    tokens = name_tokens(customer.name) | mobile_tokens(customer.mobile)
    vehicles = vehicles if vehicles is not None else list(customer.vehicles.all())
    for v in vehicles:
        tokens |= plate_tokens(v.plate) | vin_tokens(v.vin)
    return tokens


def reindex_customer(customer: Customer) -> None:
    """Replace the customer's tokens (called by every service that changes what is searchable)."""
    SearchToken.objects.filter(customer=customer).delete()
    SearchToken.objects.bulk_create(
        SearchToken(store_id=customer.store_id, token=t, customer=customer) for t in sorted(tokens_for(customer))
    )


@dataclass(frozen=True)
class Probe:
    """One prefix to scan and how much an exact or a prefix hit is worth; `exact`: the token itself, no prefix."""

    prefix: str
    exact_score: int
    prefix_score: int
    exact: bool = False


def full_mobile(query: str) -> str | None:
    """The mobile token's text (the national number of a Chinese mobile, all digits of another) when the query is a
    whole, valid mobile number; None otherwise."""
    text = re.sub(r"[\s·•\-]", "", to_halfwidth(query or ""))
    digits = text[1:] if text.startswith("+") else text
    if not digits.isdigit() or len(digits) < 7:
        return None
    if len(digits) == 13 and digits.startswith("86"):
        text = "+" + digits
    try:
        e164 = normalize_mobile(text)
    except ValidationError:
        return None
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def probes_for(query: str, *, mobile_prefixes: bool = True) -> list[Probe]:
    """What to look for, by the shape of the query. Raises SearchTooBroad for one character.

    `mobile_prefixes=False` (a user who sees mobiles only masked): a mobile only by the whole number, exactly.
    """
    q = re.sub(r"[\s·•\-]", "", to_halfwidth(query or ""))
    if q.startswith("+") and q[1:].isdigit():
        q = q[1:]
    if len(q) < 2:
        raise SearchTooBroad()
    probes: list[Probe] = []
    upper = q.upper()
    if q.isdigit():
        national = q[2:] if q.startswith("86") and len(q) == 13 else q
        if len(national) == 4:
            probes.append(Probe(_tok(TokenKind.MOBILE_TAIL, national), 90, 90))
        if len(national) >= 5 and mobile_prefixes:
            probes.append(Probe(_tok(TokenKind.MOBILE, national), 100, 50))
        elif len(national) >= 5 and (whole := full_mobile(query)) is not None:
            probes.append(Probe(_tok(TokenKind.MOBILE, whole), 100, 0, exact=True))
    if _CJK.search(q):
        if q[0] in _PROVINCES and len(q) >= 3 and q[1:].isalnum() and q[1:].isascii():
            probes.append(Probe(_tok(TokenKind.PLATE, upper), 85, 60))
        elif all(_CJK.match(c) for c in q):
            probes.append(Probe(_tok(TokenKind.NAME, q), 80, 60))
    elif q.isascii() and q.isalpha():
        lowered = q.lower()
        probes.append(Probe(_tok(TokenKind.PINYIN, lowered), 70, 40))
        probes.append(Probe(_tok(TokenKind.INITIALS, lowered), 75, 45))
    if q.isascii() and q.isalnum() and len(q) >= 3 and not q.isalpha():
        probes.append(Probe(_tok(TokenKind.PLATE, upper), 85, 55))
        if len(q) >= 4:
            probes.append(Probe(_tok(TokenKind.VIN_TAIL, upper[::-1]), 85, 60))
    if not probes:
        raise SearchTooBroad()
    return probes


def search_customers(user, query: str, *, limit: int = TOP) -> list[Customer]:
    """Top `limit` visible customers matching the query, best first (exact before prefix, then newest).

    One index range scan per probe (an OR of ranges makes SQLite scan the whole store); each keeps at most
    PER_PROBE rows, newest customers first within a token (the index is (store, token, customer DESC)).

    For a user who sees mobiles only masked, a whole mobile is a lookup: counted against FULL_MOBILE_LIMITS
    (SearchLimited past them, before anything is searched) and written to the access log (see the module's notes).
    """
    from .selectors import _visibility_q

    masked_only = visibility.mobile_shown_only_masked(user)
    probes = probes_for(query, mobile_prefixes=not masked_only)
    lookup = any(probe.exact for probe in probes) and getattr(user, "is_authenticated", False)
    if lookup:
        _count_full_mobile_search(user)
    visible = _visibility_q(user)
    scope = _token_scope(visible) if visible is not None else Q()
    scores: dict[int, int] = {}
    by_mobile: list[int] = []
    for probe in probes:
        if probe.exact:
            rows = SearchToken.objects.filter(scope, token=probe.prefix).order_by("-customer_id")
        else:
            rows = SearchToken.objects.filter(scope, token__gte=probe.prefix, token__lt=probe.prefix + _END)
            rows = rows.order_by("token", "-customer_id")
        for customer_id, token in rows.values_list("customer_id", "token")[:PER_PROBE]:
            score = probe.exact_score if token == probe.prefix else probe.prefix_score
            if score > scores.get(customer_id, 0):
                scores[customer_id] = score
            if probe.exact:
                by_mobile.append(customer_id)
    best = sorted(scores, key=lambda cid: (-scores[cid], -cid))[:limit]
    customers = Customer.objects.filter(pk__in=best).select_related("owner", "store")
    by_id = {c.pk: c for c in customers}
    found = [by_id[cid] for cid in best if cid in by_id]
    if lookup:
        _log_full_mobile_search(user, [c for c in found if c.pk in set(by_mobile)])
    return found


def _count_full_mobile_search(user) -> None:
    """Count one search by a whole mobile for the user in each window of FULL_MOBILE_LIMITS; SearchLimited past one.

    Fixed windows in the shared cache: `add` then `incr` is atomic on Redis, so app servers count together.
    """
    now = timezone.now().timestamp()
    for limit in FULL_MOBILE_LIMITS:
        window = int(now // limit.seconds)
        ends = (window + 1) * limit.seconds
        key = f"dealerdesk:search:full-mobile:{user.pk}:{limit.seconds}:{window}"
        cache.add(key, 0, timeout=int(ends - now) + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=int(ends - now) + 60)
            count = 1
        if count > limit.searches:
            logger.warning("search by full mobile refused: user %s, %d in %ds", user.pk, limit.searches, limit.seconds)
            raise SearchLimited(limit, max(1, math.ceil(ends - now)), datetime.fromtimestamp(ends, tz=UTC))


def _log_full_mobile_search(user, found: list[Customer]) -> None:
    """One `lookup` row in the access log: who searched by a whole mobile, how many customers it matched and which
    one if a single one. The number typed is not kept (a miss would keep a number nobody may see)."""
    stores = {customer.store_id for customer in found}
    if not stores:
        visible = user.visible_store_ids()
        stores = set(visible) if visible is not None and len(visible) == 1 else set()
    access_record(
        actor=user,
        kind="lookup",
        target_type="customers.customer",
        target_id=str(found[0].pk) if len(found) == 1 else "",
        store_id=next(iter(stores)) if len(stores) == 1 else None,
        fields=["mobile"],
        row_count=len(found),
        reason="search by full mobile: " + (f"{len(found)} found" if found else "none found"),
    )


def _token_scope(visible: Q) -> Q:
    """Turn the Customer visibility Q into the same condition over SearchToken (store and owner)."""
    children = []
    for child in visible.children:
        if isinstance(child, Q):
            children.append(_token_scope(child))
        else:
            key, value = child
            if key == "pk__in":
                children.append(Q(customer_id__in=value))
            elif key.startswith("store_id"):
                children.append(Q(**{key: value}))
            else:
                children.append(Q(**{f"customer__{key}": value}))
    q = Q(*children, _connector=visible.connector, _negated=visible.negated)
    return q
