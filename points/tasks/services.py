"""Requests and tasks from the resident's and the volunteer's side: filing a request,
following it, claiming, working on and closing a task, messages.

Exactly once: every act on a task locks the task row first (``SELECT … FOR UPDATE``,
re-read) and checks its state after the lock, in the same transaction as the places,
the events, the notifications and the credits. ``Task.claimed_count`` (CHECK ≤
``volunteers_needed``) and the unique place per volunteer back the claiming rules;
``Credit`` (unique per task and volunteer) backs the crediting.

Points move only when the requester (or staff for them) confirms a done task, or staff
decide a dispute in the volunteers' favour: each volunteer whose place is done gets the
task's points through ``credit_work`` with ``over_cap="cut"``. The requester must be able
to confirm whatever the volunteers' caps, so a cap cuts the award instead of refusing the
confirmation: the volunteer gets what the caps still allow (possibly nothing) and is
told so, with the points offered and the points credited; the place records both.

Confirming, crediting and disputing are in ``points.tasks.closing``; staff's side (review,
publish, merge, route, decline, reassign, cancel, disputes) in ``points.tasks.staff``; the
figures in ``points.tasks.figures``.
"""
from dataclasses import dataclass

from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ledger.errors import N_, DomainError
from points.auth import roles
from points.claims import photos as photo_files
from points.claims.errors import TooManyPhotosError
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.residents import rules as resident_rules
from points.residents.acting import acting_for
from points.tasks import rules
from points.tasks.errors import (AlreadyClaimedError, NotAVolunteerError, NotARequesterError,
                                 NotInConversationError, RequestNotFoundError, TaskNotFoundError)
from points.tasks.models import (ACTIVE_ASSIGNMENTS, DONE, FINISHED, RECEIVED, RELEASED, STARTED,
                                 TAKEN, RequestPhoto, ServiceRequest, Task, TaskAssignment,
                                 TaskEvent, TaskMessage)

PAGE_SIZE = 20
HALL_LIMIT = 50

# Notifications: msgids and values, shown in each reader's language.
TOLD = {
    "received": (N_("点单已收到"), N_("您的“%(category)s”点单已收到，社区会在 %(hours)s 小时内处理。")),
    "claimed": (N_("有志愿者接单了"), N_("%(volunteer)s 接了您的“%(title)s”。")),
    "released": (N_("志愿者取消了接单"), N_("%(volunteer)s 取消了“%(title)s”的接单，社区会再找人。")),
    "started": (N_("志愿者开始办理"), N_("%(volunteer)s 开始办理“%(title)s”。")),
    "done": (N_("志愿者说已经办好"), N_("“%(title)s”志愿者说已经办好，请您看一看，确认办好或提出异议。")),
    "credited": (N_("任务已确认，积分已记入"), N_("“%(title)s”已确认办好，获得 %(points)s 积分。")),
    "cut": (N_("任务已确认，积分受上限限制"),
            N_("“%(title)s”已确认办好。原定 %(offered)s 分，"
               "因“%(type)s”的积分上限，这次记入 %(points)s 分。")),
    "disputed": (N_("点单人提出了异议"),
                 N_("“%(title)s”的点单人对办理结果有异议：%(reason)s。社区会核实后处理。")),
    "message": (N_("任务有新留言"), N_("%(author)s 在“%(title)s”留言：%(body)s")),
    # staff's acts
    "published": (N_("点单已发布为任务"),
                  N_("您的“%(category)s”点单已发布为任务“%(title)s”，正在等志愿者接单。")),
    "declined": (N_("点单未受理"), N_("您的“%(category)s”点单没有受理。原因：%(reason)s")),
    "merged": (N_("点单已合并处理"),
               N_("您的“%(category)s”点单和另一份相同的点单（#%(kept)s）合并处理，进展请看那一份。")),
    "assigned": (N_("社区给您安排了任务"), N_("社区请您帮忙办理“%(title)s”，请查看任务详情。")),
    "removed": (N_("您不用再办这个任务了"), N_("社区调整了“%(title)s”的志愿者，您不用再办了。")),
    "reassigned": (N_("社区调整了志愿者"), N_("“%(title)s”改由 %(volunteer)s 办理。")),
    "cancelled": (N_("任务已取消"), N_("“%(title)s”已被社区取消。原因：%(reason)s")),
    "decided_credit": (N_("异议已处理：记入积分"),
                       N_("社区核实了“%(title)s”的异议，认定已经办好。说明：%(reason)s")),
    "decided_none": (N_("异议已处理：不记积分"),
                     N_("社区核实了“%(title)s”的异议，认定没有办好，不记积分。说明：%(reason)s")),
}


