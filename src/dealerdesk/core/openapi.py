"""The OpenAPI schema says what the API answers, errors included (drf-spectacular's `AutoSchema`, extended).

Declared once here rather than on each view:
- every error answer an operation can give, with its body (`Error`, or `ValidationError` for a 400): 400 when it
  takes input (a body, a query or path parameter, a header), 401/403 when it needs a login, 404 when its path names
  an object, 415 when it takes a body, 422 when it takes an `Idempotency-Key`, 429 when it is throttled, 503 always
  (the database could not be reached: nothing was saved, try again; see `core.dbfaults`). A view still declares the
  answers only it gives (409 for a refused move, 429 of a rate limit inside a service) with `core.api.error_responses`;
  the body is added here, as JSON, also for views that otherwise answer a PDF or an image;
- an enum read from a model column that may be blank lists `""` among its values: DRF drops `allow_blank` from
  read-only fields, so the schema would otherwise claim a value the API does send cannot occur.
"""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# Why each error answer comes, for the schema's descriptions.
ERROR_DESCRIPTIONS = {
    400: "invalid input: messages keyed by field (`non_field_errors` for the whole), or `code` + `detail`",
    401: "not logged in, or the token is unknown, expired or its account locked (`code` + `detail`)",
    403: "the caller's role may not do this, or a session request without its CSRF token (`code` + `detail`)",
    404: "not found, or not visible to the caller (`code` + `detail`)",
    409: "refused in the current status, or a clash with existing data (`code` + `detail` says why)",
    415: "the body is not JSON, a form or multipart (`code` + `detail`)",
    422: "this Idempotency-Key was used for another request (`code` + `detail`)",
    429: "too many requests: wait as `Retry-After` says (`code` + `detail`)",
    503: "the database could not be reached: nothing was saved, try again (`code` + `detail`, `Retry-After`)",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error answer: a stable machine `code` and a `detail` in the caller's language; some say the "
    "`field` concerned, or add what the clash is with (e.g. `existing_id`).",
    "properties": {
        "code": {"type": "string", "description": "Stable, for programs: `not_found`, `transition_refused`, …"},
        "detail": {"type": "string", "description": "For people, translated."},
        "field": {"type": "string", "description": "The input field the error is about, when there is one."},
    },
    "required": ["code", "detail"],
    "additionalProperties": {},
}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Invalid input. Either messages keyed by the input's fields (a list of messages; for a nested "
    "object or list, its own errors keyed the same way), with `non_field_errors` for what concerns the whole request; "
    "or, for a rule a service refused, `code` + `detail` (+ `field`) as in `Error`. Free-form on purpose: an input "
    "field may itself be called `code` or `field`.",
    "additionalProperties": {},
}


def model_field_of(field: serializers.Field) -> Any:
    """The model field a serializer field reads (following its dotted source through relations), or None."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    found = None
    for attr in getattr(field, "source_attrs", None) or []:
        if model is None:
            return None
        try:
            found = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        model = found.related_model if found.is_relation else None
    return found


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema with every operation's error answers and blank enum values (see the module doc)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                # errors are JSON whatever the operation answers when it succeeds (core.api.FirstRendererNegotiation)
                response["content"] = {"application/json": {"schema": self._error_component(int(code))}}
                response.setdefault("description", ERROR_DESCRIPTIONS.get(int(code), ""))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict) -> set[int]:
        parameters = operation.get("parameters", [])
        codes = {503}
        if parameters or "requestBody" in operation:
            codes.add(400)
        if self.view.authentication_classes:
            codes.add(401)  # a wrong or stale token is refused even where no login is needed
        if not all(issubclass(p, AllowAny) for p in self.view.permission_classes):
            codes.add(403)
        if any(p["in"] == "path" for p in parameters):
            codes.add(404)
        if "requestBody" in operation:
            codes.add(415)
        if any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters):
            codes.add(422)
        if self.view.throttle_classes:
            codes.add(429)
        return codes

    def _error_component(self, code: int) -> dict:
        name, schema = ("ValidationError", VALIDATION_ERROR_SCHEMA) if code == 400 else ("Error", ERROR_SCHEMA)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and "enum" in schema
            and "" not in schema["enum"]
            and getattr(model_field_of(field), "blank", False)
        ):
            schema["enum"] = [*schema["enum"], ""]
        return schema
