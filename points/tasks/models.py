"""Requests (群众点单), the tasks staff make of them (组织建单), volunteers' places on a
task (志愿者接单), the progress every party sees, and the messages on a task.

A request is one resident's need; staff publish it as at most one task, merge it into
another request, or decline it. A task has ``volunteers_needed`` places; each volunteer
holds one ``TaskAssignment`` row (unique per task and person, reused when they claim
again after releasing). ``Task.claimed_count`` is the number of active places, kept
under the task's row lock and bounded by a CHECK, so no race can overfill a task.
Every change is a ``TaskEvent`` on the request: the requester's timeline.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.auth.models import User
from points.communities.models import Grid
from points.earning.models import ActivityType, Credit
from points.tenancy import CommunityScoped

# Request categories (the Dali platform's usual needs).
CATEGORIES = ("escort", "meals", "errands", "repair", "environment", "dispute", "other")

# Request statuses: waiting for review, made a task, declined, merged into another.
RECEIVED, PUBLISHED, DECLINED, MERGED = "received", "published", "declined", "merged"
REQUEST_STATUSES = (RECEIVED, PUBLISHED, DECLINED, MERGED)

# Task statuses. ``open``: places left, nobody started; ``claimed``: every place taken,
# nobody started; ``in_progress``: someone started (places may be left); ``done``: every
# active volunteer marked it done, waiting for the requester; ``disputed``: the
# requester disagrees, staff decide; ``closed``: finished (credited or not);
# ``cancelled``: staff stopped it.
OPEN, CLAIMED, IN_PROGRESS, DONE = "open", "claimed", "in_progress", "done"
DISPUTED, CLOSED, CANCELLED = "disputed", "closed", "cancelled"
TASK_STATUSES = (OPEN, CLAIMED, IN_PROGRESS, DONE, DISPUTED, CLOSED, CANCELLED)

# A volunteer's place: taken, under way, done; or given up (``released``) or taken away
# by staff (``removed``).
TAKEN, STARTED, FINISHED, RELEASED, REMOVED = "claimed", "started", "done", "released", "removed"
ASSIGNMENT_STATUSES = (TAKEN, STARTED, FINISHED, RELEASED, REMOVED)
ACTIVE_ASSIGNMENTS = (TAKEN, STARTED, FINISHED)

EVENT_KINDS = ("received", "routed", "published", "declined", "merged", "claimed", "released",
               "reassigned", "started", "done", "confirmed", "disputed", "decided", "closed",
               "cancelled")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class ServiceRequest(CommunityScoped, Base):
    """A resident's need. ``requester`` is whose need it is; ``filed_by`` who typed it
    (the requester, their 亲情代理 proxy, or staff taking a phone call). ``grid_id`` is
    the requester's grid at filing, or the one staff routed it to. ``reviewed_at`` is
    when staff published, merged or declined it: ``reviewed_at - created_at`` is the
    time to publish that the community promises (``rules.promise_minutes``)."""

    __tablename__ = "service_requests"
    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="request_status"),
        CheckConstraint(_in("category", CATEGORIES), name="request_category"),
        CheckConstraint("status <> 'merged' OR merged_into_id IS NOT NULL", name="merged_has_target"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_self"),
        CheckConstraint("status <> 'declined' OR decline_reason <> ''", name="declined_has_reason"),
        Index("ix_service_requests_community_status_created", "community_id", "status",
              "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(120), default="")
    preferred_time: Mapped[str] = mapped_column(String(60), default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default=RECEIVED)
    decline_reason: Mapped[str] = mapped_column(String(200), default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    grid: Mapped[Grid | None] = relationship()
    merged_into: Mapped["ServiceRequest | None"] = relationship(remote_side=[id])
    task: Mapped["Task | None"] = relationship(back_populates="request", uselist=False)
    photos: Mapped[list["RequestPhoto"]] = relationship(order_by="RequestPhoto.position")
    events: Mapped[list["TaskEvent"]] = relationship(order_by="TaskEvent.id",
                                                     back_populates="request")


class RequestPhoto(CommunityScoped, Base):
    """A photo of a request, stored as claim photos are (``points.claims.photos``):
    re-encoded, without EXIF, private under the instance folder."""

    __tablename__ = "request_photos"
    __table_args__ = (UniqueConstraint("request_id", "position", name="request_photo_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    position: Mapped[int] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    pixel_hash: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()


class Task(CommunityScoped, Base):
    """A published request: what volunteers claim. ``points`` are offered to each
    volunteer and credited under ``type_id``'s caps when the requester (or staff for
    them, or staff deciding a dispute) confirms; ``deadline`` is when it should be done
    (past it, unfinished tasks are flagged to staff)."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="task_status"),
        CheckConstraint("points > 0", name="task_points_positive"),
        CheckConstraint("volunteers_needed BETWEEN 1 AND 20", name="volunteers_needed_range"),
        CheckConstraint("claimed_count >= 0 AND claimed_count <= volunteers_needed",
                        name="claimed_within_needed"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_tasks_community_status_deadline", "community_id", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), unique=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    title: Mapped[str] = mapped_column(String(60))
    points: Mapped[Decimal] = mapped_column(Amount)
    volunteers_needed: Mapped[int] = mapped_column(default=1)
    claimed_count: Mapped[int] = mapped_column(default=0)
    deadline: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    published_at: Mapped[datetime] = mapped_column()
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_claimed_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The Idempotency-Key of the confirmation (API): the same key again returns the task.
    confirm_key: Mapped[str | None] = mapped_column(String(80))
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str] = mapped_column(String(200), default="")
    dispute_reason: Mapped[str] = mapped_column(String(200), default="")
    disputed_at: Mapped[datetime | None] = mapped_column()
    # Staff's decision on a dispute: credited (True) or not (False), and why.
    dispute_credited: Mapped[bool | None] = mapped_column()
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    request: Mapped[ServiceRequest] = relationship(back_populates="task")
    activity_type: Mapped[ActivityType] = relationship()
    grid: Mapped[Grid | None] = relationship()
    assignments: Mapped[list["TaskAssignment"]] = relationship(order_by="TaskAssignment.id",
                                                               back_populates="task")
    messages: Mapped[list["TaskMessage"]] = relationship(order_by="TaskMessage.id")

    @property
    def active_assignments(self):
        return [a for a in self.assignments if a.status in ACTIVE_ASSIGNMENTS]

    @property
    def places_left(self):
        return max(self.volunteers_needed - self.claimed_count, 0)


