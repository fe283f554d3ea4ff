"""Races of real threads against the test database, and the SQL a block sends.

Every concurrency test uses these: each contender gets its own thread and its own
``Session`` (its own connection), and all are released together by one barrier, so the
database, not the test, decides who wins.
"""
import threading
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

import ledger

START_TIMEOUT = 60  # seconds a contender waits for the others before the race is void


def run_together(count, run):
    """Run ``run(i, start)`` in ``count`` threads; each calls ``start()`` when ready, and
    all go on from there together. Returns each result, or the error raised, in order."""
    barrier, results = threading.Barrier(count), [None] * count

    def contender(i):
        try:
            results[i] = run(i, lambda: barrier.wait(timeout=START_TIMEOUT))
        except Exception as error:  # noqa: BLE001  (the race's outcome is what we test)
            results[i] = error

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def race(engine, actions, *, app=None):
    """Run each ``action(session)`` in its own thread and Session, all released together
    (inside an app context of ``app`` when the action needs one)."""

    def run(i, start):
        with _app_context(app), Session(engine) as session:
            start()
            return actions[i](session)

    return run_together(len(actions), run)


def in_transaction(action, *args):
    """``action(session, *args)`` as one write transaction (for ledger-level actions that
    join the caller's transaction)."""

    def act(session):
        with ledger.write_transaction(session):
            return action(session, *args)

    return act


@contextmanager
def _app_context(app):
    if app is None:
        yield
    else:
        with app.app_context():
            yield


@contextmanager
def sql_sent(engine):
    """The statements SQLAlchemy sends through ``engine`` inside the block."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)
