"""Outputs of the feed pipeline (IntelMQ's word for the storing stages): bulk writes of
rows given column by column."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.orm import Session

from certnet.db.base import Base


def table_of(model: type[Base]) -> Table:
    """The one table a model is mapped to."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


def insert_columns(session: Session, table: Table, columns: dict[str, list[Any]]) -> None:
    """One bulk INSERT of rows given column by column.

    Each column's values go through the column type's own bind processor (so what is stored
    is exactly what an ORM insert stores: UTC times, JSON, enum values), a whole column at a
    time; the rows then go to the driver's ``executemany`` as they are. SQLAlchemy's own
    executemany would build and process a parameter dictionary per row, which cost as much
    as the database's work for a batch of events.
    """
    connection = session.connection()
    dialect = connection.dialect
    names = list(columns)
    compiled = (
        insert(table).values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    )
    converted: list[list[Any]] = []
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values = columns[name]
        converted.append([process(v) for v in values] if process else values)
    if dialect.name == "postgresql":
        # COPY is PostgreSQL's bulk path: several times faster than executemany.
        quote = dialect.identifier_preparer.quote
        copy_sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(copy_sql) as copy:
                for row in zip(*converted, strict=True):
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    if compiled.positional:
        order = [names.index(name) for name in compiled.positiontup or ()]
        params: list[Any] = list(zip(*(converted[i] for i in order), strict=True))
    else:
        params = [dict(zip(names, row, strict=True)) for row in zip(*converted, strict=True)]
    connection.exec_driver_sql(compiled.string, params)
