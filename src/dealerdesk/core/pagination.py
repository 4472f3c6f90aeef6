"""Keyset pagination: pages never get slower with depth and never count the whole table."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """API lists: newest first by id (ids grow with time), opaque cursor, `page_size` up to 200."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """A cursor that does not decode is bad input (400 naming `cursor`), not a missing page (DRF's 404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    has_previous: bool


def _encode(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def keyset_page(queryset: QuerySet, *, cursor: str | None, size: int = 50, key: str = "id") -> KeysetPage:
    """One page ordered by `key` descending (a unique, indexed column), after the cursor's position.

    A tampered or stale cursor starts again from the first page instead of failing.
    """
    position = _decode(cursor) if cursor else None
    qs = queryset.order_by(f"-{key}")
    if position and key in position:
        qs = qs.filter(Q(**{f"{key}__lt": position[key]}))
    rows = list(qs[: size + 1])
    items = rows[:size]
    next_cursor = _encode({key: getattr(items[-1], key)}) if len(rows) > size else None
    return KeysetPage(items=items, next_cursor=next_cursor, has_previous=bool(position))


def keyset_page_by_time(
    queryset: QuerySet, *, cursor: str | None, size: int = 50, key: str = "created_at"
) -> KeysetPage:
    """One page newest first by a timestamp column, ties broken by id (also newest first), after the cursor's row.

    For lists whose rows may be recorded after the fact (their time is not in id order): the order people expect,
    stable from page to page (no row skipped or repeated). A tampered or stale cursor starts again from the first page.
    """
    position = _decode(cursor) if cursor else None
    qs = queryset.order_by(f"-{key}", "-id")
    if position:
        try:
            when, last_id = datetime.fromisoformat(position["t"]), int(position["id"])
        except (KeyError, TypeError, ValueError):
            position = None
        else:
            qs = qs.filter(Q(**{f"{key}__lt": when}) | Q(**{key: when, "id__lt": last_id}))
    rows = list(qs[: size + 1])
    items = rows[:size]
    next_cursor = _encode({"t": getattr(items[-1], key).isoformat(), "id": items[-1].pk}) if len(rows) > size else None
    return KeysetPage(items=items, next_cursor=next_cursor, has_previous=bool(position))
