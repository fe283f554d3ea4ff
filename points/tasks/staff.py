"""Staff's side of requests and tasks (组织建单): the queue against the community's
promise, filing for a resident on the phone, publishing a request as a task, merging a
duplicate, routing to a grid, declining with a reason; and on tasks: the board (disputes
and overdue ones flagged), reassigning a place, cancelling, confirming for the
requester, deciding a dispute.

Staff and grid workers of the community act, a grid worker only on requests of their own
grids (office staff reach every grid; a request without a grid is the office's). Every
act locks the row it changes first and checks its state after the lock; every act is in
the audit log and the requester's timeline, and tells the people it concerns.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from points.audit import services as audit
from points.auth import roles
from points.auth.models import GridAssignment, User
from points.communities.models import Grid
from points.earning.models import ActivityType
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.residents import rules as resident_rules
from points.tasks import rules
from points.tasks.errors import (GridUnknownError, MergeTargetInvalidError, RequestNotFoundError,
                                 RequesterUnknownError, StepNotAllowedError, TaskNotFoundError,
                                 TaskTypeUnknownError, VolunteerUnknownError)
from points.tasks.models import (CANCELLED, DECLINED, DISPUTED, DONE, FINISHED, MERGED, OPEN,
                                 PUBLISHED, RECEIVED, REMOVED, ServiceRequest, Task,
                                 TaskAssignment)
from points.tasks import closing, services
from points.tasks.services import add_event, request_link, task_link, tell

QUEUE_LIMIT = 200
BOARD_LIMIT = 200
CANDIDATES = 20


def ensure_staff(actor, community):
    """Staff and grid workers of ``community`` (or a district administrator)."""
    if actor.role not in roles.STAFF_ROLES:
        raise ForbiddenError()
    if actor.community_id not in (None, community.id):
        raise NotFoundError()


def _reach(stmt, actor, grid_column):
    if resident_rules.is_office(actor):
        return stmt
    own_grids = select(GridAssignment.grid_id).where(GridAssignment.user_id == actor.id)
    return stmt.where(grid_column.in_(own_grids))


def _record(session, actor, action, obj, before, after, *, now, reason=""):
    """An audit event on ``obj`` (a request or a task) of the actor's act."""
    obj_type = "task" if isinstance(obj, Task) else "service_request"
    audit.record(session, actor=actor, action=action, obj_type=obj_type, obj_id=obj.id,
                 before=before, after=after, reason=reason, community_id=obj.community_id,
                 now=now)


# The queue


@dataclass
class QueueRow:
    request: ServiceRequest
    waiting_minutes: int
    promise_minutes: int

    @property
    def late(self):
        return self.waiting_minutes > self.promise_minutes

    @property
    def minutes_left(self):
        return self.promise_minutes - self.waiting_minutes


def review_queue(session, *, actor, community, now):
    """Requests waiting for review in the actor's reach, the one whose promised time
    runs out first at the top (late ones, then urgent ones), with their waiting times."""
    ensure_staff(actor, community)
    stmt = _reach(select(ServiceRequest).options(selectinload(ServiceRequest.requester),
                                                 selectinload(ServiceRequest.grid),
                                                 selectinload(ServiceRequest.photos))
                  .where(ServiceRequest.community_id == community.id,
                         ServiceRequest.status == RECEIVED), actor, ServiceRequest.grid_id)
    found = session.scalars(stmt.order_by(ServiceRequest.created_at).limit(QUEUE_LIMIT))
    rows = [QueueRow(request, rules.minutes_between(request.created_at, now),
                     rules.promise_minutes(request.urgent)) for request in found]
    return sorted(rows, key=lambda row: (row.minutes_left, row.request.id))


@dataclass
class Review:
    """A request as a reviewer sees it, with what the publish, merge and route forms offer."""

    request: ServiceRequest
    waiting_minutes: int | None
    promise_minutes: int
    types: list
    grids: list
    candidates: list

    @property
    def late(self):
        return self.waiting_minutes is not None and self.waiting_minutes > self.promise_minutes


