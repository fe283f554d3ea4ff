"""Reversals: the mirror of a transfer, naming it, with a reason and a staff member, once."""
from decimal import Decimal

import pytest

import ledger
from ledger.errors import (
    AlreadyReversedError,
    InsufficientPointsError,
    NotReversibleError,
    ReasonRequiredError,
)
from ledger.models import Transfer
from ledger.verify import verify
from tests.ledger.book import snapshot

STAFF = 9


def _reverse(session, transfer_id, key="rev-1", reason="录入错误", actor_id=STAFF):
    with ledger.write_transaction(session):
        return ledger.reverse(session, transfer_id, key=key, reason=reason, actor_id=actor_id)


def test_reversal_mirrors_the_original_and_names_it(session, book, funded):
    resident, merchant = funded
    spend = book.move(resident, merchant, "30")
    posted = _reverse(session, spend.id)
    assert (posted.debit_account_id, posted.credit_account_id) == (merchant, resident)
    assert posted.amount == Decimal("30") and posted.created
    stored = session.get(Transfer, posted.id)
    assert (stored.reverses_id, stored.kind, stored.reason, stored.actor_id) == (
        spend.id, "reverse", "录入错误", STAFF)
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("100"), Decimal("0"))
    assert verify(session) == []


def test_reversal_needs_a_reason_and_a_staff_member(session, book, funded):
    resident, merchant = funded
    spend = book.move(resident, merchant, "30")
    before = snapshot(session)
    for reason, actor_id in (("", STAFF), ("   ", STAFF), (None, STAFF), ("录入错误", None)):
        with pytest.raises(ReasonRequiredError):
            _reverse(session, spend.id, reason=reason, actor_id=actor_id)
    assert snapshot(session) == before


def test_second_reversal_is_refused(session, book, funded):
    resident, merchant = funded
    spend = book.move(resident, merchant, "30")
    _reverse(session, spend.id, key="rev-1")
    before = snapshot(session)
    with pytest.raises(AlreadyReversedError):
        _reverse(session, spend.id, key="rev-2")
    assert snapshot(session) == before
    assert book.balance(resident) == Decimal("100")


def test_replayed_reversal_key_returns_the_first_reversal(session, book, funded):
    resident, merchant = funded
    spend = book.move(resident, merchant, "30")
    first = _reverse(session, spend.id)
    again = _reverse(session, spend.id)
    assert again.id == first.id and not again.created
    assert book.balance(resident) == Decimal("100")


def test_reversal_that_would_overdraw_is_refused(session, book, funded):
    resident, merchant = funded
    grant = session.get(Transfer, book.move(book.system("issuance"), resident, "50",
                                            kind="grant").id)
    book.move(resident, merchant, "140")  # the granted points are spent
    before = snapshot(session)
    with pytest.raises(InsufficientPointsError):
        _reverse(session, grant.id)
    assert snapshot(session) == before
    assert book.balance(resident) == Decimal("10")


def test_reversal_of_a_reversal_is_refused(session, book, funded):
    resident, merchant = funded
    reversal = _reverse(session, book.move(resident, merchant, "30").id)
    with pytest.raises(NotReversibleError):
        _reverse(session, reversal.id, key="rev-of-rev")


def test_hold_movements_are_voided_not_reversed(session, book, funded):
    resident, merchant = funded
    book.hold(resident, merchant, "30", key="voucher")
    with pytest.raises(NotReversibleError):
        _reverse(session, ledger.find_transfer(session, "voucher").id)
    assert book.held(resident) == Decimal("30")


def test_reversal_of_an_unknown_transfer_is_refused(session):
    with pytest.raises(NotReversibleError):
        _reverse(session, 777_777)
