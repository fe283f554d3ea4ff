"""Posting: transfers, holds, reversals. Functions take a Session, flush, never commit.

Every function here must run inside ``ledger.locking.write_transaction``. The hot path
(``transfer``) uses pre-built Core statements: one lock, one insert, one update and one
insert of both entries, so a transfer costs about as many round trips as hand-written SQL.
"""
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, case, insert, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from ledger import rules
from ledger.accounts import system_account
from ledger.amounts import parse_amount
from ledger.errors import (
    AccountNotFoundError,
    AlreadyReversedError,
    HoldNotFoundError,
    HoldResolvedError,
    IdempotencyConflictError,
    InsufficientPointsError,
    NotReversibleError,
)
from ledger import driver
from ledger.locking import _lock_accounts_statement, ensure_in_write_transaction, lock_accounts
from ledger.models import Account, Entry, Hold, Transfer, utcnow


class _Locked(NamedTuple):
    id: int
    balance: Decimal
    held: Decimal
    allow_negative: bool
    ledger: str
    community_id: int


@dataclass(frozen=True)
class Posted:
    """The result of a transfer; ``created`` is False when the key was replayed."""

    id: int
    key: str
    ledger: str
    amount: Decimal
    debit_account_id: int
    credit_account_id: int
    created: bool