class TaskAssignment(CommunityScoped, Base):
    """One volunteer's place on a task, with the times of each step and, once the task
    is confirmed, the credit made (``points_awarded``: what the caps let through, 0 when
    they let nothing through; ``credit_id`` empty then)."""

    __tablename__ = "task_assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "volunteer_id", name="assignment_once"),
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="assignment_status"),
        CheckConstraint("points_awarded IS NULL OR points_awarded >= 0", name="awarded_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=TAKEN)
    claimed_at: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()  # released or removed
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("credits.id"), unique=True)
    points_awarded: Mapped[Decimal | None] = mapped_column(Amount)

    task: Mapped[Task] = relationship(back_populates="assignments")
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    credit: Mapped[Credit | None] = relationship()


class TaskEvent(CommunityScoped, Base):
    """One step of a request's progress, as its requester sees it: who (``actor``),
    which volunteer it concerns, and a note (a reason, a rating comment)."""

    __tablename__ = "task_events"
    __table_args__ = (CheckConstraint(_in("kind", EVENT_KINDS), name="task_event_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column()

    request: Mapped[ServiceRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])


class TaskMessage(CommunityScoped, Base):
    """A short message on a task between the requester's side and its volunteers."""

    __tablename__ = "task_messages"
    __table_args__ = (CheckConstraint("body <> ''", name="message_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column()

    author: Mapped[User] = relationship()
