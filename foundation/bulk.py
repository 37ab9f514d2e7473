"""Writing many rows at once where Django's bulk helpers are too slow at province scale."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, Model

WRITE_BATCH = 500


def update_rows(model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Writes (id, *values) rows with one UPDATE … FROM (VALUES …) a batch of 500.

    Django's bulk_update builds a CASE expression per row and field, which costs
    about a millisecond and a half a row: a night's refresh of a province's lights, or
    a province's reminders, would take hours. PostgreSQL and SQLite (3.33+) both take
    this statement.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [cast(Field, meta.get_field(name)) for name in columns]
    typed = connection.vendor == "postgresql"

    def value_of(field: Field) -> str:
        column = f"v.{quote(str(field.column))}"
        # VALUES of parameters have no column types on PostgreSQL; say them.
        return f"CAST({column} AS {field.db_type(connection)})" if typed else column

    names = ", ".join(quote(name) for name in ["id", *(str(field.column) for field in fields)])
    assignments = ", ".join(f"{quote(str(field.column))} = {value_of(field)}" for field in fields)
    table = quote(meta.db_table)
    row_placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list[Any] = []
            for row in batch:
                params.append(row[0])
                params.extend(
                    field.get_db_prep_save(value, connection) for field, value in zip(fields, row[1:], strict=True)
                )
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([row_placeholder] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote('id')} = v.{quote('id')}",
                params,
            )


def db_value(model: type[Model], column: str, value: Any) -> Any:
    """A value as `insert_rows` takes it: converted once by the field, not once per row."""
    return cast(Field, model._meta.get_field(column)).get_db_prep_save(value, connection)


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    returning: Sequence[str] = (),
    skip_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """Writes rows of database-ready values with one INSERT … VALUES a batch of 500.

    Returns the `returning` columns of each row written, in the order written; with
    `skip_conflicts` a row that breaks a unique constraint is left out (ON CONFLICT DO NOTHING,
    waiting for a concurrent writer of the same row to finish) and is not returned. The columns
    are the database's (`recipient_id`), and the values too: what `db_value` gives, or an id,
    string or number as it is. Django's bulk_create converts every value through its field and
    builds the statement through the compiler, about 30 µs a row, and PostgreSQL parses a
    statement of 500 rows of parameters slowly too: there the rows are copied (COPY) into a
    temporary table and inserted from it, twice as fast again. A province's first reminder sweep
    writes a quarter of a million notifications and as many sent-log rows.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_rows(model, columns, rows, returning=returning, skip_conflicts=skip_conflicts)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(quote(column) for column in returning)
    written: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_placeholder] * len(batch))}{tail}",
                [value for row in batch for value in row],
            )
            if returning:
                written.extend(tuple(row) for row in cursor.fetchall())
    return written


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\n" in text or "\r" in text or "\t" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _copy_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    returning: Sequence[str],
    skip_conflicts: bool,
) -> list[tuple[Any, ...]]:
    """insert_rows on PostgreSQL: COPY into a temporary table, then one INSERT … SELECT in the rows' order.

    Four statements whatever the number of rows (Django counts the COPY too).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    staging = quote(f"bulk_{model._meta.db_table}")
    data = io.StringIO()
    data.writelines("\t".join([str(number), *map(_copy_text, row)]) + "\n" for number, row in enumerate(rows))
    data.seek(0)
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(quote(column) for column in returning)
    # Joins the caller's transaction (the staging table lives until its end) without a savepoint.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # The staging table has the target's column types; dropped at once, so a second call in the
        # same transaction can make it again, and with the transaction if a statement fails.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT 0::bigint AS bulk_order, {names} FROM {table} WITH NO DATA"
        )
        cursor.copy_expert(f"COPY {staging} (bulk_order, {names}) FROM STDIN", data)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ORDER BY bulk_order{tail}")
        written = [tuple(row) for row in cursor.fetchall()] if returning else []
        cursor.execute(f"DROP TABLE {staging}")
    return written
