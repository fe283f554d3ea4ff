"""Expiry: points earned in year Y expire at the end of 31 Dec of Y+1, oldest first."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import ledger
from ledger.expiry import Expiring, Figures, expire_points, expiring_soon, expiry_plan
from ledger.models import Transfer
from ledger.verify import verify
from tests.ledger.book import Book, snapshot

LOCAL = ledger.expiry.LOCAL_ZONE


def at(year, month, day, hour=12):
    """A moment in Shanghai local time, as aware UTC."""
    return datetime(year, month, day, hour, tzinfo=LOCAL).astimezone(timezone.utc)


def _expire(session, as_of, community_id=1):
    return expire_points(session, community_id=community_id, as_of=as_of, actor_id=9)


@pytest.fixture
def shop(book):
    return book.account(1, owner_type="merchant")


def test_points_expire_oldest_first_at_the_end_of_the_following_year(session, book, shop):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.move(resident, shop, "30", now=at(2024, 6, 1))  # 70 of 2024 left
    book.fund(resident, "50", kind="grant", now=at(2025, 2, 1))
    book.move(resident, shop, "60", now=at(2025, 5, 1))  # the oldest: 10 of 2024 left
    first = _expire(session, date(2026, 1, 1))
    assert [(p.key, p.amount) for p in first] == [(f"expire:{resident}:2024", Decimal("10"))]
    assert book.balance(resident) == Decimal("50")  # the 50 of 2025

    book.move(resident, shop, "20", now=at(2026, 3, 1))  # 30 of 2025 left
    book.fund(resident, "80", kind="earn", now=at(2026, 4, 1))
    second = _expire(session, date(2027, 1, 1))
    assert [(p.key, p.amount) for p in second] == [(f"expire:{resident}:2025", Decimal("30"))]
    assert book.balance(resident) == Decimal("80")  # the 80 of 2026
    assert book.balance(book.system("expired")) == Decimal("40")
    assert verify(session) == []


def test_expiry_moves_points_to_the_expired_account_with_actor_and_reason(session, book):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    (posted,) = _expire(session, date(2026, 1, 1))
    stored = session.get(Transfer, posted.id)
    assert (stored.kind, stored.actor_id, stored.debit_account_id, stored.credit_account_id) == (
        "expire", 9, resident, book.system("expired"))
    assert "2025-12-31" in stored.reason


def test_points_are_valid_through_31_december_of_the_following_year(session, book):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 12, 31, 23))
    assert _expire(session, date(2025, 12, 31)) == []
    assert [p.amount for p in _expire(session, date(2026, 1, 1))] == [Decimal("100")]


def test_the_local_shanghai_year_decides_when_points_were_earned(session, book):
    resident = book.account(1)
    # 15:30 UTC on 31 Dec is 23:30 in Shanghai (a 2024 point); 16:30 UTC is already 2025.
    book.fund(resident, "7", kind="earn", now=datetime(2024, 12, 31, 15, 30, tzinfo=timezone.utc))
    book.fund(resident, "5", kind="earn", now=datetime(2024, 12, 31, 16, 30, tzinfo=timezone.utc))
    assert [(p.key, p.amount) for p in _expire(session, date(2026, 1, 1))] == [
        (f"expire:{resident}:2024", Decimal("7"))]


def test_rerunning_expiry_changes_nothing(session, book):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2023, 5, 1))
    book.fund(resident, "40", kind="earn", now=at(2024, 5, 1))
    assert [p.amount for p in _expire(session, date(2026, 2, 1))] == [Decimal("100"),
                                                                       Decimal("40")]
    book.fund(resident, "25", kind="earn", now=at(2026, 2, 2))  # new points stay
    before = snapshot(session)
    assert _expire(session, date(2026, 2, 1)) == []
    assert _expire(session, date(2026, 6, 1)) == []
    assert _expire(session, date(2025, 1, 1)) == []  # an earlier date moves nothing either
    assert snapshot(session) == before
    assert book.balance(resident) == Decimal("25")


def test_reversed_earnings_do_not_expire(session, book):
    resident = book.account(1)
    earned = book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.fund(resident, "30", kind="earn", now=at(2025, 3, 1))
    with ledger.write_transaction(session):
        ledger.reverse(session, earned.id, key="rev", reason="重复发放", actor_id=9,
                       now=at(2025, 4, 1))
    assert _expire(session, date(2026, 1, 1)) == []
    assert book.balance(resident) == Decimal("30")


def test_returned_points_join_the_oldest_year_again(session, book, shop):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    spend = book.move(resident, shop, "60", now=at(2024, 4, 1))
    hold_id = book.hold(resident, shop, "40", now=at(2025, 1, 1))
    with ledger.write_transaction(session):
        ledger.void_hold(session, hold_id, key="cancel", now=at(2025, 2, 1))
        ledger.reverse(session, spend.id, key="refund", reason="退货", actor_id=9,
                       now=at(2025, 3, 1))
    assert [p.amount for p in _expire(session, date(2026, 1, 1))] == [Decimal("100")]


def test_points_held_for_a_voucher_do_not_expire_while_held(session, book, shop):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.hold(resident, shop, "70", now=at(2025, 6, 1))
    assert [p.amount for p in _expire(session, date(2026, 1, 1))] == [Decimal("30")]
    assert ledger.balance_of(session, resident) == ledger.Balance(
        "POINTS", Decimal("0"), Decimal("70"))
    assert verify(session) == []


def test_points_not_earned_do_not_expire(session, book, shop):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.move(resident, shop, "100", kind="redeem", now=at(2024, 4, 1))
    assert _expire(session, date(2027, 1, 1)) == []
    assert book.balance(shop) == Decimal("100")


def test_expiry_touches_only_the_given_community(session, book):
    other = Book(session, community_id=2)
    here, there = book.account(1), other.account(1)
    book.fund(here, "10", kind="earn", now=at(2024, 3, 1))
    other.fund(there, "20", kind="earn", now=at(2024, 3, 1))
    assert [p.debit_account_id for p in _expire(session, date(2026, 1, 1))] == [here]
    assert book.balance(there) == Decimal("20")


def test_expiring_soon_lists_the_points_due_within_the_window(session, book, shop):
    resident, neighbour = book.account(1), book.account(2)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.move(resident, shop, "30", now=at(2025, 1, 5))
    book.fund(resident, "50", kind="earn", now=at(2025, 3, 1))  # due a year later
    book.fund(neighbour, "5", kind="grant", now=at(2025, 3, 1))
    assert expiring_soon(session, community_id=1, as_of=date(2025, 12, 10)) == [
        Expiring(resident, "resident", 1, Decimal("70"), date(2025, 12, 31))]
    assert expiring_soon(session, community_id=1, as_of=date(2025, 11, 1)) == []
    assert expiring_soon(session, community_id=1, as_of=date(2025, 11, 1), days=60) == [
        Expiring(resident, "resident", 1, Decimal("70"), date(2025, 12, 31))]


def test_expiring_soon_leaves_out_points_already_expired(session, book):
    resident = book.account(1)
    book.fund(resident, "100", kind="earn", now=at(2024, 3, 1))
    book.fund(resident, "8", kind="earn", now=at(2025, 3, 1))
    _expire(session, date(2026, 1, 1))
    assert expiring_soon(session, community_id=1, as_of=date(2026, 12, 20)) == [
        Expiring(resident, "resident", 1, Decimal("8"), date(2026, 12, 31))]


def test_expiry_plan_is_capped_at_the_balance_and_skips_done_years():
    figures = Figures(earned={2024: Decimal("100"), 2025: Decimal("50")})
    assert expiry_plan(figures, balance=Decimal("120"), last_year=2025) == [
        (2024, Decimal("100")), (2025, Decimal("20"))]
    figures.expired = Decimal("100")  # 2024 went already
    assert expiry_plan(figures, balance=Decimal("50"), last_year=2025, done={2024}) == [
        (2025, Decimal("50"))]
    assert expiry_plan(figures, balance=Decimal("50"), last_year=2024, done={2024}) == []
