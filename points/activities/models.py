"""Activities, sign-ups, check-ins and each person's member code."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.auth.models import User
from points.earning.models import ActivityType
from points.tenancy import CommunityScoped

DRAFT, PUBLISHED, CANCELLED, CONFIRMED = "draft", "published", "cancelled", "confirmed"
SIGNED_UP, WAITLISTED, WITHDRAWN = "signed_up", "waitlisted", "cancelled"


class Activity(CommunityScoped, Base):
    """A volunteer event. ``points`` is per participation or per hour, as the type counts;
    ``hours`` is what attendance earns under a per-hour type unless staff correct it.
    Status: draft → published → confirmed (attendance credited), or cancelled."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'cancelled', 'confirmed')",
                        name="activity_status"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("checkin_closes_at > checkin_opens_at", name="checkin_window"),
        Index("ix_activities_community_starts", "community_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    checkin_opens_at: Mapped[datetime] = mapped_column()
    checkin_closes_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column()
    points: Mapped[Decimal] = mapped_column(Amount)
    hours: Mapped[Decimal | None] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    # Signs the 30-second rotating check-in codes; never shown.
    rotation_secret: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activity_type: Mapped[ActivityType] = relationship()


class SignUp(CommunityScoped, Base):
    """One person's place on an activity: signed up, waitlisted (ordered by ``queue_no``)
    or cancelled. Signing up again reuses the row and takes a new, last ``queue_no``.

    ``queue_no`` is handed out under the activity's row lock (the activity's highest plus
    one), so the order is the order in which sign-ups got the lock, not the order of the
    clocks of the requests, and a place told to someone never moves back."""

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="signup_once"),
        UniqueConstraint("activity_id", "queue_no", name="signup_queue_no"),
        CheckConstraint("status IN ('signed_up', 'waitlisted', 'cancelled')", name="signup_status"),
        Index("ix_signups_activity_status", "activity_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))
    queue_no: Mapped[int] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column()
    promoted_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    activity: Mapped[Activity] = relationship()


class CheckIn(CommunityScoped, Base):
    """A person checked in at an activity, once: by staff scanning or typing their member
    code (``member``), by the person scanning the activity's rotating QR (``rotating``),
    or by staff marking them present while confirming attendance (``staff``)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="checkin_once"),
        CheckConstraint("method IN ('member', 'rotating', 'staff')", name="checkin_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class MemberCard(CommunityScoped, Base):
    """A person's member code (``points.codes``: 8 characters and a check), shown as a QR
    on their phone and printed on a card for those without one. Reissuing replaces it
    (a lost card stops working)."""

    __tablename__ = "member_cards"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
