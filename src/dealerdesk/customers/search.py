"""One-box customer search: tokens written with the customer, prefix scans when searching (DESIGN §8).

Tokens are "<kind>:<text>" in one table with an index on (store, token, customer). Every kind of query is a
range scan `token >= p AND token < p + U+10FFFF`, which a B-tree answers identically on SQLite (BINARY) and on
PostgreSQL (the column is COLLATE "C", see the migration).
"""

import functools
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS

from dealerdesk.core.errors import DomainError
from dealerdesk.core.validators import to_halfwidth

from .choices import TokenKind
from .models import Customer, OwnedVehicle, SearchToken

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
    """One prefix to scan and how much an exact or a prefix hit is worth."""

    prefix: str
    exact_score: int
    prefix_score: int


def probes_for(query: str) -> list[Probe]:
    """What to look for, by the shape of the query. Raises SearchTooBroad for one character."""
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
        if len(national) >= 5:
            probes.append(Probe(_tok(TokenKind.MOBILE, national), 100, 50))
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
    """
    from .selectors import _visibility_q

    probes = probes_for(query)
    visible = _visibility_q(user)
    scope = _token_scope(visible) if visible is not None else Q()
    scores: dict[int, int] = {}
    for probe in probes:
        rows = (
            SearchToken.objects.filter(scope, token__gte=probe.prefix, token__lt=probe.prefix + _END)
            .order_by("token", "-customer_id")
            .values_list("customer_id", "token")[:PER_PROBE]
        )
        for customer_id, token in rows:
            score = probe.exact_score if token == probe.prefix else probe.prefix_score
            if score > scores.get(customer_id, 0):
                scores[customer_id] = score
    best = sorted(scores, key=lambda cid: (-scores[cid], -cid))[:limit]
    customers = Customer.objects.filter(pk__in=best).select_related("owner", "store")
    by_id = {c.pk: c for c in customers}
    return [by_id[cid] for cid in best if cid in by_id]


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
