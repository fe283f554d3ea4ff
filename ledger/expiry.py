"""Points expiry: points earned in year Y expire at the end of 31 December of Y+1.

Years are calendar years in the community's local time, Asia/Shanghai (UTC+8 all year,
no daylight saving since 1991): a point earned at 23:30 on 31 Dec 2024 in Shanghai
(15:30 UTC) is a 2024 point and is valid through 31 Dec 2025. ``as_of`` is a local date.

Spending uses the oldest points first (FIFO). Per user account and local year:

- earned: credits of kind earn, grant or coupon, less reversals of them (counted in the
  year of the original credit);
- outflow: every other debit (spends, holds, gifts), less credits that give points back
  (release of a hold, refund, reversal of a debit);
- expired: expiry debits, less reversals of them.

At the deadline of year Y the amount expiring is
``earned(≤ Y) − outflow(before the deadline) − already expired``, at least zero and at
most the balance. Each expiry is one transfer to the community's "expired" account under
the key ``expire:{account_id}:{Y}``: running the job again changes nothing.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import aliased

from ledger.accounts import COMMUNITY, system_account
from ledger.amounts import POINTS, ZERO
from ledger.locking import lock_accounts, write_transaction
from ledger.models import Account, Entry, Transfer
from ledger.posting import transfer

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
UTC_OFFSET_HOURS = 8  # Asia/Shanghai, for SQLite, which has no time zone database
EXPIRABLE_KINDS = ("earn", "grant", "coupon")
RETURN_KINDS = ("release", "refund")
EXPIRE_KIND = "expire"


class Expiring(NamedTuple):
    """Points of one account that expire at the end of ``deadline`` (a local date)."""

    account_id: int
    owner_type: str
    owner_id: int
    amount: Decimal
    deadline: date


@dataclass
class Figures:
    """One account's history, summed by local year (see the module docstring)."""

    earned: dict = field(default_factory=dict)
    outflow: dict = field(default_factory=dict)
    expired: Decimal = ZERO

    def add(self, category, year, total):
        if category == "earned":
            self.earned[year] = self.earned.get(year, ZERO) + total
        elif category in ("outflow", "returned"):
            self.outflow[year] = self.outflow.get(year, ZERO) - total
        else:  # "expired" (a debit, negative) or "unexpired" (a credit)
            self.expired -= total

    def earned_through(self, year):
        return sum((v for y, v in self.earned.items() if y <= year), ZERO)

    def outflow_through(self, year):
        return sum((v for y, v in self.outflow.items() if y <= year), ZERO)


def deadline_of(year):
    """The last local day on which points earned in ``year`` are valid."""
    return date(year + 1, 12, 31)


def last_expired_year(as_of):
    """The latest earning year whose points have expired by the local date ``as_of``."""
    return as_of.year - 2


def local_date(moment):
    """A local calendar date from a date, or from an aware datetime."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC or a date")
        return moment.astimezone(LOCAL_ZONE).date()
    return moment


def expiry_plan(figures, *, balance, last_year, done=frozenset()):
    """``[(year, amount)]`` expiring for each earning year up to ``last_year``, oldest first.

    Years in ``done`` were expired before and are skipped. Each amount is at least one
    point and no more than what is left of ``balance``.
    """
    if not figures.earned:
        return []
    plan, expired, left = [], figures.expired, balance
    for year in range(min(figures.earned), last_year + 1):
        if year in done:
            continue
        due = figures.earned_through(year) - figures.outflow_through(year + 1) - expired
        amount = min(left, max(ZERO, due))
        if amount > ZERO:
            plan.append((year, amount))
            expired, left = expired + amount, left - amount
    return plan


# Reading the figures: one grouped query per community (or per account, under its lock).

def _local_year(column, dialect):
    if dialect == "postgresql":
        return cast(extract("year", func.timezone(LOCAL_ZONE.key, column)), Integer)
    return cast(func.strftime("%Y", column, f"+{UTC_OFFSET_HOURS} hours"), Integer)


def _category(original):
    credit = Entry.amount > 0
    return case(
        (and_(credit, Transfer.reverses_id.is_(None), Transfer.kind.in_(EXPIRABLE_KINDS)),
         "earned"),
        (and_(~credit, original.kind.in_(EXPIRABLE_KINDS)), "unearned"),
        (and_(~credit, Transfer.reverses_id.is_(None), Transfer.kind == EXPIRE_KIND), "expired"),
        (and_(credit, original.kind == EXPIRE_KIND), "unexpired"),
        (~credit, "outflow"),
        (or_(Transfer.kind.in_(RETURN_KINDS), original.debit_account_id == Entry.account_id),
         "returned"),
        else_="other")


def _figures_query(dialect, community_id, account_id=None):
    original = aliased(Transfer)
    rows = (select(Entry.account_id, _category(original).label("category"),
                   _local_year(Transfer.created_at, dialect).label("year"),
                   _local_year(original.created_at, dialect).label("original_year"),
                   Entry.amount)
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .outerjoin(original, original.id == Transfer.reverses_id)
            .join(Account, Account.id == Entry.account_id)
            .where(*_user_points_accounts(community_id)))
    if account_id is not None:
        rows = rows.where(Entry.account_id == account_id)
    rows = rows.subquery()
    return (select(rows.c.account_id, rows.c.category, rows.c.year, rows.c.original_year,
                   func.sum(rows.c.amount).label("total"))
            .where(rows.c.category != "other")
            .group_by(rows.c.account_id, rows.c.category, rows.c.year, rows.c.original_year))


def _user_points_accounts(community_id):
    return (Account.community_id == community_id, Account.ledger == POINTS,
            ~Account.allow_negative, Account.owner_type != COMMUNITY)


def read_figures(session, community_id, account_id=None):
    """``{account_id: Figures}`` for the community's user points accounts."""
    dialect = session.get_bind().dialect.name
    figures = {}
    for row in session.execute(_figures_query(dialect, community_id, account_id)):
        year = row.original_year if row.category == "unearned" else row.year
        category = "earned" if row.category == "unearned" else row.category
        figures.setdefault(row.account_id, Figures()).add(category, year, row.total)
    return figures


