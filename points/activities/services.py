"""Use cases of activities: staff create, edit, publish and cancel; residents (and shop
staff, who volunteer too) browse, sign up and withdraw, with a waitlist that moves up.

Capacity holds under concurrent sign-ups because every write to an activity's sign-ups
first locks the activity row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the write
transaction is already the database's one writer), then counts. The same lock hands out
``SignUp.queue_no``, so the waitlist order is the order of the lock, unique by constraint.

Every query filters on the community itself; an activity of another community, a draft
seen by a resident, or one out of a grid worker's reach is "not found" (404).

Public and stable for check-in and attendance (``points.activities.checkin*``):
``get_activity(session, community_id, activity_id)`` and ``signups_of(session, activity)``.
"""
import secrets
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ledger.errors import N_
from points.activities import rules
from points.activities.errors import (
    ActivityNotFoundError, AlreadySignedUpError, AlreadyWaitlistedError, ConcurrentSignUpError,
    GridRequiredError, NotAVolunteerError, NotSignedUpError, TypeInactiveError,
)
from points.activities.models import (
    CANCELLED, DRAFT, PUBLISHED, SIGNED_UP, WAITLISTED, WITHDRAWN, Activity, SignUp,
)
from points.audit import services as audit
from points.auth.models import GridAssignment
from points.communities.models import Grid
from points.earning.errors import ActivityTypeNotFoundError
from points.earning.services import get_type, list_types
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.ids import is_id
from points.notifications.services import notify
from points.residents.acting import acting_for
from points.timeutil import local

PAGE_SIZE = 30
UPCOMING, PAST = "upcoming", "past"
# What the audit log keeps of an activity (before and after every staff action).
AUDITED = ("type_id", "title", "description", "place", "starts_at", "ends_at",
           "checkin_opens_at", "checkin_closes_at", "capacity", "points", "hours", "grid_id",
           "status", "published_at", "cancelled_at")
EDITABLE = ("type_id", "title", "description", "place", "starts_at", "ends_at",
            "checkin_opens_at", "checkin_closes_at", "capacity", "points", "hours", "grid_id")

# Notifications are stored as sent, in Chinese (see points.notifications.models).
SIGNED_UP_TITLE = N_("报名成功")
SIGNED_UP_BODY = N_("您已报名“%(title)s”，%(when)s 在 %(place)s，请准时参加。")
WAITLISTED_TITLE = N_("已排上候补")
WAITLISTED_BODY = N_("“%(title)s”名额已满，您排在候补第 %(position)s 位。有人取消时会按顺序自动转正，并通知您。")
PROMOTED_TITLE = N_("候补转正")
PROMOTED_BODY = N_("有人取消了报名，您已从候补转为正式报名“%(title)s”，%(when)s 在 %(place)s，请准时参加。")
CANCELLED_TITLE = N_("活动取消")
CANCELLED_BODY = N_("“%(title)s”（%(when)s）已取消，不用前往了。")
CANCELLED_REASON_BODY = N_("“%(title)s”（%(when)s）已取消，不用前往了。原因：%(reason)s")


@dataclass
class ActivityRow:
    """An activity with its counts: places taken and the waitlist's length."""

    activity: Activity
    signed_up: int = 0
    waitlisted: int = 0

    @property
    def places_left(self):
        return rules.places_left(self.activity.capacity, self.signed_up)


@dataclass
class ActivityPage:
    rows: list[ActivityRow]
    page: int
    has_next: bool
    when: str = UPCOMING


@dataclass
class StaffDetail:
    row: ActivityRow
    signed_up: list[SignUp] = field(default_factory=list)
    waitlist: list[SignUp] = field(default_factory=list)
    manageable: bool = False
    grid: Grid | None = None


@dataclass
class VolunteerRow(ActivityRow):
    """An activity as one person sees it: their own sign-up, and their waitlist place."""

    mine: SignUp | None = None
    position: int | None = None

    @property
    def my_status(self):
        return self.mine.status if self.mine is not None else None


@dataclass
class SignUpResult:
    signup: SignUp
    position: int | None  # place on the waitlist (1 = next in line); None when signed up


