"""Ledger invariants, checked with set-based SQL: each check is one statement.

Every check takes a Session and returns violations, one string per breach that names the
ledger, account, transfer or hold concerned; an empty list means the invariant holds.
``verify`` runs them all and ``flask ledger verify`` exits non-zero on any.

Each check is a single SELECT that scans a table once or joins tables by key and groups
(``GROUP BY``), so it runs on tens of millions of rows; only violating rows come back to
Python. Being one statement each, a check reads one consistent snapshot even while
transfers are being posted.
"""
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from ledger.accounts import COMMUNITY
from ledger.models import Account, Entry, Hold, Transfer

_ACCOUNT = (Account.id, Account.ledger, Account.owner_type, Account.owner_id, Account.purpose)


def _account_label(row):
    return f"account {row.id} ({row.ledger} {row.owner_type}:{row.owner_id}/{row.purpose})"


def ledgers_sum_to_zero(session):
    """The balances of all accounts of one ledger add up to zero (double entry)."""
    total = func.sum(Account.balance)
    stmt = select(Account.ledger, total.label("total")).group_by(Account.ledger).having(total != 0)
    return [f"ledger {row.ledger}: balances sum to {row.total}, not 0"
            for row in session.execute(stmt)]


def cached_balances_match_entries(session):
    """Every account's cached balance equals the sum of its entries."""
    sums = (select(Entry.account_id, func.sum(Entry.amount).label("total"))
            .group_by(Entry.account_id).subquery())
    total = func.coalesce(sums.c.total, 0)
    stmt = (select(*_ACCOUNT, Account.balance, total.label("total"))
            .outerjoin(sums, sums.c.account_id == Account.id).where(Account.balance != total))
    return [f"{_account_label(row)}: cached balance {row.balance} != sum of entries {row.total}"
            for row in session.execute(stmt)]


def user_balances_not_negative(session):
    """No user account (one that may not go negative) is below zero."""
    stmt = select(*_ACCOUNT, Account.balance).where(~Account.allow_negative, Account.balance < 0)
    return [f"{_account_label(row)}: user balance {row.balance} is below zero"
            for row in session.execute(stmt)]


def _pending_sums(column):
    return (select(column.label("account_id"), func.sum(Hold.amount).label("total"))
            .where(Hold.status == "pending").group_by(column).subquery())


def held_matches_pending_holds(session):
    """Every account's ``held`` equals the sum of its pending holds."""
    sums = _pending_sums(Hold.account_id)
    total = func.coalesce(sums.c.total, 0)
    stmt = (select(*_ACCOUNT, Account.held, total.label("total"))
            .outerjoin(sums, sums.c.account_id == Account.id).where(Account.held != total))
    return [f"{_account_label(row)}: held {row.held} != sum of pending holds {row.total}"
            for row in session.execute(stmt)]


def escrow_matches_pending_holds(session):
    """A community's escrow balance equals the sum of the pending holds it keeps."""
    sums = _pending_sums(Hold.escrow_account_id)
    total = func.coalesce(sums.c.total, 0)
    stmt = (select(*_ACCOUNT, Account.balance, total.label("total"))
            .outerjoin(sums, sums.c.account_id == Account.id)
            .where(Account.owner_type == COMMUNITY, Account.purpose == "escrow",
                   Account.balance != total))
    return [f"{_account_label(row)}: escrow balance {row.balance} != pending holds {row.total}"
            for row in session.execute(stmt)]


def holds_have_at_most_one_outcome(session):
    """A pending hold has only its hold transfer; a resolved one has exactly one more."""
    counts = (select(Transfer.hold_id, func.count().label("n"))
              .where(Transfer.hold_id.is_not(None)).group_by(Transfer.hold_id).subquery())
    found = func.coalesce(counts.c.n, 0)
    expected = case((Hold.status == "pending", 1), else_=2)
    stmt = (select(Hold.id, Hold.status, found.label("found"), expected.label("expected"))
            .outerjoin(counts, counts.c.hold_id == Hold.id).where(found != expected))
    return [f"hold {row.id} ({row.status}): {row.found} transfers name it, expected {row.expected}"
            for row in session.execute(stmt)]