def request_in_reach(session, *, actor, community, request_id, lock=False):
    """The community's request ``request_id`` if the actor reaches its grid (``lock``:
    FOR UPDATE, re-read); else ``RequestNotFoundError``."""
    ensure_staff(actor, community)
    stmt = select(ServiceRequest).where(ServiceRequest.id == request_id,
                                        ServiceRequest.community_id == community.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    request = session.scalar(stmt)
    if request is None or not resident_rules.reaches_grid(actor, request.grid_id):
        raise RequestNotFoundError()
    return request


def review(session, *, actor, community, request_id, now):
    request = request_in_reach(session, actor=actor, community=community, request_id=request_id)
    waiting = (rules.minutes_between(request.created_at, now) if request.status == RECEIVED
               else None)
    return Review(request=request, waiting_minutes=waiting,
                  promise_minutes=rules.promise_minutes(request.urgent),
                  types=list(session.scalars(select(ActivityType).where(
                      ActivityType.community_id == community.id, ActivityType.active.is_(True))
                      .order_by(ActivityType.id))),
                  grids=list(session.scalars(select(Grid).where(Grid.community_id == community.id)
                                             .order_by(Grid.id))),
                  candidates=merge_candidates(session, request))


def merge_candidates(session, request):
    """Other requests of the community still being handled, same category first."""
    stmt = (select(ServiceRequest).options(selectinload(ServiceRequest.task))
            .where(ServiceRequest.community_id == request.community_id,
                   ServiceRequest.id != request.id,
                   ServiceRequest.status.in_((RECEIVED, PUBLISHED)))
            .order_by((ServiceRequest.category == request.category).desc(),
                      ServiceRequest.id.desc()).limit(CANDIDATES))
    return [kept for kept in session.scalars(stmt) if rules.is_mergeable_into(request, kept)]


# Filing on the phone


def file_for_resident(session, *, actor, community, phone, category, description, place,
                      preferred_time="", urgent=False, photos=(), upload_dir, now):
    """Staff taking a phone call file a request for the resident (or other wallet
    holder) of the community with that phone number, someone without a smartphone; the
    resident is told it was received. ``RequesterUnknownError`` for an unknown number."""
    ensure_staff(actor, community)
    phone = "".join(str(phone or "").split())

    def requester(session):
        person = session.scalar(select(User).where(
            User.phone == phone, User.community_id == community.id,
            User.role.in_(roles.WALLET_ROLES), User.active.is_(True)))
        if person is None:
            raise RequesterUnknownError()
        return person

    return services.store_request(
        session, requester=requester, filed_by=actor, category=category,
        description=description, place=place, preferred_time=preferred_time, urgent=urgent,
        photos=photos, upload_dir=upload_dir, now=now)


# Publishing, declining, merging, routing


def publish_request(session, *, actor, community, request_id, title, type_id, points,
                    volunteers_needed, deadline, now):
    """Make the request a task volunteers can claim: ``points`` offered to each of
    ``volunteers_needed`` volunteers, credited under ``type_id``'s caps, by ``deadline``.

    Raises ``RequestNotFoundError``, ``AlreadyReviewedError`` (409), and the publish
    refusals (title, points, volunteers, deadline, type) of ``points.tasks.errors``.
    """
    ensure_staff(actor, community)
    title = rules.clean_title(title)
    points = rules.parse_points(points)
    needed = rules.parse_volunteers_needed(volunteers_needed)
    rules.ensure_deadline(deadline, now)
    with unit_of_work(session):
        request = request_in_reach(session, actor=actor, community=community,
                                   request_id=request_id, lock=True)
        rules.ensure_received(request)
        activity_type = _active_type(session, community, type_id)
        rules.ensure_points_within_type(activity_type, points)
        task = Task(community_id=community.id, request_id=request.id, grid_id=request.grid_id,
                    type_id=activity_type.id, title=title, points=points,
                    volunteers_needed=needed, claimed_count=0, deadline=deadline,
                    status=OPEN, published_at=now, published_by_id=actor.id)
        session.add(task)
        request.status, request.reviewed_at, request.reviewed_by_id = PUBLISHED, now, actor.id
        session.flush()
        add_event(session, request, "published", task=task, actor=actor, now=now)
        _record(session, actor, "request.publish", request, {"status": RECEIVED},
                {"status": PUBLISHED, "task_id": task.id, "points": points,
                 "volunteers_needed": needed}, now=now)
        tell(session, request.requester, "published", request_link(request), now,
             category=rules.CATEGORY_LABELS[request.category], title=title)
    return task


def _active_type(session, community, type_id):
    activity_type = session.get(ActivityType, type_id) if type_id else None
    if (activity_type is None or activity_type.community_id != community.id
            or not activity_type.active):
        raise TaskTypeUnknownError()
    return activity_type


def decline_request(session, *, actor, community, request_id, reason, now):
    """Decline with a reason the requester reads."""
    ensure_staff(actor, community)
    reason = rules.clean_reason(reason)
    with unit_of_work(session):
        request = request_in_reach(session, actor=actor, community=community,
                                   request_id=request_id, lock=True)
        rules.ensure_received(request)
        request.status, request.decline_reason = DECLINED, reason
        request.reviewed_at, request.reviewed_by_id = now, actor.id
        add_event(session, request, "declined", actor=actor, note=reason, now=now)
        _record(session, actor, "request.decline", request, {"status": RECEIVED},
                {"status": DECLINED}, now=now, reason=reason)
        tell(session, request.requester, "declined", request_link(request), now,
             category=rules.CATEGORY_LABELS[request.category], reason=reason)
    return request


def merge_request(session, *, actor, community, request_id, into_id, now):
    """Close a duplicate pointing to the request kept (``into_id``); its requester is
    told and follows the kept one. Both rows are locked (in id order)."""
    ensure_staff(actor, community)
    with unit_of_work(session):
        ids = sorted({request_id, into_id or 0})
        locked = {row.id: row for row in session.scalars(
            select(ServiceRequest).where(ServiceRequest.id.in_(ids),
                                         ServiceRequest.community_id == community.id)
            .order_by(ServiceRequest.id).with_for_update()
            .execution_options(populate_existing=True))}
        request = request_in_reach(session, actor=actor, community=community,
                                   request_id=request_id)
        rules.ensure_received(request)
        kept = locked.get(into_id) if into_id != request_id else None
        if not rules.is_mergeable_into(request, kept):
            raise MergeTargetInvalidError()
        request.status, request.merged_into_id = MERGED, kept.id
        request.reviewed_at, request.reviewed_by_id = now, actor.id
        add_event(session, request, "merged", actor=actor, note=f"#{kept.id}", now=now)
        _record(session, actor, "request.merge", request, {"status": RECEIVED},
                {"status": MERGED, "merged_into_id": kept.id}, now=now)
        tell(session, request.requester, "merged", request_link(request), now,
             category=rules.CATEGORY_LABELS[request.category], kept=kept.id)
    return request


def route_request(session, *, actor, community, request_id, grid_id, now):
    """Send a waiting request to a grid (its grid workers see it from then on)."""
    ensure_staff(actor, community)
    with unit_of_work(session):
        request = request_in_reach(session, actor=actor, community=community,
                                   request_id=request_id, lock=True)
        rules.ensure_received(request)
        grid = session.get(Grid, grid_id) if grid_id else None
        if grid is None or grid.community_id != community.id:
            raise GridUnknownError()
        before = request.grid_id
        request.grid_id = grid.id
        add_event(session, request, "routed", actor=actor, note=grid.name, now=now)
        _record(session, actor, "request.route", request, {"grid_id": before},
                {"grid_id": grid.id}, now=now)
    return request


# The task board


@dataclass
class BoardRow:
    task: Task
    overdue: bool

    @property
    def flag(self):
        if self.task.status == DISPUTED:
            return "disputed"
        if self.overdue:
            return "overdue"
        if self.task.status == DONE:
            return "to_confirm"
        return None


FLAG_ORDER = {"disputed": 0, "overdue": 1, "to_confirm": 2, None: 3}


def task_board(session, *, actor, community, now):
    """Unfinished tasks in reach: disputes first, then overdue ones, then those waiting
    for the requester's confirmation, then the rest by deadline."""
    ensure_staff(actor, community)
    stmt = _reach(select(Task).options(
        selectinload(Task.request).selectinload(ServiceRequest.requester),
        selectinload(Task.assignments).selectinload(TaskAssignment.volunteer),
        selectinload(Task.grid))
        .where(Task.community_id == community.id,
               Task.status.in_((*rules.WORKING, DONE, DISPUTED))), actor, Task.grid_id)
    rows = [BoardRow(task, rules.is_overdue(task, now))
            for task in session.scalars(stmt.order_by(Task.deadline, Task.id).limit(BOARD_LIMIT))]
    return sorted(rows, key=lambda row: (FLAG_ORDER[row.flag], row.task.deadline, row.task.id))


def task_in_reach(session, *, actor, community, task_id, now):
    """A task for a staff member (a ``services.TaskView``), else ``TaskNotFoundError``."""
    ensure_staff(actor, community)
    view = services.task_view(session, viewer=actor, task_id=task_id, now=now)
    if not view.staff or view.task.community_id != community.id:
        raise TaskNotFoundError()
    return view


def _locked_in_reach(session, actor, community, task_id):
    task = services.locked_task(session, task_id, community.id)
    if not resident_rules.reaches_grid(actor, task.grid_id):
        raise TaskNotFoundError()
    return task


# Acting on a task


def reassign_task(session, *, actor, community, task_id, from_volunteer_id=None, to_phone, now):
    """Give a place to the volunteer with phone ``to_phone``: the place of
    ``from_volunteer_id`` (taken away from them), or a free one when None."""
    ensure_staff(actor, community)
    with unit_of_work(session):
        task = _locked_in_reach(session, actor, community, task_id)
        if task.status not in rules.WORKING:
            raise StepNotAllowedError(state=rules.STAGE_LABELS[task.status])
        newcomer = _volunteer_by_phone(session, community, to_phone)
        rules.ensure_not_own(task.request, newcomer)
        removed = _remove(task, from_volunteer_id, now) if from_volunteer_id else None
        place = services.place_of(task, newcomer.id)
        rules.ensure_claimable(task, place)
        if place is None:
            place = TaskAssignment(community_id=task.community_id, volunteer_id=newcomer.id)
            task.assignments.append(place)
        services._take(place, now, assigned_by=actor)
        task.claimed_count += 1
        task.first_claimed_at = task.first_claimed_at or now
        task.status = rules.status_after(task)
        add_event(session, task.request, "reassigned", task=task, actor=actor, volunteer=newcomer,
                  note=removed.volunteer.name if removed else "", now=now)
        _record(session, actor, "task.reassign", task,
                {"volunteer_id": removed.volunteer_id if removed else None},
                {"volunteer_id": newcomer.id}, now=now)
        _tell_reassigned(session, task, newcomer, removed, now)
    return task


def _volunteer_by_phone(session, community, phone):
    person = session.scalar(select(User).where(
        User.phone == "".join(str(phone or "").split()), User.community_id == community.id,
        User.role.in_(roles.WALLET_ROLES), User.active.is_(True)))
    if person is None:
        raise VolunteerUnknownError()
    return person


def _remove(task, volunteer_id, now):
    """Take a place away (not a done one: that volunteer's work is waiting to be confirmed)."""
    place = services.active_place(task, volunteer_id)
    if place is None:
        raise VolunteerUnknownError()
    if place.status == FINISHED:
        raise StepNotAllowedError(state=rules.ASSIGNMENT_LABELS[place.status])
    place.status, place.ended_at = REMOVED, now
    task.claimed_count -= 1
    return place


def _tell_reassigned(session, task, newcomer, removed, now):
    tell(session, newcomer, "assigned", task_link(task), now, title=task.title)
    if removed is not None:
        tell(session, removed.volunteer, "removed", task_link(task), now, title=task.title)
    tell(session, task.request.requester, "reassigned", request_link(task.request), now,
         title=task.title, volunteer=newcomer.name)


def cancel_task(session, *, actor, community, task_id, reason, now):
    """Stop a task still being worked on (a reason is required): no points move; the
    requester and the volunteers holding a place are told."""
    ensure_staff(actor, community)
    reason = rules.clean_reason(reason)
    with unit_of_work(session):
        task = _locked_in_reach(session, actor, community, task_id)
        if task.status not in rules.WORKING:
            raise StepNotAllowedError(state=rules.STAGE_LABELS[task.status])
        before = task.status
        told = [place.volunteer for place in task.active_assignments]
        for place in task.active_assignments:
            place.status, place.ended_at = REMOVED, now
        task.claimed_count, task.status, task.closed_at = 0, CANCELLED, now
        task.cancel_reason = reason
        add_event(session, task.request, "cancelled", task=task, actor=actor, note=reason, now=now)
        _record(session, actor, "task.cancel", task, {"status": before}, {"status": CANCELLED},
                now=now, reason=reason)
        tell(session, task.request.requester, "cancelled", request_link(task.request), now,
             title=task.title, reason=reason)
        for person in told:
            tell(session, person, "cancelled", task_link(task), now, title=task.title,
                 reason=reason)
    return task


def confirm_for(session, *, actor, community, task_id, rating=None, comment="", now):
    """Staff confirm a done task for its requester (who told them on the phone, or
    does not use the app): as ``closing.confirm_request``, recorded as staff's act."""
    ensure_staff(actor, community)
    rating = rules.parse_rating(rating)
    comment = rules.clean_reason(comment, required=False)
    with unit_of_work(session):
        task = _locked_in_reach(session, actor, community, task_id)
        rules.ensure_confirmable(task)
        task.rating, task.rating_comment = rating, comment
        closing.close_with_credits(session, task, confirmer=actor, now=now, note=comment)
        _record(session, actor, "task.confirm_for", task, {"status": DONE},
                {"status": task.status, "rating": rating}, now=now, reason=comment)
    return task


def decide_dispute(session, *, actor, community, task_id, credit, reason, now):
    """Decide a disputed task with a reason everyone reads: ``credit`` True credits the
    volunteers as a confirmation would; False closes it without points."""
    ensure_staff(actor, community)
    reason = rules.clean_reason(reason)
    with unit_of_work(session):
        task = _locked_in_reach(session, actor, community, task_id)
        rules.ensure_disputed(task)
        task.dispute_credited, task.decision_reason = bool(credit), reason
        task.decided_by_id = actor.id
        add_event(session, task.request, "decided", task=task, actor=actor, note=reason, now=now)
        if credit:
            task.confirmed_at, task.confirmed_by_id = now, actor.id
            closing.credit_volunteers(session, task, approved_by=actor, now=now)
        closing.close(session, task, actor=actor, now=now)
        _record(session, actor, "task.decide", task, {"status": DISPUTED},
                {"status": task.status, "credited": bool(credit)}, now=now, reason=reason)
        _tell_decided(session, task, credit, reason, now)
    return task


def _tell_decided(session, task, credit, reason, now):
    what = "decided_credit" if credit else "decided_none"
    tell(session, task.request.requester, what, request_link(task.request), now,
         title=task.title, reason=reason)
    if not credit:  # credited volunteers were told their points by credit_volunteers
        for place in task.active_assignments:
            tell(session, place.volunteer, what, task_link(task), now, title=task.title,
                 reason=reason)
