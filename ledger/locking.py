"""Write transactions and row locks.

On PostgreSQL, rows are locked with ``SELECT … FOR UPDATE`` in ascending id order, holds
before accounts, so two transactions never wait on each other in a cycle. On SQLite, a
write transaction starts with ``BEGIN IMMEDIATE``: it takes the database's one write
lock up front, so a read-then-write can never fail half-way with SQLITE_BUSY.
"""
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import scoped_session

from ledger.errors import NotInTransactionError
from ledger.models import Account

WRITE_OPTION = "ledger_write"
SQLITE_BUSY_TIMEOUT_MS = 15000


def install(engine):
    """Configure ``engine`` for the ledger (idempotent). Call once per engine."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "begin", _sqlite_begin):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    # The driver must not open transactions itself: ``_sqlite_begin`` does it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection):
    write = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(session, *, expire=True):
    """Run the block as one write transaction: commit on success, roll back on any error.

    On SQLite, a read transaction the session had open (a request that loaded the current
    user) is ended first, so that the write transaction starts with BEGIN IMMEDIATE. On
    PostgreSQL (READ COMMITTED, every check made after its row lock) the open transaction
    simply becomes the write transaction: no second connection checkout and ping.
    Nested use joins the outer transaction.

    ``expire=False`` keeps the objects the transaction loaded and wrote as they were at
    the commit instead of reloading each on its next use: for a caller that answers from
    them right away (a voucher just made or redeemed). Accounts the ledger changed through
    the driver are expired by the ledger itself either way.
    """
    session = real_session(session)
    if session.info.get(WRITE_OPTION):
        yield session
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes before a write transaction; they would be committed")
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            session.rollback()
        session.connection(execution_options={WRITE_OPTION: True})
    session.info[WRITE_OPTION] = True
    expiring = session.expire_on_commit
    try:
        yield session
        session.expire_on_commit = expiring and expire
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.expire_on_commit = expiring
        session.info.pop(WRITE_OPTION, None)


def real_session(session):
    """The Session behind a ``scoped_session`` (Flask-SQLAlchemy's ``db.session``)."""
    return session() if isinstance(session, scoped_session) else session


def ensure_in_write_transaction(session):
    if not session.info.get(WRITE_OPTION):
        raise NotInTransactionError()


@lru_cache(maxsize=16)
def _lock_accounts_statement(count):
    """``SELECT … FOR UPDATE`` of ``count`` accounts, binds ``id0``, ``id1``, …

    One statement per count rather than an expanding IN, which SQLAlchemy re-renders on
    every call: about a tenth of a millisecond on every transfer (bench/ledger.py).
    """
    ids = [bindparam(f"id{n}", type_=Account.__table__.c.id.type) for n in range(count)]
    return (
        select(Account.id, Account.balance, Account.held, Account.allow_negative,
               Account.ledger, Account.community_id)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
    )


def lock_accounts(session, account_ids):
    """Lock the accounts (ascending id) and return ``{id: row}`` with their balances."""
    ensure_in_write_transaction(session)
    ids = sorted(set(account_ids))
    rows = session.connection().execute(_lock_accounts_statement(len(ids)),
                                        {f"id{n}": id_ for n, id_ in enumerate(ids)})
    return {row.id: row for row in rows}
