"""Small helpers the HTML views share when they read a posted form and show a service's refusal."""

from typing import Any

from django.core.exceptions import ValidationError


def errors_by_field(exc: ValidationError) -> dict[str, list[str]]:
    """Messages by field; those about no field under "all" (templates cannot read "__all__")."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"all": exc.messages}
    return {("all" if k == "__all__" else k): v for k, v in errors.items()}


def int_or(value: Any, default: int | None = None) -> int | None:
    """A posted id or number as an int, `default` when it is missing or not a number."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default
