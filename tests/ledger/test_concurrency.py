"""Races: many threads, each with its own Session, on one account, key, hold or transfer.

On PostgreSQL the row locks (``SELECT … FOR UPDATE``) serialise them; on SQLite the
write transaction (``BEGIN IMMEDIATE``) does.
"""
from decimal import Decimal

import pytest

import ledger
from ledger.errors import (
    AlreadyReversedError,
    HoldResolvedError,
    InsufficientPointsError,
)
from ledger.locking import lock_accounts
from ledger.verify import verify
from tests.races import in_transaction, race, sql_sent

THREADS = 16


def _race(engine, action, threads=THREADS):
    """``action(session, i)`` in ``threads`` write transactions started together."""
    return race(engine, [in_transaction(action, i) for i in range(threads)])


def _successes(results, error_type):
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, error_type)]
    assert unexpected == []
    return [r for r in results if not isinstance(r, Exception)]


@pytest.mark.slow
def test_concurrent_spending_never_overdraws(engine, session, book, funded):
    resident, merchant = funded  # 100 points; 24 spends of 7 ask for 168

    def spend(s, i):
        return ledger.transfer(s, debit=resident, credit=merchant, amount=Decimal("7"),
                               key=f"spend-{i}", kind="spend")

    posted = _successes(_race(engine, spend, threads=24), InsufficientPointsError)
    assert all(p.created for p in posted)
    spent = sum(p.amount for p in posted)
    assert spent == Decimal("98")  # 14 spends of 7 fit in 100
    assert book.balance(resident) == Decimal("100") - spent == Decimal("2")
    assert book.balance(merchant) == spent
    assert verify(session) == []


@pytest.mark.slow
def test_concurrent_posts_of_one_key_move_once(engine, session, book, funded):
    resident, merchant = funded

    def pay(s, i):
        return ledger.transfer(s, debit=resident, credit=merchant, amount=Decimal("60"),
                               key="one-key", kind="spend")

    posted = _successes(_race(engine, pay), ())
    assert len(posted) == THREADS and len({p.id for p in posted}) == 1
    assert sum(p.created for p in posted) == 1
    assert book.balance(resident) == Decimal("40")
    assert verify(session) == []


@pytest.mark.slow
def test_racing_post_and_void_of_one_hold_resolve_it_once(engine, session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")

    def resolve(s, i):
        action = ledger.post_hold if i % 2 else ledger.void_hold
        return action(s, hold_id, key=f"outcome-{i}").status

    outcomes = _successes(_race(engine, resolve), HoldResolvedError)
    assert len(outcomes) == 1
    paid = Decimal("30") if outcomes == ["posted"] else Decimal("0")
    assert book.balance(merchant) == paid
    assert ledger.balance_of(session, resident) == ledger.Balance(
        "POINTS", Decimal("70") + (Decimal("30") - paid), Decimal("0"))
    assert verify(session) == []


@pytest.mark.slow
def test_concurrent_reversals_of_one_transfer_reverse_it_once(engine, session, book, funded):
    resident, merchant = funded
    spend = book.move(resident, merchant, "30")

    def undo(s, i):
        return ledger.reverse(s, spend.id, key=f"undo-{i}", reason="退单", actor_id=9)

    reversals = _successes(_race(engine, undo), AlreadyReversedError)
    assert len(reversals) == 1
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("100"), Decimal("0"))
    assert verify(session) == []


@pytest.mark.slow
def test_concurrent_holds_on_one_account_all_succeed(engine, session, book, funded):
    resident, merchant = funded

    def reserve(s, i):
        return ledger.hold(s, account=resident, destination=merchant, amount=Decimal("5"),
                           key=f"voucher-{i}").id

    holds = _successes(_race(engine, reserve), ())
    assert len(set(holds)) == THREADS
    assert ledger.balance_of(session, resident) == ledger.Balance(
        "POINTS", Decimal("20"), Decimal("80"))
    assert verify(session) == []


@pytest.mark.slow
def test_concurrent_holds_under_one_key_reserve_once(engine, session, book, funded):
    resident, merchant = funded

    def reserve(s, i):
        return ledger.hold(s, account=resident, destination=merchant, amount=Decimal("30"),
                           key="voucher").id

    holds = _successes(_race(engine, reserve), ())
    assert len(holds) == THREADS and len(set(holds)) == 1
    assert book.held(resident) == Decimal("30")
    assert verify(session) == []


@pytest.mark.slow
def test_posting_holds_while_the_owner_spends_does_not_deadlock(engine, session, book, funded):
    resident, merchant = funded
    holds = [book.hold(resident, merchant, "2") for _ in range(THREADS // 2)]

    def act(s, i):
        if i % 2:
            return ledger.post_hold(s, holds[i // 2], key=f"redeem-{i}").status
        return ledger.transfer(s, debit=resident, credit=merchant, amount=Decimal("1"),
                               key=f"spend-{i}", kind="spend").amount

    results = _successes(_race(engine, act), ())
    assert results.count("posted") == THREADS // 2
    assert ledger.balance_of(session, resident) == ledger.Balance(
        "POINTS", Decimal("76"), Decimal("0"))
    assert book.balance(merchant) == Decimal("24")
    assert verify(session) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_lock_accounts_selects_for_update_on_postgresql(engine, session, funded):
    with sql_sent(engine) as statements, ledger.write_transaction(session):
        locked = lock_accounts(session, funded)
    assert sorted(locked) == sorted(funded)
    assert any("FOR UPDATE" in s and "ledger_accounts" in s for s in statements)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_write_transactions_begin_immediate_on_sqlite(engine, session, funded):
    with sql_sent(engine) as statements, ledger.write_transaction(session):
        lock_accounts(session, funded)
    assert statements[0] == "BEGIN IMMEDIATE"
