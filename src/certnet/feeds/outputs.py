"""Outputs of the feed pipeline (IntelMQ's word for the storing stages): bulk writes of
rows given column by column.

The event table takes tens of thousands of rows per batch, so the work per value counts:

* every value goes through its column type's own bind processor (what is stored is exactly
  what an ORM insert stores: UTC times, enum values), but each *distinct* value only once
  (times, ports, organisations repeat across a batch);
* a column with one value for the whole batch (the report type, the run, the class) is
  written into the statement once, not bound row by row;
* a column given as ``prepared`` is already in the database's form (the pipeline serialises
  each event's ``data`` to JSON text itself) and goes to the driver untouched;
* SQLite gets one ``executemany`` of tuples; PostgreSQL one ``COPY … FROM STDIN`` in text
  format, built a column at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from certnet.db.base import Base


def table_of(model: type[Base]) -> Table:
    """The one table a model is mapped to."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


def insert_columns(
    session: Session,
    table: Table,
    columns: dict[str, list[Any]],
    *,
    prepared: Collection[str] = (),
) -> None:
    """One bulk INSERT of rows given column by column (all columns of one length).

    ``prepared`` names columns whose values are already what the driver takes (text for a
    JSON column); the others go through their type's bind processor.
    """
    if not columns:
        return
    size = len(next(iter(columns.values())))
    if not size:
        return
    connection = session.connection()
    dialect = connection.dialect
    varying: dict[str, list[Any]] = {}
    constant: dict[str, Any] = {}
    # Columns of one type share what was processed (an event's times are often one value).
    memos: dict[str, dict[Any, Any]] = {}
    for name, values in columns.items():
        if len(values) != size:
            raise ValueError(f"column {name} has {len(values)} values, expected {size}")
        if name in prepared:
            converted = values
        else:
            column = table.c[name]
            memo = memos.setdefault(repr(column.type), {})
            converted = _bound(column, values, dialect, memo)
        first = converted[0]
        if _literal_kind(first) and converted.count(first) == size:
            constant[name] = first
        else:
            varying[name] = converted
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        _copy(connection, quote(table.name), quote, varying, constant, size)
        return
    names = [*varying, *constant]
    values_sql = ", ".join(
        ["?"] * len(varying) + [_sql_literal(value) for value in constant.values()]
    )
    # The only text from outside in the statement: the constants, as SQL literals that
    # _sql_literal quotes (integers from int, text with its quotes doubled, NUL refused).
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
        f"VALUES ({values_sql})"
    )
    if dialect.paramstyle != "qmark":
        raise NotImplementedError(f"bulk insert for the {dialect.name} driver")
    if varying:
        connection.exec_driver_sql(sql, list(zip(*varying.values(), strict=True)))
    else:
        connection.exec_driver_sql(sql, [()] * size)


def _bound(
    column: Column[Any], values: list[Any], dialect: Dialect, memo: dict[Any, Any]
) -> list[Any]:
    """The column's values as the driver takes them, each distinct value processed once
    (``memo`` holds what was processed for this type before)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    process = _faster(process, values, dialect)
    try:
        for value in set(values).difference(memo):
            memo[value] = process(value)
    except TypeError:  # unhashable values (a dict for a JSON column): one by one
        return [process(value) for value in values]
    return list(map(memo.__getitem__, values))


def _sqlite_time(value: datetime) -> str:
    """An aware time as SQLAlchemy's SQLite ``DateTime`` stores it, in UTC."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _faster(process: Any, values: list[Any], dialect: Dialect) -> Any:
    """A C-speed stand-in for the type's processor where there is one and it gives the same
    text (checked on a value of this batch): SQLite's times, a third of all binding."""
    if dialect.name != "sqlite":
        return process
    sample = next((v for v in values if v is not None), None)
    if (
        type(sample) is datetime
        and sample.tzinfo is not None
        and all(type(v) is datetime and v.tzinfo is not None for v in set(values) - {None})
        and process(sample) == _sqlite_time(sample)
    ):
        return lambda value: None if value is None else _sqlite_time(value)
    return process


def _literal_kind(value: Any) -> bool:
    """Whether a driver value can be written into the statement itself."""
    return value is None or type(value) in (str, int, bool)


def _sql_literal(value: Any) -> str:
    """A driver value (None, int, bool, str) as an SQL literal."""
    if value is None:
        return "NULL"
    if type(value) is bool:
        return "1" if value else "0"
    if type(value) is int:
        return str(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("a NUL character cannot be stored")
    return "'" + text.replace("'", "''") + "'"


# --- PostgreSQL: COPY in text format ------------------------------------------------------

_NULL = "\\N"
#: Rows sent to COPY per write.
COPY_ROWS = 5_000


def _copy_escape(texts: list[str]) -> list[str]:
    """COPY text-format escaping of a whole column at once (backslash, tab, new line,
    carriage return), done on the column joined into one string: the separator (NUL) cannot
    occur, since no stored text may hold it."""
    joined = "\x00".join(texts)
    if "\\" not in joined and "\t" not in joined and "\n" not in joined and "\r" not in joined:
        return texts
    return (
        joined.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .split("\x00")
    )


def _copy_value(value: Any) -> str:
    """One non-text driver value in COPY's text form."""
    if value is None:
        return _NULL
    if type(value) is bool:
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return _copy_escape([value])[0]
    raise TypeError(f"cannot COPY a {type(value).__name__}")


def _copy_column(values: list[Any], memos: dict[type, dict[Any, str]]) -> list[str]:
    """A column in COPY's text form; ``memos`` holds, per Python type, the values already
    converted (an event's three times are mostly one value)."""
    nulls = [i for i, value in enumerate(values) if value is None]
    if len(nulls) == len(values):
        return [_NULL] * len(values)
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str}:
        texts = _copy_escape(["" if v is None else v for v in values])
        for i in nulls:
            texts[i] = _NULL
        if "\x00" in "".join(texts):
            raise ValueError("a NUL character cannot be stored")
        return texts
    if len(kinds) == 1:
        try:
            memo = memos.setdefault(kinds.pop(), {None: _NULL})
            for value in set(values).difference(memo):
                memo[value] = _copy_value(value)
        except TypeError:
            pass
        else:
            return list(map(memo.__getitem__, values))
    return [_copy_value(value) for value in values]


def _copy(
    connection: Any,
    table: str,
    quote: Any,
    varying: dict[str, list[Any]],
    constant: dict[str, Any],
    size: int,
) -> None:
    """COPY is PostgreSQL's bulk path: several times faster than executemany."""
    names = [*varying, *constant]
    tail = "\t".join(_copy_value(value) for value in constant.values())
    memos: dict[type, dict[Any, str]] = {}
    texts = [_copy_column(values, memos) for values in varying.values()]
    if texts:
        lines: Iterator[str] = map("\t".join, zip(*texts, strict=True))
        if constant:
            lines = (f"{line}\t{tail}" for line in lines)
    else:
        lines = itertools.repeat(tail, size)
    sql = f"COPY {table} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            # A few thousand rows a write: the text of a whole batch at once would double
            # the memory a batch takes.
            while chunk := list(itertools.islice(lines, COPY_ROWS)):
                copy.write("\n".join(chunk) + "\n")
    finally:
        cursor.close()
