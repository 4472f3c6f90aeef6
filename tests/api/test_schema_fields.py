"""The schema's field types follow the model (issue #11.7), also where the fuzzing's data never holds the odd value.

Schemathesis (test_schemathesis.py) finds a field whose answer breaks the schema only when its data has the case: a
null in a nullable column, an empty choice. These checks read every API model serializer instead and fail on a
field that can answer null or "" while the schema says it cannot.
"""

import importlib
import inspect
import pkgutil

from django.urls import get_resolver
from rest_framework import serializers
from rest_framework.fields import empty

import dealerdesk
from dealerdesk.core.openapi import AutoSchema, model_field_of


def _api_model_serializers() -> list[type[serializers.ModelSerializer]]:
    get_resolver().url_patterns  # the URLconf first: DRF's settings import core.api, which imports the views
    found = []
    for module_info in pkgutil.walk_packages(dealerdesk.__path__, "dealerdesk."):
        if not module_info.name.endswith(".api.serializers"):
            continue
        module = importlib.import_module(module_info.name)
        found.extend(
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls)
            and issubclass(cls, serializers.ModelSerializer)
            and cls.__module__ == module.__name__
            and getattr(getattr(cls, "Meta", None), "model", None) is not None
        )
    return found


def _may_be_null(model, attrs: list[str]) -> bool:
    """Whether following `attrs` from `model` can meet a None: a nullable column or foreign key, or a reverse
    one-to-one that may not exist. False as soon as a step is not a model field (a property: not known here)."""
    for attr in attrs:
        if model is None:
            return False
        try:
            field = model._meta.get_field(attr)
        except Exception:
            return False
        if field.one_to_many or field.many_to_many:
            return False
        if getattr(field, "null", False) or (field.one_to_one and not field.concrete):
            return True
        model = field.related_model if field.is_relation else None
    return False


def test_serializers_are_found():
    names = {cls.__name__ for cls in _api_model_serializers()}
    assert {"DeliverySerializer", "RegistrationSerializer", "OrderSerializer", "TrimSerializer"} <= names


def test_a_read_only_field_over_a_nullable_column_or_relation_allows_null():
    """DRF answers null for it (a None relation, a None column) or leaves the field out, where the schema promises a
    value: `allow_null=True` makes both the answer (null, never absent) and the schema (nullable) say so."""
    wrong = []
    for cls in _api_model_serializers():
        for name, field in cls().fields.items():
            if (
                not field.read_only
                or field.allow_null
                or field.default is not empty
                or field.source == "*"
                or isinstance(field, serializers.SerializerMethodField)
            ):
                continue
            if _may_be_null(cls.Meta.model, field.source_attrs):
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name} (source {field.source!r})")
    assert not wrong, "read-only fields that can be null without allow_null=True:\n" + "\n".join(wrong)


def test_a_read_only_choice_over_a_blank_column_lists_the_empty_value():
    """DRF drops `allow_blank` from read-only fields; the schema class adds "" back to the enum of such a field."""
    schema = AutoSchema()
    checked = 0
    for cls in _api_model_serializers():
        for field in cls().fields.values():
            if (
                isinstance(field, serializers.ChoiceField)
                and field.read_only
                and getattr(model_field_of(field), "blank", False)
            ):
                checked += 1
                assert "" in schema._map_serializer_field(field, "response")["enum"], field
    assert checked
