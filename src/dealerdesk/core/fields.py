"""API input fields that refuse what the database or the clock cannot hold, with a field error instead of a 500.

Ids are 1..2^63-1, other whole numbers fit a 32-bit column unless bounded otherwise, dates lie between 1900 and
2100, amounts are finite and fit their column, and text loses its control characters (one-line text its tabs and
line breaks too). The base serializers in `core.api` put these in place of DRF's own fields (`harden`), so an app's
serializer declares `serializers.IntegerField()` and gets the bounded one; `IdField` and `TextField` say more.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField

from .validators import check_year, clean_text, parse_cny, parse_id

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FLOAT_LIMIT = 1e15
DEFAULT_MAX_DIGITS = 20
_TEXTAREA = "textarea.html"


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "…"


def _django_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.messages, code=exc.error_list[0].code if exc.error_list else "invalid")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdField(serializers.IntegerField):
    """The id of a row: a whole number 1..2^63-1 (an int or a string of digits), else "not a valid id"."""

    default_error_messages = {"invalid_id": _("“{value}” is not a valid id.")}

    def to_internal_value(self, data):
        pk = parse_id(data)
        if pk is None:
            self.fail("invalid_id", value=_shown(data))
        return pk


class IntegerField(serializers.IntegerField):
    """A whole number bounded to a 32-bit column (the narrowest PostgreSQL integer) unless told other bounds."""

    def __init__(self, **kwargs):
        if kwargs.get("max_value") is None:
            kwargs["max_value"] = INT32_MAX
        if kwargs.get("min_value") is None:
            kwargs["min_value"] = INT32_MIN
        super().__init__(**kwargs)


class FloatField(serializers.FloatField):
    """A finite number within ±10^15 unless told other bounds."""

    def __init__(self, **kwargs):
        if kwargs.get("max_value") is None:
            kwargs["max_value"] = FLOAT_LIMIT
        if kwargs.get("min_value") is None:
            kwargs["min_value"] = -FLOAT_LIMIT
        super().__init__(**kwargs)


class DecimalField(serializers.DecimalField):
    """DRF's decimal (which refuses NaN and infinities) with a digit limit even when none was given."""

    def __init__(self, max_digits=None, decimal_places=None, **kwargs):
        super().__init__(max_digits if max_digits is not None else DEFAULT_MAX_DIGITS, decimal_places, **kwargs)


@extend_schema_field(OpenApiTypes.DECIMAL)
class MoneyField(serializers.Field):
    """An amount in yuan, parsed by `core.validators.parse_cny` ("189,800", "¥189800.00", 189800); 2 places out."""

    def to_internal_value(self, data):
        try:
            # the sign is the service's to judge: it says why ("A price must be more than zero.")
            return parse_cny(data, allow_negative=True)
        except DjangoValidationError as exc:
            raise _django_error(exc) from None

    def to_representation(self, value):
        return f"{value:.2f}"


def _in_window(value):
    try:
        check_year(value)
    except DjangoValidationError as exc:
        raise _django_error(exc) from None
    return value


class DateTimeField(serializers.DateTimeField):
    """A date and time between 1900 and 2100 (year 1 cannot be converted to UTC)."""

    def enforce_timezone(self, value):
        return super().enforce_timezone(_in_window(value))  # before DRF converts it between time zones


class DateField(serializers.DateField):
    """A date between 1900 and 2100."""

    def to_internal_value(self, value):
        return _in_window(super().to_internal_value(value))


class CharField(serializers.CharField):
    """Text without control characters; one-line unless `multiline` (or DRF's textarea style, as for a TextField)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline or (kwargs.get("style") or {}).get("base_template") == _TEXTAREA
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):  # before the blank check: "\x02" alone is blank
            data = clean_text(data, multiline=self.multiline)
        return super().run_validation(data)


class TextField(CharField):
    """Multi-line free text (notes, reasons, descriptions): keeps line breaks and tabs, loses other controls."""

    def __init__(self, **kwargs):
        kwargs.setdefault("multiline", True)
        kwargs.setdefault("style", {"base_template": _TEXTAREA})
        super().__init__(**kwargs)


def _integer_pk(queryset) -> bool:
    model = getattr(queryset, "model", None)
    if model is None:
        return False
    pk = model._meta.pk
    return isinstance(pk.target_field if pk.is_relation else pk, models.IntegerField)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id; a value that is no id is refused before it reaches the database."""

    default_error_messages = {"invalid_id": _("“{value}” is not a valid id.")}

    def to_internal_value(self, data):
        if self.pk_field is None and _integer_pk(self.get_queryset()):
            pk = parse_id(data)
            if pk is None:
                self.fail("invalid_id", value=_shown(data))
            data = pk
        return super().to_internal_value(data)


# DRF's field → the bounded one that replaces it (exact types only: a subclass already says what it wants).
_HARDENED: dict[type, type] = {
    serializers.IntegerField: IntegerField,
    serializers.FloatField: FloatField,
    serializers.DecimalField: DecimalField,
    serializers.DateTimeField: DateTimeField,
    serializers.DateField: DateField,
    serializers.CharField: CharField,
    serializers.PrimaryKeyRelatedField: PrimaryKeyRelatedField,
}


def harden(field: serializers.Field) -> serializers.Field:
    """The field rebuilt as its bounded counterpart (with the same arguments); read-only fields stay as they are."""
    if field.read_only:
        return field
    kind = type(field)
    if kind in (serializers.ListField, serializers.DictField):
        child = harden(field.child)
        return field if child is field.child else kind(*field._args, **{**field._kwargs, "child": child})
    if kind is ManyRelatedField:
        child = harden(field.child_relation)
        if child is field.child_relation:
            return field
        return ManyRelatedField(*field._args, **{**field._kwargs, "child_relation": child})
    bounded = _HARDENED.get(kind)
    return field if bounded is None else bounded(*field._args, **field._kwargs)
