"""Levels (per community), and the cached standing of each person that the home page,
the badge page and the leaderboards read: recomputed from ``Credit`` rows after every
credit or reversal, and nightly, so they can always be rebuilt from the ledger's facts.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped


class Level(CommunityScoped, Base):
    """One step of the community's ladder: reached at ``threshold`` lifetime earned points.
    A community without rows uses ``rules.DEFAULT_LEVELS``."""

    __tablename__ = "levels"
    __table_args__ = (UniqueConstraint("community_id", "threshold", name="level_threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[Decimal] = mapped_column(Amount)


class Standing(CommunityScoped, Base):
    """A person's game figures, cached. ``points`` is lifetime earned (credits not reversed);
    ``expired`` is what expiry took from their wallet, which the all-time board subtracts
    (``score``); ``grid_id`` is their household's grid when last refreshed."""

    __tablename__ = "standings"
    __table_args__ = (
        Index("ix_standings_board", "community_id", "score"),
        Index("ix_standings_grid_board", "grid_id", "score"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    points: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    expired: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    score: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    credits: Mapped[int] = mapped_column(default=0)
    hours: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    current_streak: Mapped[int] = mapped_column(default=0)
    best_streak: Mapped[int] = mapped_column(default=0)
    last_month: Mapped[str | None] = mapped_column(String(7))  # latest month with work
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the figures last changed


class MonthlyTally(CommunityScoped, Base):
    """Points a person earned for work done in one local month (credits not reversed)."""

    __tablename__ = "monthly_tallies"
    __table_args__ = (
        UniqueConstraint("user_id", "month", name="tally_once"),
        Index("ix_tallies_board", "community_id", "month", "points"),
        Index("ix_tallies_grid_board", "grid_id", "month", "points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    month: Mapped[str] = mapped_column(String(7))
    points: Mapped[Decimal] = mapped_column(Amount)
    credits: Mapped[int] = mapped_column()


class BadgeAward(CommunityScoped, Base):
    """A badge a person earned, once, and what earned it: the credit that crossed the
    rule's line (``credit_id``) or the month that did (streaks, 清洁户). A reversal that
    takes the person below the rule sets ``revoked_at``; earning it again clears it with a
    new date (still one row)."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("user_id", "badge", name="badge_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    badge: Mapped[str] = mapped_column(String(32))
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("credits.id"))
    month: Mapped[str | None] = mapped_column(String(7))
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
