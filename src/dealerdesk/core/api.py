"""API plumbing shared by every app: error mapping and their schema, content negotiation, Idempotency-Key, and the
input layer (parsers that drop control characters, strict and bounded base serializers, query-parameter parsing)."""

import datetime
import decimal
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import parsers, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from . import fields
from .errors import DomainError
from .validators import check_year, clean_text, parse_id

logger = logging.getLogger(__name__)

# Raised by the database or by arithmetic on a value nothing refused earlier: a number beyond its column, a date
# that cannot be converted to UTC, a text longer than its column. The fields refuse these first; this is the net.
OUT_OF_RANGE = (OverflowError, decimal.InvalidOperation, DataError)


def exception_handler(exc, context):
    """Domain errors become 400/403/409 with `code` and a translated `detail`; the rest as DRF does.

    A value too large for the database or the clock becomes a 400 (logged, to find the field that let it through)
    instead of a 500.
    """
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "invalid", **errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OUT_OF_RANGE):
        logger.warning("out-of-range input reached %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            {
                "code": "out_of_range",
                "detail": str(_("A value in the request is out of range: a number, a date or a text too large.")),
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or "error"
    return response


# How each error answer looks, for the OpenAPI schema (`responses={200: …, **error_responses(400, 409)}`).
ERRORS = {
    400: OpenApiResponse(description="invalid input: messages keyed by field, or `code` + `detail`"),
    403: OpenApiResponse(description="the caller's role may not do this (`code` + `detail`)"),
    404: OpenApiResponse(description="not found or not visible to the caller"),
    409: OpenApiResponse(description="refused in the current status, or a clash (`code` + `detail` says why)"),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class FirstRendererNegotiation(DefaultContentNegotiation):
    """For views that build their answer by hand (PDF, .ics, XLSX, `?format=` exports): errors still come back as
    JSON, whatever the Accept header or `format` parameter says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# ---------------------------------------------------------------- Idempotency-Key on creating POSTs

IDEMPOTENCY_TTL = 24 * 60 * 60
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Repeat a create safely: the same key (per user, for 24 hours) answers with the first result.",
)


class IdempotencyKeyReused(DomainError):
    """The key came back with another body: 422, as the IETF Idempotency-Key draft asks."""

    status = 422
    default_code = "idempotency_key_reused"
    default_message = _("This idempotency key was used for a different request.")


def idempotent(
    request: Request, *, scope: str, create: Callable[[], Any], replay: Callable[[int], Any | None]
) -> tuple[Any, bool]:
    """Run `create` once per (user, Idempotency-Key); a repeat with the same body gets the first object back.

    Returns (object, replayed). The key is kept in the database (`IdempotencyKey`, purged after 24 hours), written
    in the same transaction as what `create` makes: a retry after a restart or on another server replays, and a
    create that fails leaves no key behind. A repeat arriving while the first still runs waits for it (the unique
    key) and then replays. `replay(id)` finds the object again (None when it is gone or no longer visible, and then
    the create runs again). A repeat with another body is refused (422).
    """
    from .models import IdempotencyKey  # here: DRF imports this module for its settings before the models are ready

    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create(), False
    if len(key) > 200:
        raise DjangoValidationError({"Idempotency-Key": [_("An idempotency key can have at most 200 characters.")]})
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    fingerprint = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    scope=scope, user_id=request.user.pk, key_hash=key_hash, fingerprint=fingerprint
                )
        except IntegrityError:
            row = IdempotencyKey.objects.select_for_update().get(
                scope=scope, user_id=request.user.pk, key_hash=key_hash
            )
            if row.fingerprint != fingerprint:
                raise IdempotencyKeyReused() from None
            obj = replay(row.object_id) if row.object_id is not None else None
            if obj is not None:
                return obj, True
        obj = create()
        row.object_id = obj.pk
        row.save(update_fields=["object_id"])
    return obj, False


# ---------------------------------------------------------------- input: parsers, serializers, query parameters


def clean_input(data: Any) -> Any:
    """Parsed input with control characters dropped from every string (line breaks and tabs kept; one-line fields
    drop those too). Files and keys are left alone."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, list):
        return [clean_input(item) for item in data]
    if isinstance(data, QueryDict):  # before dict: a QueryDict is one
        cleaned = QueryDict(mutable=True, encoding=data.encoding)
        for key, values in data.lists():
            cleaned.setlist(key, [clean_input(value) for value in values])
        cleaned._mutable = False
        return cleaned
    if isinstance(data, dict):
        return {key: clean_input(value) for key, value in data.items()}
    return data


class JSONParser(parsers.JSONParser):
    """JSON without control characters in its strings."""

    def parse(self, stream, media_type=None, parser_context=None):
        return clean_input(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    """A urlencoded form without control characters in its values."""

    def parse(self, stream, media_type=None, parser_context=None):
        return clean_input(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """A multipart form without control characters in its text values (files untouched)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(clean_input(parsed.data), parsed.files)


# Sent by the browsable API's HTML forms, never a field.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class HardenedFieldsMixin:
    """DRF's integer, decimal, float, date, time, text and related-id fields replaced by the bounded ones of
    `core.fields` (same arguments), so no declared field lets a year-1 date or a 2^64 id through to a 500."""

    def get_fields(self):
        return {name: fields.harden(field) for name, field in super().get_fields().items()}


class StrictFieldsMixin:
    """A key the serializer does not take, or one it only shows, is refused (400 naming it), never ignored."""

    def to_internal_value(self, data):
        refused = self.refused_keys(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not refused:
                raise
            detail = exc.detail if isinstance(exc.detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
            raise serializers.ValidationError({**detail, **refused}) from None
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def refused_keys(self, data: Mapping) -> dict[str, list[str]]:
        refused = {}
        for key in data:
            field = self.fields.get(key)
            if key in IGNORED_KEYS or (field is not None and not field.read_only):
                continue
            if field is not None:
                refused[key] = [str(_("This field cannot be changed here."))]
            else:
                refused[key] = [str(_("Unknown field: this request does not take it."))]
        return refused


class Serializer(StrictFieldsMixin, HardenedFieldsMixin, serializers.Serializer):
    """The base of every API input: bounded fields, and unknown or read-only keys refused."""


class ModelSerializer(StrictFieldsMixin, HardenedFieldsMixin, serializers.ModelSerializer):
    """The base of every model serializer that takes input: as `Serializer`, fields built from the model."""

    serializer_related_field = fields.PrimaryKeyRelatedField


class QuerySerializer(HardenedFieldsMixin, serializers.Serializer):
    """Query parameters parsed with bounded fields; other parameters (cursor, page size, format) pass."""


class _NoInput(Serializer):
    """An action that takes no input."""


def no_input(request: Request) -> None:
    """For an action that takes no input: any key sent is refused (400 naming it) rather than ignored."""
    _NoInput(data=request.data if isinstance(request.data, Mapping) else {}).is_valid(raise_exception=True)


def query_id(request: Request, name: str) -> int | None:
    """The id in query parameter `name`, None when absent or empty; a value that is no id is a 400 naming it."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    pk = parse_id(raw)
    if pk is None:
        raise serializers.ValidationError({name: [_("“%(value)s” is not a valid id.") % {"value": raw[:24]}]})
    return pk


def query_date(request: Request, name: str) -> datetime.date | None:
    """The date (YYYY-MM-DD, 1900–2100) in query parameter `name`, None when absent or empty; else a 400."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError({name: [_("Give the day as YYYY-MM-DD.")]}) from None
    try:
        check_year(day)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({name: exc.messages}) from None
    return day
