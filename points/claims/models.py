"""Claims, their photos and the approvers' decisions."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.auth.models import User
from points.earning.models import ActivityType, Credit
from points.tenancy import CommunityScoped

PENDING, SECOND_REVIEW, APPROVED, REJECTED = "pending", "second_review", "approved", "rejected"


class Claim(CommunityScoped, Base):
    """Work a person did alone, waiting for staff. ``points_asked`` is what the type's rule
    gave at filing; ``points`` what was finally credited. ``second_review``: approved once,
    above the type's threshold, waiting for a second, different approver.
    ``decided_at - created_at`` is the response time the programme promises (15 min)."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'second_review', 'approved', 'rejected')",
                        name="claim_status"),
        Index("ix_claims_community_status_created", "community_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the proxy, or the user
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    work_day: Mapped[date] = mapped_column()
    hours: Mapped[Decimal | None] = mapped_column(Amount)
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(120), default="")
    points_asked: Mapped[Decimal] = mapped_column(Amount)
    points: Mapped[Decimal | None] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("credits.id"), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    credit: Mapped[Credit | None] = relationship()
    activity_type: Mapped[ActivityType] = relationship()
    photos: Mapped[list["ClaimPhoto"]] = relationship(
        order_by="ClaimPhoto.position", foreign_keys="ClaimPhoto.claim_id")
    decisions: Mapped[list["ClaimDecision"]] = relationship(order_by="ClaimDecision.id")


class ClaimPhoto(CommunityScoped, Base):
    """A photo as stored: re-encoded, without EXIF (no location). ``pixel_hash`` hashes
    the decoded pixels, so the same picture sent again (even re-saved) is recognised and
    flagged to staff with the claim that used it first (``duplicate_of_claim_id``)."""

    __tablename__ = "claim_photos"
    __table_args__ = (UniqueConstraint("claim_id", "position", name="photo_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    position: Mapped[int] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    pixel_hash: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    duplicate_of_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))


class ClaimDecision(CommunityScoped, Base):
    """One approver's decision: ``approve`` (with the points and, if changed, the reason)
    or ``reject`` (reason required). One decision per approver per claim."""

    __tablename__ = "claim_decisions"
    __table_args__ = (
        UniqueConstraint("claim_id", "approver_id", name="decision_once"),
        CheckConstraint("decision IN ('approve', 'reject')", name="known_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(8))
    points: Mapped[Decimal | None] = mapped_column(Amount)
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column()

    approver: Mapped[User] = relationship()
