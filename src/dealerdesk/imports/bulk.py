"""Multi-row INSERTs without model instances, for importers writing thousands of rows a second.

`bulk_create` spends most of its time building model instances and compiling one placeholder per value; an import
of 100,000 customers with their search tokens and follow-ups would create a million instances. `insert_rows`
takes plain tuples, prepares each value through its model field exactly as `bulk_create` would (so encrypted and
JSON fields are stored the same way), fills the columns left out with the fields' defaults, and sends multi-row
INSERTs sized to the database's parameter limit (COPY on PostgreSQL when nothing is returned). No signals are sent
and `save()` is not called.

`allocate_ids` reserves primary keys before the insert, so rows that point at the new rows (search tokens,
follow-ups) can be built at once and the parents need no RETURNING round trip.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import chain, repeat
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Field classes whose database value is the Python value itself for str, int, bool and None.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
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
_PLAIN_VALUE_SET = frozenset(_PLAIN_VALUES)


def _preparer(field: models.Field):
    if type(field) in _PLAIN:  # exact class: a subclass (e.g. an encrypted text field) may transform the value
        return lambda value: value if type(value) in _PLAIN_VALUES else field.get_db_prep_save(value, connection)
    if type(field) is models.DateField:
        # What DateField.get_db_prep_save gives for a date: itself on PostgreSQL, its ISO text on SQLite.
        as_text = connection.vendor == "sqlite"
        return lambda value: (
            (value.isoformat() if as_text else value)
            if type(value) is date
            else field.get_db_prep_save(value, connection)
        )
    if type(field) is models.JSONField and field.encoder is None:
        return _json_preparer(field)
    return lambda value: field.get_db_prep_save(value, connection)


def _json_preparer(field: models.JSONField):
    """A list of strings (e.g. tags) as JSON text, each distinct list encoded once; anything else by the field.

    COPY and SQLite take the JSON text itself; for a multi-row INSERT on PostgreSQL the field's own adapter is
    kept (a text parameter would not be accepted as jsonb without a cast).
    """
    if connection.vendor == "postgresql":
        return lambda value: field.get_db_prep_save(value, connection)
    cache: dict[tuple, str] = {}

    def prepare(value):
        if type(value) is list and all(type(item) is str for item in value):
            key = tuple(value)
            text = cache.get(key)
            if text is None:
                text = cache[key] = json.dumps(value)
            return text
        return field.get_db_prep_save(value, connection)

    return prepare


def _copy_json_preparer(field: models.JSONField):
    """For COPY on PostgreSQL: JSON text, which the server parses into jsonb (each distinct list encoded once)."""
    cache: dict[tuple, str] = {}

    def prepare(value):
        if type(value) is list and all(type(item) is str for item in value):
            key = tuple(value)
            text = cache.get(key)
            if text is None:
                text = cache[key] = json.dumps(value)
            return text
        return None if value is None else json.dumps(value, cls=field.encoder)

    return prepare


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` new primary keys of `model`, ascending, for rows about to be inserted with explicit ids.

    PostgreSQL: taken from the table's sequence in one statement, so concurrent writers never get the same id.
    SQLite: the ids after the highest ever used (AUTOINCREMENT's sqlite_sequence included, so ids of deleted rows
    are not reused). Must run inside the transaction that inserts them: with `transaction_mode=IMMEDIATE` it holds
    the database's write lock from its start, so no other writer can take these ids before the commit (and were
    it ever otherwise, the insert would fail on the primary key and roll back, never overwrite).
    """
    if count <= 0:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(meta.db_table), meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        if connection.vendor != "sqlite":
            raise RuntimeError(f"allocate_ids supports SQLite and PostgreSQL, not {connection.vendor}")
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids must run inside the transaction that inserts the rows.")
        # Only quoted table and column names are interpolated.
        cursor.execute(
            f"SELECT COALESCE(MAX({quote(meta.pk.column)}), 0) FROM {quote(meta.db_table)}"  # noqa: S608
        )
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


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
    copy = connection.vendor == "postgresql" and not returning
    if copy:
        # COPY takes JSON as text; elsewhere the field's own adapter (a jsonb parameter on PostgreSQL)
        preparers = [_copy_json_preparer(f) if type(f) is models.JSONField else _preparer(f) for f in fields]
        constant_values = [
            _copy_json_preparer(f)(constants[f.attname])
            if isinstance(f, models.JSONField)
            else f.get_db_prep_save(constants[f.attname], connection)
            for f in constant_fields
        ]
    else:
        preparers = [_preparer(field) for field in fields]
        constant_values = [field.get_db_prep_save(constants[field.attname], connection) for field in constant_fields]
    rows = list(rows)
    count = len(rows)
    # Column by column: a column of plain values (str, int, bool, None) in a plain field goes as it is.
    given = list(zip(*rows, strict=True)) if rows else [() for _field in fields]
    if len(given) != len(fields):
        raise ValueError(f"insert_rows: {len(fields)} columns named, rows have {len(given)} values")
    prepared = [
        column if type(field) in _PLAIN and set(map(type, column)) <= _PLAIN_VALUE_SET else list(map(prepare, column))
        for field, prepare, column in zip(fields, preparers, given, strict=True)
    ]
    table_rows = list(zip(*prepared, *(repeat(value, count) for value in constant_values), strict=True))
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in [*fields, *constant_fields])
    width = len(fields) + len(constant_fields)
    returned: list[tuple] = []
    if copy:
        # COPY: no SQL text to build and parse for thousands of placeholders; several times faster here.
        # The raw psycopg cursor's errors are turned into Django's (a unique violation is an IntegrityError).
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copier,
        ):
            for row in table_rows:
                copier.write_row(row)
        return returned
    size = max(1, min(1000, connection.ops.bulk_batch_size([*fields, *constant_fields], [None] * 1000)))
    suffix = f" RETURNING {', '.join(quote(meta.get_field(name).column) for name in returning)}" if returning else ""
    row_placeholder = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        for start in range(0, count, size):
            chunk = table_rows[start : start + size]
            placeholders = ", ".join([row_placeholder] * len(chunk))
            # Only quoted table and column names and placeholders are interpolated; values travel as parameters.
            sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {placeholders}{suffix}"  # noqa: S608
            cursor.execute(sql, list(chain.from_iterable(chunk)))
            if returning:
                returned.extend(cursor.fetchall())
    return returned