@dataclass
class Withdrawal:
    signup: SignUp
    promoted: list[SignUp] = field(default_factory=list)
    position: int | None = None  # a withdrawn sign-up has no place (same shape as SignUpResult)


# --- reading ----------------------------------------------------------------------------

def get_activity(session, community_id, activity_id):
    """The activity ``activity_id`` of ``community_id``, any status; ``ActivityNotFoundError``
    (404) otherwise. Checks no one's reach: callers check who may see it."""
    if not is_id(activity_id):
        raise ActivityNotFoundError()
    activity = session.scalar(select(Activity).where(Activity.id == activity_id,
                                                     Activity.community_id == community_id))
    if activity is None:
        raise ActivityNotFoundError()
    return activity


def signups_of(session, activity):
    """The activity's live sign-ups: signed up first, then the waitlist, each in queue
    order (people loaded). Withdrawn sign-ups are left out."""
    waiting_last = case((SignUp.status == SIGNED_UP, 0), else_=1)
    stmt = (select(SignUp).options(joinedload(SignUp.user))
            .where(SignUp.activity_id == activity.id, SignUp.community_id == activity.community_id,
                   SignUp.status.in_((SIGNED_UP, WAITLISTED)))
            .order_by(waiting_last, SignUp.queue_no))
    return list(session.scalars(stmt))


def counts_of(session, activity_ids):
    """``{activity_id: (signed_up, waitlisted)}`` for the given activities."""
    counts = {activity_id: [0, 0] for activity_id in activity_ids}
    if not counts:
        return {}
    stmt = (select(SignUp.activity_id, SignUp.status, func.count())
            .where(SignUp.activity_id.in_(counts), SignUp.status.in_((SIGNED_UP, WAITLISTED)))
            .group_by(SignUp.activity_id, SignUp.status))
    for activity_id, status, count in session.execute(stmt):
        counts[activity_id][0 if status == SIGNED_UP else 1] = count
    return {activity_id: tuple(pair) for activity_id, pair in counts.items()}


def row_of(session, activity):
    signed, waiting = counts_of(session, [activity.id])[activity.id]
    return ActivityRow(activity, signed, waiting)


def waitlist_position(session, signup):
    """1 for the next in line; None unless ``signup`` is waitlisted."""
    if signup.status != WAITLISTED:
        return None
    return session.scalar(select(func.count()).select_from(SignUp).where(
        SignUp.activity_id == signup.activity_id, SignUp.status == WAITLISTED,
        SignUp.queue_no <= signup.queue_no))


def _lock(session, community_id, activity_id, statuses=None):
    """The activity row, locked for the rest of the transaction (fresh from the database
    even if this session loaded it before)."""
    if not is_id(activity_id):
        raise ActivityNotFoundError()
    stmt = (select(Activity).where(Activity.id == activity_id,
                                   Activity.community_id == community_id)
            .with_for_update().execution_options(populate_existing=True))
    if statuses is not None:
        stmt = stmt.where(Activity.status.in_(statuses))
    activity = session.scalar(stmt)
    if activity is None:
        raise ActivityNotFoundError()
    return activity


# --- staff: reach -------------------------------------------------------------------------

def ensure_organiser(actor, community_id):
    """Office staff and grid workers of ``community_id`` (or a district administrator)."""
    if not rules.may_organise(actor):
        raise ForbiddenError()
    if actor.community_id not in (None, community_id):
        raise NotFoundError()


def activity_in_reach(session, *, actor, community_id, activity_id, lock=False):
    """The activity if the actor reaches it (see ``rules``), else ``ActivityNotFoundError``."""
    ensure_organiser(actor, community_id)
    activity = (_lock(session, community_id, activity_id) if lock
                else get_activity(session, community_id, activity_id))
    if not rules.reaches(actor, activity):
        raise ActivityNotFoundError()
    return activity


def managed_activity(session, *, actor, community_id, activity_id):
    """The activity, locked, if the actor may change it; a grid worker looking at a
    community-wide activity is refused (403: they can see it)."""
    activity = activity_in_reach(session, actor=actor, community_id=community_id,
                                 activity_id=activity_id, lock=True)
    if not rules.manages(actor, activity):
        raise ForbiddenError()
    return activity


