"""Activity types (the rules of what work earns) and credits (what was earned)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped

PER_PARTICIPATION = "participation"
PER_HOUR = "hour"

# Categories, for the specialist badges of #6 and the reports; names are the community's.
CATEGORIES = ("environment", "greening", "mediation", "elderly", "civility", "hazard", "other")


class ActivityType(CommunityScoped, Base):
    """A kind of volunteer work and its rule: points per participation or per hour, caps
    per person per day and per month (empty: none), whether a claim needs a photo (and a
    place: 微街长 hazard reports), and the award above which a second approver is needed.

    Editing a type changes future credits only: each ``Credit`` keeps the rate it used.
    """

    __tablename__ = "activity_types"
    __table_args__ = (
        UniqueConstraint("community_id", "name", name="activity_type_name"),
        CheckConstraint("unit IN ('participation', 'hour')", name="known_unit"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(16), default="other")
    unit: Mapped[str] = mapped_column(String(16), default=PER_PARTICIPATION)
    points: Mapped[Decimal] = mapped_column(Amount)
    daily_cap: Mapped[Decimal | None] = mapped_column(Amount)
    monthly_cap: Mapped[Decimal | None] = mapped_column(Amount)
    photo_required: Mapped[bool] = mapped_column(default=False)
    location_required: Mapped[bool] = mapped_column(default=False)
    second_approval_above: Mapped[Decimal | None] = mapped_column(Amount)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()


class Credit(CommunityScoped, Base):
    """Points earned by one person for one piece of work, exactly once.

    ``source`` and ``source_id`` name the work (``activity``/activity id, ``claim``/claim
    id, ``task``/work order id); with ``user_id`` they are unique. ``work_day`` is the
    local (Asia/Shanghai) day the work was done, which the day and month caps count.
    ``rate`` and ``unit`` are the type's rule at the time of crediting.
    """

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("source", "source_id", "user_id", name="credit_once"),
        Index("ix_credits_user_type_day", "user_id", "type_id", "work_day"),
        CheckConstraint("points > 0", name="credit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    source: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[int] = mapped_column()
    work_day: Mapped[date] = mapped_column()
    hours: Mapped[Decimal | None] = mapped_column(Amount)
    rate: Mapped[Decimal] = mapped_column(Amount)
    unit: Mapped[str] = mapped_column(String(16))
    points: Mapped[Decimal] = mapped_column(Amount)
    # What the rule gave before the caps cut it (equal to points when no cap applied).
    points_before_cap: Mapped[Decimal] = mapped_column(Amount)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A credit taken back by staff: the reversing transfer, who and when. Reversed credits
    # count for nothing in levels, badges, streaks and leaderboards, nor against the caps.
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reversed_at: Mapped[datetime | None] = mapped_column()
    reversal_reason: Mapped[str | None] = mapped_column(String(200))

    activity_type: Mapped[ActivityType] = relationship()

    @property
    def reversed(self):
        return self.reversed_at is not None
