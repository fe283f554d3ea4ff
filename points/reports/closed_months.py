"""Closed months' figures, stored: a community's (or a grid's) issued, redeemed and expired
points of one local month and the households reached in it, kept once the month has
closed, so that the dashboard's twelve-month series and its "households reached this
year" read the open month's transfers only, not a year of them (bench/README.md: the
staff dashboard grew ×4.6 from 1 % to 100 % of the county before this table).

A month is closed a day after it ends (``CLOSED_AFTER``): transfers are dated when they
are posted, so no transfer can join a month after that (one in flight at midnight
commits within seconds). ``figures.summary`` computes a missing closed month from the
ledger the first time a page needs it and stores it; a stored row never changes.
``figures.check_closed_months`` recomputes every stored row from the ledger and lists
the ones that differ (``flask --app wsgi reports check-months``; the tests run it). A
grid's row counts the households and residents that lived in the grid when it was
computed, so after a household moves grid its old grid's rows differ from a
recomputation: the check lists those apart, as moves, not as faults.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, String, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ledger.amounts import Amount
from ledger.models import Base, BigId, utcnow
from points import months
from points.tenancy import ALL_COMMUNITIES as ALL
from points.tenancy import CommunityScoped

CLOSED_AFTER = timedelta(days=1)
WHOLE = 0  # grid_id of a whole community's row


class MonthFlows(CommunityScoped, Base):
    """The figures of a closed local ``month`` (YYYY-MM) of a community (``grid_id`` 0) or
    of one of its grids: issued, redeemed and expired points as ``figures`` counts them,
    and the ids of the households reached (issued points) in it."""

    __tablename__ = "report_month_flows"
    __table_args__ = (UniqueConstraint("community_id", "grid_id", "month", name="uq_report_month_flows"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    grid_id: Mapped[int] = mapped_column(default=WHOLE)
    month: Mapped[str] = mapped_column(String(7))
    issued: Mapped[Decimal] = mapped_column(Amount)
    redeemed: Mapped[Decimal] = mapped_column(Amount)
    expired: Mapped[Decimal] = mapped_column(Amount)
    homes: Mapped[list] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Month:
    """One month's figures, stored or just computed."""

    issued: Decimal
    redeemed: Decimal
    expired: Decimal
    homes: frozenset


def is_closed(first_day, wall_clock):
    """Whether the local month starting ``first_day`` is closed at the real time
    ``wall_clock`` (not a report's chosen ``now``: closing is about what can still be posted)."""
    return months.moments_of(first_day)[1] + CLOSED_AFTER <= wall_clock


def stored(session, *, community_id, grid_id, labels):
    """``{month: Month}`` of the stored rows among ``labels``."""
    rows = session.execute(select(MonthFlows).where(
        MonthFlows.community_id == community_id, MonthFlows.grid_id == (grid_id or WHOLE),
        MonthFlows.month.in_(labels)), execution_options=ALL).scalars()
    return {row.month: month_of(row) for row in rows}


def month_of(row):
    return Month(row.issued, row.redeemed, row.expired, frozenset(row.homes))


def store(session, *, community_id, grid_id, found, now):
    """Insert ``{month: Month}`` rows; a row another request stored first is kept (the
    same figures, computed from the same closed month)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(MonthFlows).values([
        dict(community_id=community_id, grid_id=grid_id or WHOLE, month=month, issued=figures.issued,
             redeemed=figures.redeemed, expired=figures.expired, homes=sorted(figures.homes),
             computed_at=now)
        for month, figures in sorted(found.items())]).on_conflict_do_nothing(
        index_elements=["community_id", "grid_id", "month"]))


def every_row(session):
    return session.execute(select(MonthFlows).order_by(MonthFlows.id), execution_options=ALL).scalars().all()


def row_count(session):
    return session.scalar(select(func.count(MonthFlows.id)), execution_options=ALL)