def grids_in_reach(session, *, actor, community_id):
    """Grids the actor may put an activity in, by name."""
    stmt = select(Grid).where(Grid.community_id == community_id).order_by(Grid.name)
    if not rules.is_office(actor):
        stmt = stmt.join(GridAssignment, GridAssignment.grid_id == Grid.id).where(
            GridAssignment.user_id == actor.id)
    return list(session.scalars(stmt))


def types_for(session, community_id):
    """The activity types an activity may have (the active ones)."""
    return list_types(session, community_id)


def _reach_filter(stmt, actor):
    if rules.is_office(actor):
        return stmt
    own = select(GridAssignment.grid_id).where(GridAssignment.user_id == actor.id)
    return stmt.where(or_(Activity.grid_id.is_(None), Activity.grid_id.in_(own)))


def _paged(session, stmt, page, page_size=PAGE_SIZE):
    page = max(int(page or 1), 1)
    found = list(session.scalars(stmt.offset((page - 1) * page_size).limit(page_size + 1)))
    return found[:page_size], page, len(found) > page_size


def list_activities(session, *, actor, community_id, now, when=UPCOMING, page=1):
    """One page of the activities in the actor's reach: upcoming (not yet ended, soonest
    first, drafts included) or past (ended, latest first), each with its counts."""
    ensure_organiser(actor, community_id)
    when = PAST if when == PAST else UPCOMING
    stmt = _reach_filter(select(Activity).options(joinedload(Activity.activity_type))
                         .where(Activity.community_id == community_id), actor)
    if when == UPCOMING:
        stmt = stmt.where(Activity.ends_at > now).order_by(Activity.starts_at, Activity.id)
    else:
        stmt = stmt.where(Activity.ends_at <= now).order_by(Activity.starts_at.desc(),
                                                             Activity.id.desc())
    activities, page, has_next = _paged(session, stmt, page)
    counts = counts_of(session, [activity.id for activity in activities])
    rows = [ActivityRow(activity, *counts[activity.id]) for activity in activities]
    return ActivityPage(rows=rows, page=page, has_next=has_next, when=when)


def staff_detail(session, *, actor, community_id, activity_id):
    """The activity, who is signed up and who waits, for staff in reach."""
    activity = activity_in_reach(session, actor=actor, community_id=community_id,
                                 activity_id=activity_id)
    signups = signups_of(session, activity)
    signed = [signup for signup in signups if signup.status == SIGNED_UP]
    waiting = [signup for signup in signups if signup.status == WAITLISTED]
    grid = session.get(Grid, activity.grid_id) if activity.grid_id else None
    return StaffDetail(row=ActivityRow(activity, len(signed), len(waiting)), signed_up=signed,
                       waitlist=waiting, manageable=rules.manages(actor, activity), grid=grid)


# --- staff: writing ---------------------------------------------------------------------

def activity_values(activity):
    """The audit log's picture of an activity."""
    return {name: getattr(activity, name) for name in AUDITED}


def _type_for(session, community_id, type_id):
    if not type_id:
        raise ActivityTypeNotFoundError()
    activity_type = get_type(session, community_id, type_id)
    if not activity_type.active:
        raise TypeInactiveError()
    return activity_type


def _grid_for(session, *, actor, community_id, grid_id):
    """The grid an activity is put in (None: community-wide, office staff only)."""
    if not grid_id:
        if not rules.is_office(actor):
            raise GridRequiredError()
        return None
    grid = session.scalar(select(Grid).where(Grid.id == grid_id, Grid.community_id == community_id))
    if grid is None or not (rules.is_office(actor) or grid.id in rules.own_grid_ids(actor)):
        raise NotFoundError()
    return grid


