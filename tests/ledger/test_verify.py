"""verify(): a sound ledger passes; each kind of corruption is caught and named."""
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

import ledger
from ledger import verify as checks
from ledger.models import Entry, Transfer, utcnow
from ledger.verify import verify


def _corrupt(engine, *statements, **params):
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement) if isinstance(statement, str) else statement,
                               params)


def _insert_transfer(engine, *, debit, credit, amount, key, ledger_name="POINTS", entries=True,
                     reverses_id=None):
    """A transfer written behind the ledger's back (inserts are not blocked by triggers)."""
    now = utcnow()
    with engine.begin() as connection:
        transfer_id = connection.execute(insert(Transfer).values(
            community_id=1, ledger=ledger_name, key=key, kind="forged", amount=amount,
            debit_account_id=debit, credit_account_id=credit, reason="", created_at=now,
            reverses_id=reverses_id).returning(Transfer.id)).scalar()
        if entries:
            connection.execute(insert(Entry), [
                dict(transfer_id=transfer_id, account_id=debit, amount=-amount,
                     balance_after=Decimal("0"), created_at=now),
                dict(transfer_id=transfer_id, account_id=credit, amount=amount,
                     balance_after=Decimal("0"), created_at=now)])
    return transfer_id


def _busy_ledger(session, book):
    """Every kind of movement: grants, spends, holds in each state, a reversal, yuan."""
    resident, merchant = book.account(1), book.account(1, owner_type="merchant")
    book.fund(resident, "500", kind="earn")
    spend = book.move(resident, merchant, "40")
    for outcome in ("post", "void", None):
        hold_id = book.hold(resident, merchant, "30")
        if outcome:
            with ledger.write_transaction(session):
                resolve = ledger.post_hold if outcome == "post" else ledger.void_hold
                resolve(session, hold_id, key=f"{outcome}-{hold_id}")
    with ledger.write_transaction(session):
        ledger.reverse(session, spend.id, key="rev", reason="退单", actor_id=9)
    fund = book.system("fund", ledger.CNY)
    book.fund(fund, "1000.00", ledger_name=ledger.CNY)
    book.move(fund, book.account(1, ledger_name=ledger.CNY, owner_type="merchant"), "10.50")
    return resident, merchant


def test_a_sound_ledger_has_no_violations(session, book):
    _busy_ledger(session, book)
    assert verify(session) == []


def test_an_empty_ledger_has_no_violations(session):
    assert verify(session) == []


def test_a_balance_corrupted_with_raw_sql_is_caught_and_named(engine, session, book):
    resident, _ = _busy_ledger(session, book)
    _corrupt(engine, "UPDATE ledger_accounts SET balance = balance + 1000 WHERE id = :id",
             id=resident)
    violations = verify(session)
    assert f"account {resident} (POINTS resident:1/main): cached balance 450 != sum of " \
           f"entries 440" in violations
    assert "ledger POINTS: balances sum to 10, not 0" in violations
    assert len(violations) == 2


def test_held_out_of_step_with_pending_holds_is_caught(engine, session, book):
    resident, _ = _busy_ledger(session, book)
    _corrupt(engine, "UPDATE ledger_accounts SET held = 0 WHERE id = :id", id=resident)
    assert checks.held_matches_pending_holds(session) == [
        f"account {resident} (POINTS resident:1/main): held 0 != sum of pending holds 30"]


def test_a_forged_hold_outcome_is_caught(engine, session, book):
    resident, merchant = book.account(1), book.account(1, owner_type="merchant")
    book.fund(resident, "100")
    hold_id = book.hold(resident, merchant, "30")
    _corrupt(engine, "UPDATE ledger_holds SET status = 'posted', "
                     "outcome_transfer_id = hold_transfer_id WHERE id = :id", id=hold_id)
    escrow = book.system("escrow")
    violations = verify(session)
    assert f"hold {hold_id} (posted): 1 transfers name it, expected 2" in violations
    assert any(v.startswith(f"hold {hold_id}: status posted inconsistent") for v in violations)
    assert any(v.startswith(f"account {resident} ") and "held 30" in v for v in violations)
    assert any(v.startswith(f"account {escrow} ") and "escrow balance 30" in v
               for v in violations)


def test_a_transfer_without_entries_is_caught(engine, session, book):
    resident, merchant = book.account(1), book.account(2)
    forged = _insert_transfer(engine, debit=resident, credit=merchant, amount=Decimal("5"),
                              key="no-entries", entries=False)
    assert checks.transfers_have_two_matching_entries(session) == [
        f"transfer {forged} (no-entries): 0 entries summing to 0 do not match its amount "
        f"and accounts"]


def test_a_transfer_across_ledgers_is_caught(engine, session, book):
    points, cny = book.account(1), book.account(1, ledger_name=ledger.CNY)
    forged = _insert_transfer(engine, debit=points, credit=cny, amount=Decimal("5"),
                              key="cross")
    assert checks.transfers_stay_on_one_ledger(session) == [
        f"transfer {forged} (cross) on POINTS: debit on POINTS, credit on CNY"]


def test_a_reversal_that_does_not_mirror_its_original_is_caught(engine, session, book):
    resident, merchant = book.account(1), book.account(2)
    book.fund(resident, "100")
    spend = book.move(resident, merchant, "30")
    forged = _insert_transfer(engine, debit=resident, credit=merchant, amount=Decimal("30"),
                              key="same-way", reverses_id=spend.id)
    assert checks.reversals_mirror_their_original(session) == [
        f"transfer {forged} (same-way): not a mirror of a reversible transfer {spend.id}"]


@contextmanager
def _without_overdraft_check(engine):
    """A connection on which the CHECK (balance >= 0) is off, rolled back afterwards."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        else:  # DDL is transactional: the rollback below restores the constraint
            connection.exec_driver_sql(
                "ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_no_overdraft")
        try:
            yield connection
        finally:
            connection.rollback()
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
                connection.rollback()


def test_a_negative_user_balance_is_caught(engine, book):
    resident = book.account(1)
    with _without_overdraft_check(engine) as connection:
        connection.execute(text("UPDATE ledger_accounts SET balance = -500 WHERE id = :id"),
                           {"id": resident})
        with Session(bind=connection) as session:
            assert checks.user_balances_not_negative(session) == [
                f"account {resident} (POINTS resident:1/main): user balance -5 is below zero"]