# The columns come from the parameters ``transfer`` passes (always the same set, so it is
# compiled once): listing them as bind parameters here would make SQLAlchemy walk fifteen
# of them to build its cache key on every execution.
_INSERT_TRANSFER = {
    name: dialect.insert(Transfer)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(Transfer.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# Both balances in one UPDATE and both entries in one INSERT: one message each to the
# database instead of an executemany pipeline, which costs the hot path measurably more.
# The entries are INSERT … SELECT … UNION ALL SELECT rather than a multi-row VALUES,
# which SQLAlchemy cannot cache and would compile on every transfer; every bind carries
# its column's type so that ``Amount`` still converts to hundredths.
_ID = Account.__table__.c.id.type
_SET_BALANCES = (
    update(Account)
    .where(Account.id.in_([bindparam("debit_id", type_=_ID), bindparam("credit_id", type_=_ID)]))
    .values(balance=case(
        (Account.id == bindparam("debit_id", type_=_ID),
         bindparam("debit_after", type_=Account.__table__.c.balance.type)),
        else_=bindparam("credit_after", type_=Account.__table__.c.balance.type),
    ))
)


_ENTRY_BINDS = {"transfer_id": "transfer_id", "account_id": "{side}_id",
                "amount": "{side}_amount", "balance_after": "{side}_after",
                "created_at": "created_at"}


def _entry_row(side):
    return select(*(bindparam(name.format(side=side), type_=Entry.__table__.c[column].type)
                    for column, name in _ENTRY_BINDS.items()))


_INSERT_ENTRIES = insert(Entry).from_select(
    list(_ENTRY_BINDS), union_all(_entry_row("debit"), _entry_row("credit")))
_FIND_BY_KEY = select(Transfer).where(Transfer.key == bindparam("key"))

_TRANSFER_COLUMNS = ("community_id", "ledger", "key", "kind", "amount", "debit_account_id",
                     "credit_account_id", "reason", "actor_id", "proxy_id", "ref_type",
                     "ref_id", "reverses_id", "hold_id", "created_at")
_AMOUNT, _MOMENT = Account.__table__.c.balance.type, Transfer.__table__.c.created_at.type


def _prepared_statements(dialect):
    """The hot path's statements compiled for ``dialect`` (see ledger/driver.py)."""
    name = dialect.name
    return {
        "lock": driver.Prepared(_lock_accounts_statement(2), dialect, {},
                                result_types=(None, _AMOUNT, _AMOUNT, None, None, None)),
        "insert_transfer": driver.Prepared(
            _INSERT_TRANSFER[name], dialect, {"amount": _AMOUNT, "created_at": _MOMENT},
            column_keys=list(_TRANSFER_COLUMNS)),
        "set_balances": driver.Prepared(_SET_BALANCES, dialect,
                                        {"debit_after": _AMOUNT, "credit_after": _AMOUNT}),
        "insert_entries": driver.Prepared(
            _INSERT_ENTRIES, dialect,
            {"debit_amount": _AMOUNT, "debit_after": _AMOUNT, "credit_amount": _AMOUNT,
             "credit_after": _AMOUNT, "created_at": _MOMENT}),
    }


def _hot(session):
    return driver.prepared("transfer", session.get_bind().dialect.name, _prepared_statements)


def transfer(session, *, debit, credit, amount, key, kind, reason="", actor_id=None,
             proxy_id=None, ref_type=None, ref_id=None, reverses_id=None, hold_id=None,
             now=None):
    """Move ``amount`` from account ``debit`` to account ``credit`` (ids), exactly once.

    Guarantees: both accounts on one ledger; user accounts never below zero (checked
    under the row locks); ``key`` is unique: posting it again returns the first result
    (``created=False``) and moves nothing, and a different movement under the same key
    raises ``IdempotencyConflictError``.
    """
    rules.ensure_two_accounts(debit, credit)
    ensure_in_write_transaction(session)
    hot = _hot(session)
    low, high = sorted((debit, credit))
    locked = {row[0]: _Locked(*row) for row in map(hot["lock"].row, driver.execute(
        session, hot["lock"], {"id0": low, "id1": high}).fetchall())}
    if len(locked) != 2:
        raise AccountNotFoundError()
    source, target = locked[debit], locked[credit]
    rules.ensure_same_ledger(source, target)
    rules.ensure_same_community(source, target)
    amount = parse_amount(amount, source.ledger)
    try:
        rules.ensure_can_debit(source, amount)
    except InsufficientPointsError:
        # A replay of a transfer that emptied the account is not a refusal.
        replayed = _replayed(session, key, debit, credit, amount, kind)
        if replayed is None:
            raise
        return replayed
    now = now or utcnow()
    params = dict(community_id=source.community_id, ledger=source.ledger, key=key, kind=kind,
                  amount=amount, debit_account_id=debit, credit_account_id=credit,
                  reason=reason or "", actor_id=actor_id, proxy_id=proxy_id, ref_type=ref_type,
                  ref_id=ref_id, reverses_id=reverses_id, hold_id=hold_id, created_at=now)
    try:
        row = driver.execute(session, hot["insert_transfer"], params).fetchone()
    except session.get_bind().dialect.dbapi.IntegrityError as error:
        if reverses_id is not None and "reverses_id" in str(error):
            raise AlreadyReversedError() from None
        raise
    transfer_id = row[0] if row else None
    if transfer_id is None:
        replayed = _replayed(session, key, debit, credit, amount, kind)
        if replayed is None:
            raise IdempotencyConflictError()
        return replayed
    debit_after, credit_after = source.balance - amount, target.balance + amount
    driver.execute(session, hot["set_balances"], dict(
        debit_id=debit, debit_after=debit_after, credit_id=credit, credit_after=credit_after))
    driver.execute(session, hot["insert_entries"], dict(
        transfer_id=transfer_id, created_at=now,
        debit_id=debit, debit_amount=-amount, debit_after=debit_after,
        credit_id=credit, credit_amount=amount, credit_after=credit_after))
    _expire_cached(session, Account, (debit, credit))
    return Posted(transfer_id, key, source.ledger, amount, debit, credit, created=True)


def _replayed(session, key, debit, credit, amount, kind):
    """The first result posted under ``key`` (None if there is none)."""
    existing = session.connection().execute(_FIND_BY_KEY, {"key": key}).first()
    if existing is None:
        return None
    if not rules.is_same_request(existing, debit_id=debit, credit_id=credit, amount=amount,
                                 kind=kind):
        raise IdempotencyConflictError()
    return Posted(existing.id, key, existing.ledger, existing.amount,
                  existing.debit_account_id, existing.credit_account_id, created=False)


def _expire_cached(session, model, ids):
    """Core updates bypass the ORM: drop stale copies the session may hold."""
    for row_id in ids:
        instance = session.identity_map.get(identity_key(model, row_id))
        if instance is not None:
            session.expire(instance)


def find_transfer(session, key):
    """The transfer posted under ``key``, or None."""
    return session.scalar(select(Transfer).where(Transfer.key == key))


# Holds -------------------------------------------------------------------------------

_ACCOUNTS_BY_ID = select(Account.id, Account.community_id, Account.ledger).where(
    Account.id.in_(bindparam("ids", expanding=True)))
_ADD_HELD = update(Account).where(Account.id == bindparam("h_id")).values(
    held=Account.held + bindparam("h_delta", type_=Account.held.type))


def hold(session, *, account, destination, amount, key, kind="hold", expires_at=None,
         reason="", actor_id=None, proxy_id=None, ref_type=None, ref_id=None, now=None):
    """Reserve ``amount`` of ``account`` for ``destination``: the points move to escrow.

    Returns the ``Hold`` (pending). Replaying ``key`` returns the same hold. The hold is
    later posted to ``destination`` or voided back, once (``post_hold``/``void_hold``).
    """
    ensure_in_write_transaction(session)
    found = {row.id: row for row in session.execute(_ACCOUNTS_BY_ID, {"ids": [account, destination]})}
    if account not in found or destination not in found:
        raise AccountNotFoundError()
    source = found[account]
    escrow = system_account(session, source.community_id, source.ledger, "escrow")
    # Lock before inserting the hold: its foreign keys take KEY SHARE locks on these rows,
    # which deadlock against a concurrent hold's FOR UPDATE on PostgreSQL.
    lock_accounts(session, (account, destination, escrow))
    existing = find_transfer(session, key)  # a replay, or posted concurrently meanwhile
    if existing is not None:
        return _replayed_hold(session, existing, account, amount)
    now = now or utcnow()
    pending = Hold(community_id=source.community_id, ledger=source.ledger, account_id=account,
                   destination_account_id=destination, escrow_account_id=escrow,
                   amount=parse_amount(amount, source.ledger), status="pending",
                   expires_at=expires_at, created_at=now)
    session.add(pending)
    session.flush()
    posted = transfer(session, debit=account, credit=escrow, amount=amount, key=key, kind=kind,
                      reason=reason, actor_id=actor_id, proxy_id=proxy_id, ref_type=ref_type,
                      ref_id=ref_id, hold_id=pending.id, now=now)
    pending.hold_transfer_id = posted.id
    session.connection().execute(_ADD_HELD, {"h_id": account, "h_delta": pending.amount})
    session.flush()
    _expire_cached(session, Account, (account,))
    return pending


def _replayed_hold(session, existing, account, amount):
    same = (existing.hold_id is not None and existing.debit_account_id == account
            and existing.amount == parse_amount(amount, existing.ledger))
    if not same:
        raise IdempotencyConflictError()
    return session.get(Hold, existing.hold_id)


def lock_hold(session, hold_id):
    """Lock the hold row (holds are locked before accounts) and return it fresh."""
    ensure_in_write_transaction(session)
    found = session.get(Hold, hold_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise HoldNotFoundError()
    return found


def post_hold(session, hold_id, *, key, kind="redeem", reason="", actor_id=None,
              proxy_id=None, ref_type=None, ref_id=None, now=None):
    """Send the held points on to the hold's destination, exactly once."""
    return _resolve(session, hold_id, "posted", key=key, kind=kind, reason=reason,
                    actor_id=actor_id, proxy_id=proxy_id, ref_type=ref_type, ref_id=ref_id,
                    now=now)


def void_hold(session, hold_id, *, key, kind="release", reason="", actor_id=None,
              proxy_id=None, ref_type=None, ref_id=None, now=None):
    """Return the held points to their owner, exactly once (cancel or timeout)."""
    return _resolve(session, hold_id, "voided", key=key, kind=kind, reason=reason,
                    actor_id=actor_id, proxy_id=proxy_id, ref_type=ref_type, ref_id=ref_id,
                    now=now)


def _resolve(session, hold_id, outcome, *, key, now, **details):
    pending = lock_hold(session, hold_id)
    if pending.status != "pending":
        first = session.get(Transfer, pending.outcome_transfer_id)
        if pending.status == outcome and first.key == key:
            return pending
        raise HoldResolvedError(status=pending.status)
    target = pending.destination_account_id if outcome == "posted" else pending.account_id
    # The owner's ``held`` changes too: lock it with the others, in ascending order, or a
    # spend from the owner to the destination deadlocks with this post on PostgreSQL.
    lock_accounts(session, (pending.account_id, pending.escrow_account_id, target))
    now = now or utcnow()
    posted = transfer(session, debit=pending.escrow_account_id, credit=target,
                      amount=pending.amount, key=key, hold_id=pending.id, now=now, **details)
    pending.status, pending.outcome_transfer_id, pending.resolved_at = outcome, posted.id, now
    session.connection().execute(_ADD_HELD, {"h_id": pending.account_id,
                                             "h_delta": -pending.amount})
    session.flush()
    _expire_cached(session, Account, (pending.account_id,))
    return pending


def due_holds(session, now, limit=500):
    """Ids of pending holds whose time has run out, oldest first."""
    stmt = (select(Hold.id).where(Hold.status == "pending", Hold.expires_at <= now)
            .order_by(Hold.expires_at, Hold.id).limit(limit))
    return list(session.scalars(stmt))


# Reversals ---------------------------------------------------------------------------

def reverse(session, transfer_id, *, key, reason, actor_id, proxy_id=None, now=None):
    """Post the mirror of a transfer, naming it; at most once per original.

    Refuses reversals of reversals and of hold movements (void or refund those instead),
    a missing reason or staff member, and a reversal that would overdraw.
    """
    rules.ensure_reason_and_actor(reason, actor_id)
    original = session.get(Transfer, transfer_id)
    if original is None or original.reverses_id is not None or original.hold_id is not None:
        raise NotReversibleError()
    lock_accounts(session, (original.debit_account_id, original.credit_account_id))
    earlier = session.scalar(select(Transfer).where(Transfer.reverses_id == original.id))
    if earlier is not None:
        if earlier.key == key:
            return Posted(earlier.id, key, earlier.ledger, earlier.amount,
                          earlier.debit_account_id, earlier.credit_account_id, created=False)
        raise AlreadyReversedError()
    return transfer(session, debit=original.credit_account_id,
                    credit=original.debit_account_id, amount=original.amount, key=key,
                    kind="reverse", reason=reason, actor_id=actor_id, proxy_id=proxy_id,
                    ref_type=original.ref_type, ref_id=original.ref_id,
                    reverses_id=original.id, now=now)