def prepared_values(session, *, actor, community_id, values):
    """``values`` (from a form or the API) cleaned and checked: the columns to write.

    Empty points take the type's; empty hours (per-hour types) the activity's length;
    an empty check-in window opens 30 minutes before the start and closes at the end.
    """
    activity_type = _type_for(session, community_id, values.get("type_id"))
    grid = _grid_for(session, actor=actor, community_id=community_id,
                     grid_id=values.get("grid_id"))
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    rules.ensure_times(starts_at, ends_at)
    opens_at, closes_at = rules.checkin_window(starts_at, ends_at, values.get("checkin_opens_at"),
                                               values.get("checkin_closes_at"))
    return {
        "type_id": activity_type.id, "grid_id": grid.id if grid else None,
        "title": rules.clean_title(values.get("title")),
        "description": rules.clean_description(values.get("description")),
        "place": rules.clean_place(values.get("place")),
        "starts_at": starts_at, "ends_at": ends_at,
        "checkin_opens_at": opens_at, "checkin_closes_at": closes_at,
        "capacity": rules.clean_capacity(values.get("capacity")),
        "points": rules.activity_points(values.get("points"), activity_type),
        "hours": rules.activity_hours(values.get("hours"), activity_type, starts_at, ends_at),
    }


def create_activity(session, *, actor, community_id, values, now):
    """A new draft activity (``values``: see ``prepared_values``), recorded in the audit
    log. Raises the cleaning errors, ``GridRequiredError`` for a grid worker without a
    grid, and ``NotFoundError`` for a type or grid of another community or out of reach."""
    ensure_organiser(actor, community_id)
    with unit_of_work(session):
        columns = prepared_values(session, actor=actor, community_id=community_id, values=values)
        activity = Activity(community_id=community_id, status=DRAFT, created_by_id=actor.id,
                            created_at=now, rotation_secret=secrets.token_hex(32), **columns)
        session.add(activity)
        session.flush()
        audit.record(session, actor=actor, action="activity.create", obj_type="activity",
                     obj_id=activity.id, after=activity_values(activity),
                     community_id=community_id, now=now)
    return activity


def update_activity(session, *, actor, community_id, activity_id, values, now):
    """Change a draft (every editable field, as on creation); a published or cancelled
    activity is refused (``NotDraftError``): people may have signed up for what it said."""
    ensure_organiser(actor, community_id)
    with unit_of_work(session):
        activity = managed_activity(session, actor=actor, community_id=community_id,
                                    activity_id=activity_id)
        rules.ensure_draft(activity)
        columns = prepared_values(session, actor=actor, community_id=community_id, values=values)
        before = activity_values(activity)
        for name in EDITABLE:
            setattr(activity, name, columns[name])
        session.flush()
        audit.record(session, actor=actor, action="activity.update", obj_type="activity",
                     obj_id=activity.id, before=before, after=activity_values(activity),
                     community_id=community_id, now=now)
    return activity


def publish_activity(session, *, actor, community_id, activity_id, now):
    """Open a draft for sign-ups; refused once its start has passed."""
    ensure_organiser(actor, community_id)
    with unit_of_work(session):
        activity = managed_activity(session, actor=actor, community_id=community_id,
                                    activity_id=activity_id)
        rules.ensure_publishable(activity, now)
        before = activity_values(activity)
        activity.status, activity.published_at = PUBLISHED, now
        session.flush()
        audit.record(session, actor=actor, action="activity.publish", obj_type="activity",
                     obj_id=activity.id, before=before, after=activity_values(activity),
                     community_id=community_id, now=now)
    return activity


def cancel_activity(session, *, actor, community_id, activity_id, reason="", now):
    """Cancel a draft or a published activity and tell everyone signed up or waiting.
    Their sign-ups stay as they were: the record of who had a place."""
    ensure_organiser(actor, community_id)
    reason = rules.clean_reason(reason)
    with unit_of_work(session):
        activity = managed_activity(session, actor=actor, community_id=community_id,
                                    activity_id=activity_id)
        rules.ensure_cancellable(activity)
        before = activity_values(activity)
        activity.status, activity.cancelled_at = CANCELLED, now
        session.flush()
        audit.record(session, actor=actor, action="activity.cancel", obj_type="activity",
                     obj_id=activity.id, before=before, after=activity_values(activity),
                     reason=reason, community_id=community_id, now=now)
        for signup in signups_of(session, activity):
            _tell_cancelled(session, activity, signup.user, reason, now)
    return activity


