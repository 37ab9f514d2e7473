"""Writing many rows at once where Django's bulk helpers are too slow at province scale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
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
