"""List filters of the API (django-filter) that refuse a value the database cannot compare, with a 400 naming it.

`FilterBackend` is the default filter backend (settings REST_FRAMEWORK): before a filterset runs, it checks the raw
value of each numeric and related-row filter against what the filtered column holds, so `?owner=2^64` is "not a
valid id" on every list, whichever app wrote the filterset.
"""

from decimal import Decimal, InvalidOperation

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .validators import parse_id

# A number compared with a column of no known range (a computed one, a price) stays below this.
NUMBER_LIMIT = Decimal(10) ** 15


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An exact match on a foreign key's id (the backend refuses values that are no id)."""


def _model_field(model, path: str):
    """The model field at the end of a filter's `field_name` ("series__brand_id"), or None."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    return field


def _is_id(field) -> bool:
    if field is None:
        return False
    if field.is_relation:
        field = field.target_field
    return field.primary_key or isinstance(field, models.AutoField)


def _value_error(flt: django_filters.Filter, field, raw: str):
    """Why `raw` cannot be compared with the filter's column, or None when it can."""
    if isinstance(flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter) or (
        isinstance(flt, django_filters.NumberFilter) and _is_id(field)
    ):
        if parse_id(raw) is None:
            return _("“%(value)s” is not a valid id.") % {"value": raw[:24]}
        return None
    if not isinstance(flt, django_filters.NumberFilter):
        return None
    try:
        number = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None  # not a number: the filterset's own form says so
    if not number.is_finite():
        return None
    low, high = -NUMBER_LIMIT, NUMBER_LIMIT
    if isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        low = -NUMBER_LIMIT if low is None else low
        high = NUMBER_LIMIT if high is None else high
    if not low <= number <= high:
        return _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
    return None


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend that refuses out-of-range numbers and non-ids in filters before they are queried."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            self.check_values(filterset)
        return filterset

    @staticmethod
    def check_values(filterset) -> None:
        model = filterset._meta.model or filterset.queryset.model
        errors = {}
        for name, flt in filterset.filters.items():
            field = None if flt.method else _model_field(model, flt.field_name)
            for raw in filterset.data.getlist(name) if hasattr(filterset.data, "getlist") else []:
                if raw in ("", None):
                    continue
                message = _value_error(flt, field, str(raw))
                if message:
                    errors[name] = [message]
                    break
        if errors:
            raise serializers.ValidationError(errors)
