"""Running the hot path's Core statements on the driver's cursor.

The ledger's four hot statements are written once, as SQLAlchemy Core, and compiled once
per dialect. ``transfer`` then runs them on the DBAPI cursor of the session's own
connection (so inside the session's transaction), converting values with the column
types' public bind and result processors. This skips SQLAlchemy's per-execution work
(about 0.17 ms a statement, bench/README.md) without a second copy of the SQL.

Statements run here do not pass through SQLAlchemy's ``before_cursor_execute`` events;
tests/ledger/test_driver.py checks their compiled SQL instead.
"""
from functools import lru_cache

from sqlalchemy.dialects import postgresql, sqlite

DIALECTS = {"postgresql": postgresql.psycopg.dialect(), "sqlite": sqlite.pysqlite.dialect()}


class Prepared:
    """A statement compiled for one dialect, with converters for its binds and columns."""

    def __init__(self, statement, dialect, types, column_keys=None, result_types=()):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        self.convert = {name: type_.dialect_impl(dialect).bind_processor(dialect)
                        for name, type_ in types.items()}
        self.convert = {name: fn for name, fn in self.convert.items() if fn is not None}
        self.results = [t.dialect_impl(dialect).result_processor(dialect, None)
                        if t is not None else None for t in result_types]

    def params(self, values):
        converted = {name: (self.convert[name](value) if name in self.convert else value)
                     for name, value in values.items()}
        return [converted[name] for name in self.order] if self.order is not None else converted

    def row(self, raw):
        return tuple(fn(value) if fn is not None else value
                     for fn, value in zip(self.results, raw)) if self.results else raw


@lru_cache(maxsize=None)
def prepared(name, dialect_name, build):
    """``build(dialect)`` → Prepared, once per statement and dialect."""
    return build(DIALECTS[dialect_name])


def execute(session, statement, values):
    """Run ``statement`` (a Prepared) on the session connection's cursor; return the cursor."""
    cursor = session.connection().connection.cursor()
    cursor.execute(statement.sql, statement.params(values))
    return cursor