def read_done_years(session, community_id, account_id=None):
    """``{account_id: {years}}`` already expired, read from the expiry keys."""
    stmt = select(Transfer.debit_account_id, Transfer.key).where(
        Transfer.community_id == community_id, Transfer.kind == EXPIRE_KIND,
        Transfer.reverses_id.is_(None), Transfer.key.startswith("expire:"))
    if account_id is not None:
        stmt = stmt.where(Transfer.debit_account_id == account_id)
    done = {}
    for account, key in session.execute(stmt):
        done.setdefault(account, set()).add(int(key.rsplit(":", 1)[1]))
    return done


def _accounts_with_points(session, community_id):
    stmt = (select(Account.id, Account.owner_type, Account.owner_id, Account.balance)
            .where(*_user_points_accounts(community_id), Account.balance > 0)
            .order_by(Account.id))
    return list(session.execute(stmt))


# The job ---------------------------------------------------------------------------

def expire_points(session, *, community_id, as_of, actor_id=None, now=None):
    """Expire every point of the community that is due by the local date ``as_of``.

    Returns the new expiry transfers (``Posted``). Each account is expired in its own
    write transaction, so an interrupted run can simply be started again; a rerun, or a
    run for an earlier date, moves nothing. Runs outside any transaction of the caller.
    """
    last_year = last_expired_year(local_date(as_of))
    figures = read_figures(session, community_id)
    done = read_done_years(session, community_id)
    due = [account.id for account in _accounts_with_points(session, community_id)
           if expiry_plan(figures.get(account.id, Figures()), balance=account.balance,
                          last_year=last_year, done=done.get(account.id, ()))]
    session.rollback()  # end the read; each account gets a fresh write transaction
    posted = []
    for account_id in due:
        posted += _expire_account(session, community_id, account_id, last_year=last_year,
                                  actor_id=actor_id, now=now)
    return posted


def _expire_account(session, community_id, account_id, *, last_year, actor_id, now):
    """Recompute the account's plan under its lock, then post it."""
    with write_transaction(session):
        sink = system_account(session, community_id, POINTS, "expired")
        balance = lock_accounts(session, (account_id, sink))[account_id].balance
        figures = read_figures(session, community_id, account_id).get(account_id, Figures())
        done = read_done_years(session, community_id, account_id).get(account_id, ())
        plan = expiry_plan(figures, balance=balance, last_year=last_year, done=done)
        return [transfer(session, debit=account_id, credit=sink, amount=amount,
                         key=f"expire:{account_id}:{year}", kind=EXPIRE_KIND,
                         reason=f"{year} 年获得的积分已于 {deadline_of(year)} 到期",
                         actor_id=actor_id, now=now)
                for year, amount in plan]


def expiring_soon(session, *, community_id, as_of, days=30):
    """Accounts whose points expire within ``days`` of the local date ``as_of`` (inclusive).

    Assumes nothing else happens meanwhile; earlier years still due are counted as
    expired first, as the job would do. Sorted by account id, then deadline.
    """
    start = local_date(as_of)
    window = [year for year in range(start.year - 1, (start + timedelta(days=days)).year)
              if start <= deadline_of(year) <= start + timedelta(days=days)]
    if not window:
        return []
    figures = read_figures(session, community_id)
    done = read_done_years(session, community_id)
    soon = []
    for account in _accounts_with_points(session, community_id):
        plan = expiry_plan(figures.get(account.id, Figures()), balance=account.balance,
                           last_year=max(window), done=done.get(account.id, ()))
        soon += [Expiring(account.id, account.owner_type, account.owner_id, amount,
                          deadline_of(year)) for year, amount in plan if year in window]
    return soon