def hold_transfers_match_holds(session):
    """Each hold's transfer moved its amount from its account into its escrow."""
    moved = aliased(Transfer)
    stmt = (select(Hold.id, moved.id.label("transfer_id"))
            .outerjoin(moved, moved.id == Hold.hold_transfer_id)
            .where(or_(moved.id.is_(None), moved.hold_id != Hold.id,
                       moved.debit_account_id != Hold.account_id,
                       moved.credit_account_id != Hold.escrow_account_id,
                       moved.amount != Hold.amount)))
    return [f"hold {row.id}: hold transfer {row.transfer_id} missing or not matching the hold"
            for row in session.execute(stmt)]


def hold_outcomes_match_status(session):
    """Posted holds went to the destination, voided ones back, pending ones nowhere yet."""
    outcome = aliased(Transfer)
    target = case((Hold.status == "posted", Hold.destination_account_id), else_=Hold.account_id)
    resolved_badly = and_(Hold.status != "pending", or_(
        outcome.id.is_(None), outcome.hold_id != Hold.id, outcome.amount != Hold.amount,
        outcome.debit_account_id != Hold.escrow_account_id,
        outcome.credit_account_id != target))
    stmt = (select(Hold.id, Hold.status, outcome.id.label("transfer_id"))
            .outerjoin(outcome, outcome.id == Hold.outcome_transfer_id)
            .where(or_(Hold.status.not_in(("pending", "posted", "voided")),
                       and_(Hold.status == "pending", Hold.outcome_transfer_id.is_not(None)),
                       resolved_badly)))
    return [f"hold {row.id}: status {row.status} inconsistent with outcome transfer "
            f"{row.transfer_id}" for row in session.execute(stmt)]


def transfers_have_two_matching_entries(session):
    """Each transfer has exactly two entries: −amount on the debit, +amount on the credit."""
    def matching(account, amount):
        return func.sum(case((and_(Entry.account_id == account, Entry.amount == amount), 1),
                             else_=0))

    debit_ok = matching(Transfer.debit_account_id, -Transfer.amount)
    credit_ok = matching(Transfer.credit_account_id, Transfer.amount)
    count, total = func.count(Entry.id), func.coalesce(func.sum(Entry.amount), 0)
    stmt = (select(Transfer.id, Transfer.key, count.label("n"), total.label("total"))
            .outerjoin(Entry, Entry.transfer_id == Transfer.id)
            .group_by(Transfer.id, Transfer.key)
            .having(or_(count != 2, total != 0, debit_ok != 1, credit_ok != 1)))
    return [f"transfer {row.id} ({row.key}): {row.n} entries summing to {row.total} do not "
            f"match its amount and accounts" for row in session.execute(stmt)]


def transfers_stay_on_one_ledger(session):
    """Debit and credit accounts are on the transfer's ledger."""
    debit, credit = aliased(Account), aliased(Account)
    stmt = (select(Transfer.id, Transfer.key, Transfer.ledger, debit.ledger.label("debit_ledger"),
                   credit.ledger.label("credit_ledger"))
            .join(debit, debit.id == Transfer.debit_account_id)
            .join(credit, credit.id == Transfer.credit_account_id)
            .where(or_(debit.ledger != credit.ledger, Transfer.ledger != debit.ledger)))
    return [f"transfer {row.id} ({row.key}) on {row.ledger}: debit on {row.debit_ledger}, "
            f"credit on {row.credit_ledger}" for row in session.execute(stmt)]


def reversals_mirror_their_original(session):
    """A reversal names an existing transfer that is no reversal, mirrored, same amount."""
    original = aliased(Transfer)
    stmt = (select(Transfer.id, Transfer.key, Transfer.reverses_id)
            .outerjoin(original, original.id == Transfer.reverses_id)
            .where(Transfer.reverses_id.is_not(None),
                   or_(original.id.is_(None), original.reverses_id.is_not(None),
                       Transfer.debit_account_id != original.credit_account_id,
                       Transfer.credit_account_id != original.debit_account_id,
                       Transfer.amount != original.amount)))
    return [f"transfer {row.id} ({row.key}): not a mirror of a reversible transfer "
            f"{row.reverses_id}" for row in session.execute(stmt)]


CHECKS = (
    ledgers_sum_to_zero,
    cached_balances_match_entries,
    user_balances_not_negative,
    held_matches_pending_holds,
    escrow_matches_pending_holds,
    holds_have_at_most_one_outcome,
    hold_transfers_match_holds,
    hold_outcomes_match_status,
    transfers_have_two_matching_entries,
    transfers_stay_on_one_ledger,
    reversals_mirror_their_original,
)


def verify(session):
    """Every violation of every ledger invariant; an empty list when the ledger is sound."""
    return [violation for check in CHECKS for violation in check(session)]
