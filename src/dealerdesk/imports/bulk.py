"""Multi-row INSERTs without model instances, for importers writing thousands of rows a second.

`bulk_create` spends most of its time building model instances and compiling one placeholder per value; an import
of 100,000 customers with their search tokens and follow-ups would create a million instances. `insert_rows`
takes plain tuples, prepares each value through its model field exactly as `bulk_create` would (so encrypted and
JSON fields are stored the same way), fills the columns left out with the fields' defaults, and sends multi-row
INSERTs sized to the database's parameter limit. No signals are sent and `save()` is not called.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Field classes whose database value is the Python value itself for str, int, bool and None.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.SlugField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.BooleanField,
    models.ForeignKey,
)
_PLAIN_VALUES = (str, int, bool, type(None))


def _preparer(field: models.Field):
    if type(field) in _PLAIN:  # exact class: a subclass (e.g. an encrypted text field) may transform the value
        return lambda value: value if type(value) in _PLAIN_VALUES else field.get_db_prep_save(value, connection)
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    constants: dict[str, Any] | None = None,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT `rows` (values in `columns` order, by attname) into `model`'s table; `constants` apply to every row.

    Columns neither given nor constant get the field's default (auto_now fields: now). With `returning`, the
    inserted rows' values of those columns are returned (match them by a unique column, not by position).
    """
    meta = model._meta
    constants = dict(constants or {})
    now = timezone.now()
    for field in meta.concrete_fields:
        if field.primary_key or field.attname in columns or field.attname in constants:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constants[field.attname] = now
        else:
            constants[field.attname] = field.get_default()
    fields = [meta.get_field(name) for name in columns]
    constant_fields = [meta.get_field(name) for name in constants]
    constant_values = [field.get_db_prep_save(constants[field.attname], connection) for field in constant_fields]
    preparers = [_preparer(field) for field in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in [*fields, *constant_fields])
    width = len(fields) + len(constant_fields)
    size = max(1, min(1000, connection.ops.bulk_batch_size([*fields, *constant_fields], [None] * 1000)))
    suffix = f" RETURNING {', '.join(quote(meta.get_field(name).column) for name in returning)}" if returning else ""
    returned: list[tuple] = []
    rows = list(rows)
    if connection.vendor == "postgresql" and not returning:
        # COPY: no SQL text to build and parse for thousands of placeholders; several times faster here.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([*(prepare(v) for prepare, v in zip(preparers, row, strict=True)), *constant_values])
        return returned
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params: list[Any] = []
            for row in chunk:
                params.extend(prepare(value) for prepare, value in zip(preparers, row, strict=True))
                params.extend(constant_values)
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            # Only quoted table and column names and placeholders are interpolated; values travel as parameters.
            sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {placeholders}{suffix}"  # noqa: S608
            cursor.execute(sql, params)
            if returning:
                returned.extend(cursor.fetchall())
    return returned
