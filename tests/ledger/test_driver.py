"""The hot path's statements run on the driver's cursor, inside the session's transaction."""
from decimal import Decimal

import pytest
from sqlalchemy import text

import ledger
from ledger import driver
from ledger.posting import _prepared_statements
from tests.ledger.book import snapshot


def test_postgresql_lock_takes_row_locks_in_ascending_id_order():
    lock = _prepared_statements(driver.DIALECTS["postgresql"])["lock"].sql
    assert lock.rstrip().endswith("ORDER BY ledger_accounts.id FOR UPDATE")


def test_a_rolled_back_transfer_leaves_nothing_behind(session, book, funded):
    resident, merchant = funded
    before = snapshot(session)
    with pytest.raises(RuntimeError), ledger.write_transaction(session):
        ledger.transfer(session, debit=resident, credit=merchant, amount=Decimal("40"),
                        key="undone", kind="spend")
        raise RuntimeError("a later step of the use case failed")
    assert snapshot(session) == before
    assert ledger.find_transfer(session, "undone") is None


def test_amounts_are_stored_as_integer_hundredths(session, funded):
    resident, merchant = funded
    with ledger.write_transaction(session):
        ledger.transfer(session, debit=resident, credit=merchant, amount=Decimal("7"),
                        key="stored", kind="spend")
    stored = session.execute(text(
        "SELECT amount FROM ledger_transfers WHERE key = 'stored'")).scalar()
    assert stored == 700
    assert ledger.balance_of(session, merchant).balance == Decimal("7")
