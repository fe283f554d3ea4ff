"""Reading balances and statements: one row for a balance, an index scan for a page."""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ledger.errors import AccountNotFoundError
from ledger.models import Account, Entry, Transfer


@dataclass(frozen=True)
class Balance:
    ledger: str
    balance: Decimal  # what the owner can spend now
    held: Decimal  # reserved by pending holds (vouchers), already out of ``balance``


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    transfer_id: int
    created_at: datetime
    kind: str
    amount: Decimal  # signed: + in, − out
    balance_after: Decimal
    reason: str
    ref_type: str | None
    ref_id: int | None
    counterparty_account_id: int
    reverses_id: int | None


_BALANCE = select(Account.ledger, Account.balance, Account.held)


def balance_of(session, account_id):
    """The account's cached balance and held amount: one primary-key read."""
    row = session.execute(_BALANCE.where(Account.id == account_id)).first()
    if row is None:
        raise AccountNotFoundError()
    return Balance(row.ledger, row.balance, row.held)


def statement(session, account_id, *, before=None, limit=50, kinds=None, since=None, until=None):
    """Entries of the account, newest first, with running balances.

    Cursor pagination: pass the last line's ``entry_id`` as ``before`` for the next page;
    lines inserted meanwhile have higher ids and never shift a page.
    """
    other = aliased(Entry)
    stmt = (
        select(Entry.id, Entry.transfer_id, Entry.created_at, Transfer.kind, Entry.amount,
               Entry.balance_after, Transfer.reason, Transfer.ref_type, Transfer.ref_id,
               other.account_id.label("counterparty"), Transfer.reverses_id)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(other, (other.transfer_id == Entry.transfer_id) & (other.id != Entry.id))
        .where(Entry.account_id == account_id)
        .order_by(Entry.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(Entry.id < before)
    if kinds:
        stmt = stmt.where(Transfer.kind.in_(kinds))
    if since is not None:
        stmt = stmt.where(Entry.created_at >= since)
    if until is not None:
        stmt = stmt.where(Entry.created_at < until)
    return [StatementLine(*row) for row in session.execute(stmt)]
