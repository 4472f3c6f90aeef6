"""API plumbing shared by every app: error mapping and their schema, content negotiation, Idempotency-Key."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, DomainError


def exception_handler(exc, context):
    """Domain errors become 400/403/409 with `code` and a translated `detail`; the rest as DRF does."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "invalid", **errors}, status=status.HTTP_400_BAD_REQUEST)
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

    Returns (object, replayed). The cache keeps the created object's id for 24 hours; `replay(id)` finds it again
    (None when it is gone or no longer visible, and then the create runs). A repeat with another body is refused
    (422), and so is one that arrives while the first is still running (409).
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create(), False
    if len(key) > 200:
        raise DjangoValidationError({"Idempotency-Key": [_("An idempotency key can have at most 200 characters.")]})
    cache_key = f"idempotency:{scope}:{request.user.pk}:{hashlib.sha256(key.encode()).hexdigest()}"
    fingerprint = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    stored = cache.get(cache_key)
    if stored is not None:
        if stored["fingerprint"] != fingerprint:
            raise IdempotencyKeyReused()
        obj = replay(stored["id"])
        if obj is not None:
            return obj, True
    if not cache.add(f"{cache_key}:lock", 1, timeout=60):
        raise Conflict(_("A request with this idempotency key is still running."), code="idempotency_in_progress")
    try:
        obj = create()
        cache.set(cache_key, {"id": obj.pk, "fingerprint": fingerprint}, timeout=IDEMPOTENCY_TTL)
    finally:
        cache.delete(f"{cache_key}:lock")
    return obj, False
