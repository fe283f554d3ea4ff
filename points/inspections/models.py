"""Inspections (one per grid per month) and each household's scores."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.communities.models import Grid
from points.households.models import Household
from points.tenancy import CommunityScoped


class InspectionPolicy(CommunityScoped, Base):
    """A community's pass rule and award, when it is not the programme's default (see
    ``rules.DEFAULT_POLICY``): each item at least ``item_min``, the three together at
    least ``total_min``, and ``points`` to the household for a pass."""

    __tablename__ = "inspection_policies"
    __table_args__ = (
        UniqueConstraint("community_id", name="one_policy"),
        CheckConstraint("item_min BETWEEN 0 AND 10 AND total_min BETWEEN 0 AND 30",
                        name="thresholds_in_range"),
        CheckConstraint("points > 0", name="award_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_min: Mapped[int] = mapped_column()
    total_min: Mapped[int] = mapped_column()
    points: Mapped[Decimal] = mapped_column(Amount)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Inspection(CommunityScoped, Base):
    """A grid's inspection for a month (``YYYY-MM``, local calendar)."""

    __tablename__ = "inspections"
    __table_args__ = (UniqueConstraint("grid_id", "month", name="inspection_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    month: Mapped[str] = mapped_column(String(7))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grid: Mapped[Grid] = relationship()


class InspectionScore(CommunityScoped, Base):
    """A household's scores for a month: 个人卫生, 家庭环境, 公共卫生 (0–10 each). A pass
    credits ``points`` to the household account (``transfer_id``) and makes it that
    month's 清洁户. A correction (with reason) reverses that credit and credits anew."""

    __tablename__ = "inspection_scores"
    __table_args__ = (
        UniqueConstraint("household_id", "month", name="household_month_once"),
        CheckConstraint("personal BETWEEN 0 AND 10 AND home BETWEEN 0 AND 10 "
                        "AND public BETWEEN 0 AND 10", name="scores_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    month: Mapped[str] = mapped_column(String(7))
    personal: Mapped[int] = mapped_column()
    home: Mapped[int] = mapped_column()
    public: Mapped[int] = mapped_column()
    passed: Mapped[bool] = mapped_column()
    points: Mapped[Decimal | None] = mapped_column(Amount)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime] = mapped_column()
    revision: Mapped[int] = mapped_column(default=1)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime | None] = mapped_column()
    correction_reason: Mapped[str] = mapped_column(String(200), default="")

    household: Mapped[Household] = relationship()
    inspection: Mapped[Inspection] = relationship()

    @property
    def total(self):
        return self.personal + self.home + self.public
