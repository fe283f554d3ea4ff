"""Posted transfers and entries are never updated or deleted, even with raw SQL."""
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.ledger.book import snapshot

STATEMENTS = [
    "UPDATE ledger_transfers SET amount = amount + 100",
    "UPDATE ledger_transfers SET reason = 'changed'",
    "DELETE FROM ledger_transfers",
    "UPDATE ledger_entries SET amount = 0",
    "UPDATE ledger_entries SET balance_after = 1",
    "DELETE FROM ledger_entries",
]


def test_raw_sql_cannot_change_or_delete_transfers_and_entries(engine, session, book, funded):
    resident, merchant = funded
    book.move(resident, merchant, "30")
    before = snapshot(session)
    # One database serves every statement: each fails and rolls back on its own.
    for statement in STATEMENTS:
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
            connection.execute(text(statement))
    assert snapshot(session) == before
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("70"), Decimal("30"))
