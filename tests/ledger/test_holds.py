"""Holds: points reserved in escrow, then posted or voided exactly once."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import ledger
from ledger.errors import (
    HoldNotFoundError,
    HoldResolvedError,
    IdempotencyConflictError,
    InsufficientPointsError,
)
from ledger.models import Hold
from ledger.verify import verify
from tests.ledger.book import snapshot

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _post(session, hold_id, key="post-1"):
    with ledger.write_transaction(session):
        return ledger.post_hold(session, hold_id, key=key)


def _void(session, hold_id, key="void-1"):
    with ledger.write_transaction(session):
        return ledger.void_hold(session, hold_id, key=key)


def test_hold_moves_points_to_escrow_and_shows_as_held(session, book, funded):
    resident, merchant = funded
    book.hold(resident, merchant, "30")
    assert ledger.balance_of(session, resident) == ledger.Balance("POINTS", Decimal("70"),
                                                                   Decimal("30"))
    assert book.balance(book.system("escrow")) == Decimal("30")
    assert book.balance(merchant) == Decimal("0")
    assert verify(session) == []


def test_hold_beyond_the_balance_is_refused_and_moves_nothing(session, book, funded):
    resident, merchant = funded
    before = snapshot(session)
    with pytest.raises(InsufficientPointsError):
        book.hold(resident, merchant, "101")
    assert snapshot(session) == before
    assert book.held(resident) == Decimal("0")


def test_replayed_hold_key_returns_the_same_hold(session, book, funded):
    resident, merchant = funded
    first = book.hold(resident, merchant, "30", key="voucher-1")
    before = snapshot(session)
    assert book.hold(resident, merchant, "30", key="voucher-1") == first
    assert snapshot(session) == before
    assert book.held(resident) == Decimal("30")


def test_hold_key_reused_for_another_amount_is_a_conflict(session, book, funded):
    resident, merchant = funded
    book.hold(resident, merchant, "30", key="voucher-1")
    with pytest.raises(IdempotencyConflictError):
        book.hold(resident, merchant, "31", key="voucher-1")


def test_posting_a_hold_pays_the_destination_once(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    resolved = _post(session, hold_id)
    assert resolved.status == "posted" and resolved.outcome_transfer_id is not None
    assert ledger.balance_of(session, resident) == ledger.Balance("POINTS", Decimal("70"),
                                                                   Decimal("0"))
    assert book.balance(merchant) == Decimal("30")
    assert book.balance(book.system("escrow")) == Decimal("0")
    assert verify(session) == []


def test_replayed_post_with_the_same_key_returns_the_same_outcome(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    first = _post(session, hold_id).outcome_transfer_id
    before = snapshot(session)
    assert _post(session, hold_id).outcome_transfer_id == first
    assert snapshot(session) == before
    assert book.balance(merchant) == Decimal("30")


def test_second_post_with_another_key_is_refused(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    _post(session, hold_id, key="post-1")
    with pytest.raises(HoldResolvedError):
        _post(session, hold_id, key="post-2")
    assert book.balance(merchant) == Decimal("30")


def test_voiding_a_hold_returns_the_points_once(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    assert _void(session, hold_id).status == "voided"
    before = snapshot(session)
    assert _void(session, hold_id).status == "voided"  # same key: a replay
    assert snapshot(session) == before
    with pytest.raises(HoldResolvedError):
        _void(session, hold_id, key="void-2")
    assert ledger.balance_of(session, resident) == ledger.Balance("POINTS", Decimal("100"),
                                                                   Decimal("0"))
    assert verify(session) == []


def test_post_after_void_is_refused_and_moves_nothing(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    _void(session, hold_id)
    before = snapshot(session)
    with pytest.raises(HoldResolvedError) as refused:
        _post(session, hold_id)
    assert refused.value.params == {"status": "voided"}
    assert snapshot(session) == before
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("100"), Decimal("0"))


def test_void_after_post_is_refused(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "30")
    _post(session, hold_id)
    with pytest.raises(HoldResolvedError):
        _void(session, hold_id)
    assert book.balance(merchant) == Decimal("30")


def test_posting_an_unknown_hold_is_refused(session):
    with pytest.raises(HoldNotFoundError):
        _post(session, 424242)


def test_due_holds_lists_only_pending_holds_whose_time_ran_out(session, book, funded):
    resident, merchant = funded
    due = book.hold(resident, merchant, "10", expires_at=NOW - timedelta(minutes=1))
    book.hold(resident, merchant, "10", expires_at=NOW + timedelta(minutes=1))
    book.hold(resident, merchant, "10")  # never expires
    resolved = book.hold(resident, merchant, "10", expires_at=NOW - timedelta(hours=1))
    _post(session, resolved)
    assert ledger.due_holds(session, NOW) == [due]


def test_timed_out_hold_is_voided_back_to_its_owner(session, book, funded):
    resident, merchant = funded
    hold_id = book.hold(resident, merchant, "25", expires_at=NOW - timedelta(seconds=1))
    for due in ledger.due_holds(session, NOW):
        _void(session, due, key=f"timeout:{due}")
    assert ledger.due_holds(session, NOW) == []
    assert ledger.balance_of(session, resident) == ledger.Balance("POINTS", Decimal("100"),
                                                                   Decimal("0"))
    assert book.balance(merchant) == Decimal("0")
    assert session.get(Hold, hold_id).status == "voided"
    assert verify(session) == []