# --- volunteers -------------------------------------------------------------------------

def _mine(session, person, activity_ids):
    if not activity_ids:
        return {}
    stmt = select(SignUp).where(SignUp.user_id == person.id, SignUp.activity_id.in_(activity_ids),
                                SignUp.status.in_((SIGNED_UP, WAITLISTED)))
    return {signup.activity_id: signup for signup in session.scalars(stmt)}


def _volunteer_rows(session, person, activities):
    ids = [activity.id for activity in activities]
    counts, mine = counts_of(session, ids), _mine(session, person, ids)
    return [VolunteerRow(activity, *counts[activity.id], mine=mine.get(activity.id),
                         position=waitlist_position(session, mine[activity.id])
                         if activity.id in mine else None)
            for activity in activities]


def browse_activities(session, *, person, community_id, now, page=1, page_size=PAGE_SIZE):
    """Published activities of the community that have not ended, soonest first, with the
    person's own status: ``(rows, has_next)``."""
    stmt = (select(Activity).options(joinedload(Activity.activity_type))
            .where(Activity.community_id == community_id, Activity.status == PUBLISHED,
                   Activity.ends_at > now)
            .order_by(Activity.starts_at, Activity.id))
    activities, _page, has_next = _paged(session, stmt, page, page_size)
    return _volunteer_rows(session, person, activities), has_next


def volunteer_view(session, *, person, community_id, activity_id):
    """One activity as a resident sees it (drafts do not exist for them)."""
    activity = get_activity(session, community_id, activity_id)
    if activity.status not in rules.VISIBLE_STATUSES:
        raise ActivityNotFoundError()
    return _volunteer_rows(session, person, [activity])[0]


def event_for(session, *, user, community_id, activity_id, person=None):
    """One activity for the API, with ``person``'s status (default: ``user``'s): staff see
    drafts in their reach, everyone else what residents see."""
    person = person or user
    if not rules.may_organise(user):
        return volunteer_view(session, person=person, community_id=community_id,
                              activity_id=activity_id)
    activity = activity_in_reach(session, actor=user, community_id=community_id,
                                 activity_id=activity_id)
    return event_row(session, person, activity)


def event_row(session, person, activity):
    """``activity`` with its counts and ``person``'s own sign-up."""
    return _volunteer_rows(session, person, [activity])[0]


def _signup_row(session, activity, person):
    return session.scalar(select(SignUp).where(SignUp.activity_id == activity.id,
                                               SignUp.user_id == person.id)
                          .execution_options(populate_existing=True))


def _count(session, activity, status):
    return session.scalar(select(func.count()).select_from(SignUp).where(
        SignUp.activity_id == activity.id, SignUp.status == status))


def _next_queue_no(session, activity):
    return (session.scalar(select(func.max(SignUp.queue_no))
                           .where(SignUp.activity_id == activity.id)) or 0) + 1


def _volunteer(session, acting, community_id):
    """The person in whose name the act is done, checked again inside the transaction
    (a proxy's grant revoked meanwhile refuses the act)."""
    if acting.is_proxy:
        acting = acting_for(session, acting.user, acting.resident.id)
    person = acting.resident
    if not rules.may_volunteer(person):
        raise NotAVolunteerError()
    if person.community_id != community_id:
        raise ActivityNotFoundError()
    return acting, person


def ensure_not_queued(signup):
    if signup is not None and signup.status == SIGNED_UP:
        raise AlreadySignedUpError()
    if signup is not None and signup.status == WAITLISTED:
        raise AlreadyWaitlistedError()


