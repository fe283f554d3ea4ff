"""Transfers: double entry on one ledger, no overdraft, exactly once per key."""
from decimal import Decimal

import pytest

import ledger
from ledger.errors import (
    AccountNotFoundError,
    CrossCommunityError,
    IdempotencyConflictError,
    InsufficientPointsError,
    LedgerMismatchError,
    NotInTransactionError,
    SameAccountError,
)
from ledger.verify import verify
from tests.ledger.book import Book, snapshot


def _transfer(session, debit, credit, amount, key="k1", kind="spend"):
    with ledger.write_transaction(session):
        return ledger.transfer(session, debit=debit, credit=credit, amount=Decimal(amount),
                               key=key, kind=kind)


def test_transfer_debits_one_account_and_credits_the_other(session, book, funded):
    resident, merchant = funded
    posted = _transfer(session, resident, merchant, "30")
    assert posted.created and posted.amount == Decimal("30") and posted.ledger == ledger.POINTS
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("70"), Decimal("30"))
    assert verify(session) == []


def test_transfer_between_two_communities_is_refused_and_moves_nothing(session, book, funded):
    resident, _ = funded
    elsewhere = Book(session, community_id=2).account(7)
    before = snapshot(session)
    with pytest.raises(CrossCommunityError):
        _transfer(session, resident, elsewhere, "10")
    assert snapshot(session) == before


def test_replayed_key_with_another_kind_is_a_conflict_and_moves_nothing(session, book, funded):
    resident, merchant = funded
    _transfer(session, resident, merchant, "10", key="same", kind="spend")
    before = snapshot(session)
    with pytest.raises(IdempotencyConflictError):
        _transfer(session, resident, merchant, "10", key="same", kind="refund")
    assert snapshot(session) == before


def test_transfer_across_ledgers_is_refused_and_moves_nothing(session, book, funded):
    resident, _ = funded
    cny = book.account(2, ledger_name=ledger.CNY)
    before = snapshot(session)
    with pytest.raises(LedgerMismatchError):
        _transfer(session, resident, cny, "10")
    assert snapshot(session) == before
    assert (book.balance(resident), book.balance(cny)) == (Decimal("100"), Decimal("0"))


def test_overdraft_of_a_user_account_is_refused_and_moves_nothing(session, book, funded):
    resident, merchant = funded
    before = snapshot(session)
    with pytest.raises(InsufficientPointsError) as refused:
        _transfer(session, resident, merchant, "101")
    assert refused.value.params == {"available": "100", "needed": "101"}
    assert snapshot(session) == before
    assert book.balance(resident) == Decimal("100")


def test_spending_the_whole_balance_is_allowed(session, book, funded):
    resident, merchant = funded
    _transfer(session, resident, merchant, "100")
    assert book.balance(resident) == Decimal("0")


def test_issuance_account_may_go_negative(session, book):
    resident = book.account(1)
    book.fund(resident, "500")
    assert book.balance(book.system("issuance")) == Decimal("-500")


def test_transfer_to_the_same_account_is_refused(session, funded):
    resident, _ = funded
    with pytest.raises(SameAccountError):
        _transfer(session, resident, resident, "1")


def test_transfer_from_an_unknown_account_is_refused(session, funded):
    _, merchant = funded
    with pytest.raises(AccountNotFoundError):
        _transfer(session, 999_999, merchant, "1")


def test_transfer_outside_a_write_transaction_is_refused(session, funded):
    resident, merchant = funded
    with pytest.raises(NotInTransactionError):
        ledger.transfer(session, debit=resident, credit=merchant, amount=Decimal("1"),
                        key="k", kind="spend")
    session.rollback()


def test_replayed_key_moves_once_and_returns_the_first_result(session, book, funded):
    resident, merchant = funded
    first = _transfer(session, resident, merchant, "40")
    before = snapshot(session)
    again = _transfer(session, resident, merchant, "40")
    assert again.id == first.id and again.amount == first.amount
    assert first.created and not again.created
    assert snapshot(session) == before
    assert book.balance(resident) == Decimal("60")


def test_replay_of_a_transfer_that_emptied_the_account_is_not_an_overdraft(session, book, funded):
    resident, merchant = funded
    first = _transfer(session, resident, merchant, "100")
    again = _transfer(session, resident, merchant, "100")
    assert again.id == first.id and not again.created
    assert book.balance(resident) == Decimal("0")


def test_same_key_with_different_content_is_a_conflict(session, book, funded):
    resident, merchant = funded
    other = book.account(2)
    book.fund(other, "100")
    _transfer(session, resident, merchant, "40")
    before = snapshot(session)
    for debit, credit, amount in ((resident, merchant, "41"), (resident, other, "40"),
                                  (other, merchant, "40")):
        with pytest.raises(IdempotencyConflictError):
            _transfer(session, debit, credit, amount)
    assert snapshot(session) == before
    assert (book.balance(resident), book.balance(other)) == (Decimal("60"), Decimal("100"))


def test_yuan_transfer_keeps_fen(session, book):
    fund, merchant = book.system("fund", ledger.CNY), book.account(1, ledger_name=ledger.CNY,
                                                                   owner_type="merchant")
    book.fund(fund, "1000.00", ledger_name=ledger.CNY)
    _transfer(session, fund, merchant, "246.90")
    assert book.balance(merchant) == Decimal("246.90")
    assert book.balance(fund) == Decimal("753.10")
    assert verify(session) == []


def test_account_is_opened_once_per_owner(session, book):
    assert book.account(7) == book.account(7)
    assert book.account(7) != book.account(7, ledger_name=ledger.CNY)


def test_a_transaction_told_not_to_expire_keeps_what_it_wrote_and_restores_the_setting(session, funded):
    from sqlalchemy import inspect

    from ledger.models import Hold

    resident, merchant = funded
    with ledger.write_transaction(session, expire=False):
        kept = ledger.hold(session, account=resident, destination=merchant, amount=Decimal(5), key="h1")
    assert inspect(kept).expired_attributes == set() and session.expire_on_commit is True
    with ledger.write_transaction(session):
        expired = ledger.hold(session, account=resident, destination=merchant, amount=Decimal(5), key="h2")
    assert "status" in inspect(expired).expired_attributes
    with pytest.raises(InsufficientPointsError), ledger.write_transaction(session, expire=False):
        ledger.hold(session, account=resident, destination=merchant, amount=Decimal(500), key="h3")

    assert session.expire_on_commit is True
    assert session.get(Hold, kept.id).amount == Decimal(5)
    assert verify(session) == []