# Who is who


def ensure_requester(acting):
    """Requests are filed by people with a wallet (residents, shop people who volunteer)."""
    if acting.resident.role not in roles.WALLET_ROLES or acting.resident.community_id is None:
        raise NotARequesterError()


def ensure_volunteer(user):
    if user.role not in roles.WALLET_ROLES or user.community_id is None:
        raise NotAVolunteerError()


def is_requester_side(session, viewer, request):
    """The requester, or a family member with a live grant to act for them."""
    if viewer.id == request.requester_id:
        return True
    try:
        acting_for(session, viewer, request.requester_id)
    except ForbiddenError:
        return False
    return viewer.community_id == request.community_id


def is_staff_of(viewer, community_id, grid_id):
    return (viewer.role in roles.STAFF_ROLES and viewer.community_id in (None, community_id)
            and resident_rules.reaches_grid(viewer, grid_id))


def active_place(task, user_id):
    return next((a for a in task.assignments
                 if a.volunteer_id == user_id and a.status in ACTIVE_ASSIGNMENTS), None)


def place_of(task, user_id):
    return next((a for a in task.assignments if a.volunteer_id == user_id), None)


# Filing


def file_request(session, *, acting, category, description, place, preferred_time="",
                 urgent=False, photos=(), upload_dir, now):
    """File a request for ``acting.resident`` (typed by ``acting.user``, themselves or
    their proxy) with 0–3 photos (bytes), checked and re-encoded as claim photos are.

    Raises the filing refusals of ``points.tasks.errors``, the photo refusals of
    ``points.claims.errors`` and ``ForbiddenError`` (a proxy whose grant was revoked).
    """
    ensure_requester(acting)

    def requester(session):
        # The grant must be live at the moment of writing, not only when the form showed.
        return acting_for(session, acting.user, acting.resident.id).resident

    return store_request(session, requester=requester, filed_by=acting.user, category=category,
                         description=description, place=place, preferred_time=preferred_time,
                         urgent=urgent, photos=photos, upload_dir=upload_dir, now=now)


def store_request(session, *, requester, filed_by, category, description, place,
                  preferred_time, urgent, photos, upload_dir, now):
    """Check, store the photos, and write the request for ``requester(session)`` (called
    inside the transaction). Photos are written before the transaction commits and
    removed if it fails: a refusal leaves no file and no row."""
    values = _cleaned(category, description, place, preferred_time, photos)
    prepared = [photo_files.prepare(raw, number) for number, raw in enumerate(photos, 1)]
    keys = photo_files.store_all(upload_dir, prepared)
    try:
        with unit_of_work(session):
            request = _file(session, requester=requester(session), filed_by=filed_by,
                            urgent=bool(urgent), now=now, **values)
            _attach_photos(session, request, prepared, keys)
    except BaseException:
        photo_files.remove(upload_dir, keys)
        raise
    return request


def _cleaned(category, description, place, preferred_time, photos):
    rules.ensure_category(category)
    if len(photos) > rules.MAX_PHOTOS:
        raise TooManyPhotosError(limit=rules.MAX_PHOTOS)
    return {"category": category, "description": rules.clean_description(description),
            "place": rules.clean_place(place),
            "preferred_time": rules.clean_preferred_time(preferred_time)}