def sign_up(session, *, acting, community_id, activity_id, now):
    """Give ``acting.resident`` a place on a published activity that has not started, or
    a place on its waitlist when it is full (the position is returned and told).

    One sign-up per person: twice is ``AlreadySignedUpError`` (409); a withdrawn sign-up
    may sign up again and goes to the end of the queue. Refuses drafts and other
    communities (404), cancelled activities and sign-ups after the start (422).
    """
    try:
        with unit_of_work(session):
            acting, person = _volunteer(session, acting, community_id)
            activity = _lock(session, community_id, activity_id, rules.VISIBLE_STATUSES)
            rules.ensure_open_for_signups(activity, now)
            signup = _signup_row(session, activity, person)
            ensure_not_queued(signup)
            full = rules.is_full(activity.capacity, _count(session, activity, SIGNED_UP))
            queue_no = _next_queue_no(session, activity)
            if signup is None:
                signup = SignUp(community_id=community_id, activity_id=activity.id,
                                user_id=person.id)
                session.add(signup)
            signup.status, signup.queue_no = WAITLISTED if full else SIGNED_UP, queue_no
            signup.queued_at, signup.proxy_id = now, acting.proxy_id
            signup.promoted_at = signup.cancelled_at = None
            session.flush()
            position = waitlist_position(session, signup)
            _tell_signed_up(session, activity, person, position, now)
    except IntegrityError:
        # The unique (activity, person) and (activity, queue_no) keys; under the activity's
        # lock nothing should reach them, so say what happened rather than guess.
        raise ConcurrentSignUpError() from None
    return SignUpResult(signup=signup, position=position)


def cancel_signup(session, *, acting, community_id, activity_id, now):
    """Give back ``acting.resident``'s place (or waitlist place) before the start. A freed
    place goes at once, in the same transaction, to the first on the waitlist, who is
    told. Refused after the start (``CancelAfterStartError``) and for someone with no
    live sign-up (``NotSignedUpError``, 404)."""
    with unit_of_work(session):
        _acting, person = _volunteer(session, acting, community_id)
        activity = _lock(session, community_id, activity_id, rules.VISIBLE_STATUSES)
        signup = _signup_row(session, activity, person)
        if signup is None or signup.status == WITHDRAWN:
            raise NotSignedUpError()
        rules.ensure_withdrawable(activity, now)
        held_a_place = signup.status == SIGNED_UP
        signup.status, signup.cancelled_at = WITHDRAWN, now
        session.flush()
        promoted = _fill_places(session, activity, now) if held_a_place else []
    return Withdrawal(signup=signup, promoted=promoted)


def _fill_places(session, activity, now):
    """Move the first of the waitlist up into the free places; called under the lock."""
    free = rules.places_left(activity.capacity, _count(session, activity, SIGNED_UP))
    if not free:
        return []
    waiting = list(session.scalars(
        select(SignUp).options(joinedload(SignUp.user))
        .where(SignUp.activity_id == activity.id, SignUp.status == WAITLISTED)
        .order_by(SignUp.queue_no).limit(free)))
    for signup in waiting:
        signup.status, signup.promoted_at = SIGNED_UP, now
        session.flush()
        _tell_promoted(session, activity, signup.user, now)
    return waiting


# --- notifications ------------------------------------------------------------------------

def activity_link(activity):
    return f"/activities/{activity.id}"


def when_text(activity):
    """The start as the programme's notices say it: 12月6日 09:00 (local time)."""
    start = local(activity.starts_at)
    return f"{start.month}月{start.day}日 {start:%H:%M}"


def _tell_signed_up(session, activity, person, position, now):
    params = {"title": activity.title, "when": when_text(activity), "place": activity.place,
              "position": position}
    title, body = ((SIGNED_UP_TITLE, SIGNED_UP_BODY) if position is None
                   else (WAITLISTED_TITLE, WAITLISTED_BODY))
    notify(session, user=person, kind="signed_up" if position is None else "waitlisted",
           title=title, body=(body, params), link=activity_link(activity), now=now)


def _tell_promoted(session, activity, person, now):
    params = {"title": activity.title, "when": when_text(activity), "place": activity.place}
    notify(session, user=person, kind="waitlist_promoted", title=PROMOTED_TITLE,
           body=(PROMOTED_BODY, params), link=activity_link(activity), now=now)


def _tell_cancelled(session, activity, person, reason, now):
    params = {"title": activity.title, "when": when_text(activity), "reason": reason}
    body = (CANCELLED_REASON_BODY if reason else CANCELLED_BODY, params)
    notify(session, user=person, kind="activity_cancelled", title=CANCELLED_TITLE, body=body,
           link=activity_link(activity), now=now)

