"""Statements: entries newest first, running balances, cursor pages that never shift."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import ledger

START = datetime(2026, 1, 5, 2, tzinfo=timezone.utc)


def test_statement_lists_entries_newest_first_with_running_balances(session, book):
    resident, merchant = book.account(1), book.account(1, owner_type="merchant")
    issuance = book.system("issuance")
    book.fund(resident, "100", kind="earn", now=START)
    book.move(resident, merchant, "30", kind="spend", now=START + timedelta(hours=1))
    book.fund(resident, "5", kind="grant", now=START + timedelta(hours=2))
    lines = ledger.statement(session, resident)
    assert [(line.kind, line.amount, line.balance_after, line.counterparty_account_id)
            for line in lines] == [
        ("grant", Decimal("5"), Decimal("75"), issuance),
        ("spend", Decimal("-30"), Decimal("70"), merchant),
        ("earn", Decimal("100"), Decimal("100"), issuance),
    ]
    assert lines[0].balance_after == book.balance(resident)
    assert [line.created_at for line in lines] == [START + timedelta(hours=h) for h in (2, 1, 0)]


def test_cursor_pages_are_stable_while_new_entries_arrive(session, book):
    resident = book.account(1)
    for points in range(1, 8):
        book.fund(resident, str(points))
    first = ledger.statement(session, resident, limit=3)
    book.fund(resident, "100")  # arrives between two page requests
    second = ledger.statement(session, resident, limit=3, before=first[-1].entry_id)
    third = ledger.statement(session, resident, limit=3, before=second[-1].entry_id)
    assert [line.amount for line in first] == [Decimal("7"), Decimal("6"), Decimal("5")]
    assert [line.amount for line in second] == [Decimal("4"), Decimal("3"), Decimal("2")]
    assert [line.amount for line in third] == [Decimal("1")]
    assert ledger.statement(session, resident, before=third[-1].entry_id) == []


def test_statement_filters_by_kind_and_time(session, book):
    resident, merchant = book.account(1), book.account(1, owner_type="merchant")
    book.fund(resident, "100", kind="earn", now=START)
    book.move(resident, merchant, "30", kind="spend", now=START + timedelta(days=1))
    assert [line.kind for line in ledger.statement(session, resident, kinds=["spend"])] == [
        "spend"]
    assert [line.kind for line in ledger.statement(
        session, resident, since=START, until=START + timedelta(hours=1))] == ["earn"]