def _file(session, *, requester, filed_by, category, description, place, preferred_time,
          urgent, now):
    household = requester.household
    request = ServiceRequest(
        community_id=requester.community_id, requester_id=requester.id, filed_by_id=filed_by.id,
        household_id=requester.household_id,
        grid_id=household.grid_id if household is not None else None, category=category,
        description=description, place=place, preferred_time=preferred_time, urgent=urgent,
        status=RECEIVED, created_at=now)
    session.add(request)
    session.flush()
    add_event(session, request, "received", actor=filed_by, now=now)
    if filed_by.id != requester.id:  # filed by a proxy or by staff: the requester learns of it
        tell(session, requester, "received", request_link(request), now,
             category=rules.CATEGORY_LABELS[category],
             hours=rules.promise_minutes(urgent) // 60)
    return request


def _attach_photos(session, request, prepared, keys):
    for position, (photo, key) in enumerate(zip(prepared, keys), 1):
        session.add(RequestPhoto(community_id=request.community_id, request_id=request.id,
                                 position=position, storage_key=key, pixel_hash=photo.pixel_hash,
                                 width=photo.width, height=photo.height))
    session.flush()


# Events and notifications


def add_event(session, request, kind, *, task=None, actor=None, volunteer=None, note="", now):
    event = TaskEvent(community_id=request.community_id, request_id=request.id,
                      task_id=task.id if task is not None else None, kind=kind,
                      actor_id=actor.id if actor is not None else None,
                      volunteer_id=volunteer.id if volunteer is not None else None,
                      note=note[:200], at=now)
    session.add(event)
    session.flush()
    return event


def tell(session, user, what, link, now, **params):
    """Notify ``user`` with the ``TOLD`` message ``what``."""
    title, body = TOLD[what]
    notify(session, user=user, kind=f"task_{what}"[:32], title=title, body=(body, params),
           link=link, now=now)


def request_link(request):
    return f"/requests/{request.id}"


def task_link(task):
    return f"/tasks/{task.id}"


# Reading: the requester's side


def _request_details(stmt):
    return stmt.options(
        selectinload(ServiceRequest.photos), selectinload(ServiceRequest.events),
        selectinload(ServiceRequest.task).selectinload(Task.assignments),
        selectinload(ServiceRequest.task).selectinload(Task.messages))


def requests_of(session, resident, *, before=None, limit=PAGE_SIZE):
    """The resident's requests, newest first; ``before`` (a request id) pages on."""
    stmt = _request_details(select(ServiceRequest)).where(
        ServiceRequest.requester_id == resident.id,
        ServiceRequest.community_id == resident.community_id)
    if before is not None:
        stmt = stmt.where(ServiceRequest.id < before)
    return list(session.scalars(stmt.order_by(ServiceRequest.id.desc()).limit(limit)))


def own_request(session, resident, request_id):
    """One of the resident's own requests (a proxy passes the resident), else not found."""
    request = session.scalar(_request_details(select(ServiceRequest)).where(
        ServiceRequest.id == request_id, ServiceRequest.requester_id == resident.id,
        ServiceRequest.community_id == resident.community_id))
    if request is None:
        raise RequestNotFoundError()
    return request


def may_see_request(session, viewer, request):
    """The requester's side, whoever filed it, staff who reach its grid, and the
    volunteers holding a place on its task."""
    if viewer.id in (request.requester_id, request.filed_by_id):
        return True
    if is_staff_of(viewer, request.community_id, request.grid_id):
        return True
    if request.task is not None and active_place(request.task, viewer.id) is not None:
        return True
    return is_requester_side(session, viewer, request)


def visible_request(session, *, viewer, request_id):
    request = session.scalar(_request_details(select(ServiceRequest))
                             .where(ServiceRequest.id == request_id))
    if request is None or not may_see_request(session, viewer, request):
        raise RequestNotFoundError()
    return request


def photo_for(session, *, viewer, request_id, position):
    """The photo at ``position`` of a request ``viewer`` may see, else not found."""
    request = visible_request(session, viewer=viewer, request_id=request_id)
    photo = next((photo for photo in request.photos if photo.position == position), None)
    if photo is None:
        raise RequestNotFoundError()
    return photo


# Reading: volunteers


@dataclass
class TaskView:
    """A task as one person sees it: their place, whether they see the requester's
    details (name, phone, photos, messages), and why they may not claim it (None: may)."""

    task: Task
    mine: TaskAssignment | None
    requester_side: bool
    staff: bool
    claim_refusal: Exception | None
    overdue: bool

    @property
    def request(self):
        return self.task.request

    @property
    def private(self):
        return self.requester_side or self.staff or self.mine is not None

    @property
    def may_message(self):
        return self.requester_side or self.mine is not None


def _task_details(stmt):
    return stmt.options(
        selectinload(Task.request).selectinload(ServiceRequest.photos),
        selectinload(Task.request).selectinload(ServiceRequest.events),
        selectinload(Task.assignments).selectinload(TaskAssignment.volunteer),
        selectinload(Task.messages), selectinload(Task.activity_type))


def home_grid(user):
    return user.household.grid_id if user.household is not None else None


def open_tasks(session, *, volunteer, limit=HALL_LIMIT):
    """Tasks of the volunteer's community with a place left that they may claim: their
    own grid first, then urgent ones, then by deadline. Their own requests, and tasks
    they already hold a place on, are left out."""
    grid_id = home_grid(volunteer)
    holds_place = Task.assignments.any((TaskAssignment.volunteer_id == volunteer.id)
                                       & TaskAssignment.status.in_(ACTIVE_ASSIGNMENTS))
    stmt = (_task_details(select(Task)).join(ServiceRequest, Task.request_id == ServiceRequest.id)
            .where(Task.community_id == volunteer.community_id,
                   Task.status.in_(rules.WORKING),
                   Task.claimed_count < Task.volunteers_needed,
                   ServiceRequest.requester_id != volunteer.id,
                   ServiceRequest.filed_by_id != volunteer.id, ~holds_place))
    if volunteer.household_id is not None:
        stmt = stmt.where(or_(ServiceRequest.household_id.is_(None),
                              ServiceRequest.household_id != volunteer.household_id))
    near = case((Task.grid_id == grid_id, 0), else_=1) if grid_id is not None else None
    order = [near] if near is not None else []
    stmt = stmt.order_by(*order, ServiceRequest.urgent.desc(), Task.deadline, Task.id)
    return list(session.scalars(stmt.limit(limit)))


def tasks_of(session, volunteer):
    """Tasks the volunteer holds a place on, unfinished ones first, newest first."""
    stmt = (_task_details(select(Task)).join(TaskAssignment, TaskAssignment.task_id == Task.id)
            .where(TaskAssignment.volunteer_id == volunteer.id,
                   TaskAssignment.status.in_(ACTIVE_ASSIGNMENTS)))
    finished = case((Task.status.in_(rules.WORKING), 0), else_=1)
    return list(session.scalars(stmt.order_by(finished, Task.id.desc()).limit(HALL_LIMIT)))


def task_view(session, *, viewer, task_id, now):
    """One task as ``viewer`` sees it. Every wallet user and staff member of the
    community may read a task; only participants and staff see the private parts."""
    task = session.scalar(_task_details(select(Task)).where(Task.id == task_id))
    staff = task is not None and is_staff_of(viewer, task.community_id, task.grid_id)
    if task is None or not (staff or viewer.community_id == task.community_id):
        raise TaskNotFoundError()
    return TaskView(task=task, mine=active_place(task, viewer.id),
                    requester_side=is_requester_side(session, viewer, task.request),
                    staff=staff, claim_refusal=_claim_refusal(task, viewer),
                    overdue=rules.is_overdue(task, now))


def _claim_refusal(task, viewer):
    try:
        ensure_volunteer(viewer)
        rules.ensure_not_own(task.request, viewer)
        rules.ensure_claimable(task, place_of(task, viewer.id))
    except DomainError as error:  # shown on the page, never raised
        return error
    return None


# Claiming and working


def locked_task(session, task_id, community_id=None):
    """The task, locked and re-read with its places; else ``TaskNotFoundError``."""
    stmt = (select(Task).where(Task.id == task_id).with_for_update()
            .execution_options(populate_existing=True))
    if community_id is not None:
        stmt = stmt.where(Task.community_id == community_id)
    task = session.scalar(stmt)
    if task is None:
        raise TaskNotFoundError()
    session.expire(task, ["assignments"])  # read after the lock, never from before it
    return task


def claim_task(session, *, volunteer, task_id, now):
    """Take a place on an open task. Refuses one's own (or proxied, or household's)
    request (403), a full, finished or cancelled task and a second place (409)."""
    ensure_volunteer(volunteer)
    try:
        with unit_of_work(session):
            task = locked_task(session, task_id, volunteer.community_id)
            rules.ensure_not_own(task.request, volunteer)
            place = place_of(task, volunteer.id)
            rules.ensure_claimable(task, place)
            if place is None:
                place = TaskAssignment(community_id=task.community_id, volunteer_id=volunteer.id)
                task.assignments.append(place)
            _take(place, now, assigned_by=None)
            task.claimed_count += 1
            task.first_claimed_at = task.first_claimed_at or now
            task.status = rules.status_after(task)
            add_event(session, task.request, "claimed", task=task, actor=volunteer,
                      volunteer=volunteer, now=now)
            tell(session, task.request.requester, "claimed", request_link(task.request), now,
                 volunteer=volunteer.name, title=task.title)
    except IntegrityError:
        # Only reachable if the lock were bypassed: the constraints still hold.
        raise AlreadyClaimedError() from None
    return task


def _take(place, now, assigned_by):
    place.status, place.claimed_at = TAKEN, now
    place.started_at = place.done_at = place.ended_at = None
    place.assigned_by_id = assigned_by.id if assigned_by is not None else None


def release_task(session, *, volunteer, task_id, now):
    """Give up one's place (taken or under way, not done): the place opens again."""
    with unit_of_work(session):
        task = locked_task(session, task_id, volunteer.community_id)
        place = active_place(task, volunteer.id)
        rules.ensure_step(task, place, (TAKEN, STARTED))
        place.status, place.ended_at = RELEASED, now
        task.claimed_count -= 1
        task.status = rules.status_after(task)
        add_event(session, task.request, "released", task=task, actor=volunteer,
                  volunteer=volunteer, now=now)
        tell(session, task.request.requester, "released", request_link(task.request), now,
             volunteer=volunteer.name, title=task.title)
    return task


def start_task(session, *, volunteer, task_id, now):
    """Say the work is under way (from a taken place)."""
    with unit_of_work(session):
        task = locked_task(session, task_id, volunteer.community_id)
        place = active_place(task, volunteer.id)
        rules.ensure_step(task, place, (TAKEN,))
        place.status, place.started_at = STARTED, now
        task.status = rules.status_after(task)
        add_event(session, task.request, "started", task=task, actor=volunteer,
                  volunteer=volunteer, now=now)
        tell(session, task.request.requester, "started", request_link(task.request), now,
             volunteer=volunteer.name, title=task.title)
    return task


def finish_task(session, *, volunteer, task_id, now):
    """Say one's part is done (from taken or under way). When every volunteer holding a
    place is done, the task is ``done`` (places still free close: the work is done) and
    the requester is asked to confirm."""
    with unit_of_work(session):
        task = locked_task(session, task_id, volunteer.community_id)
        place = active_place(task, volunteer.id)
        rules.ensure_step(task, place, (TAKEN, STARTED))
        place.status, place.done_at = FINISHED, now
        place.started_at = place.started_at or now
        task.status = rules.status_after(task)
        add_event(session, task.request, "done", task=task, actor=volunteer, volunteer=volunteer,
                  now=now)
        if task.status == DONE:
            task.done_at = now
            tell(session, task.request.requester, "done", request_link(task.request), now,
                 title=task.title)
    return task


# Messages


def post_message(session, *, author, task_id, body, now):
    """A short message on a task from the requester's side (``author`` acting for them
    or themselves) or a volunteer holding a place; the other side is notified."""
    body = rules.clean_message(body)
    with unit_of_work(session):
        task = locked_task(session, task_id, author.community_id)
        requester_side = is_requester_side(session, author, task.request)
        mine = active_place(task, author.id)
        if not requester_side and mine is None:
            raise NotInConversationError()
        message = TaskMessage(community_id=task.community_id, task_id=task.id,
                              author_id=author.id, body=body, at=now)
        session.add(message)
        session.flush()
        for person, link in _other_side(task, author, requester_side):
            tell(session, person, "message", link, now, author=author.name, title=task.title,
                 body=body[:60])
    return message


def _other_side(task, author, requester_side):
    volunteers = [(place.volunteer, task_link(task)) for place in task.active_assignments
                  if place.volunteer_id != author.id]
    if requester_side:
        return volunteers
    return [(task.request.requester, request_link(task.request)), *volunteers]


from points.tasks.figures import figures  # noqa: E402,F401  (the service the dashboard and reports call)
