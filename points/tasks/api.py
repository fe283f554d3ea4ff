"""Work orders (requests and tasks) in JSON, under ``/api/v1``.

Residents (anyone with a wallet, or their 亲情代理 with ``acting_for``) post and follow
requests, confirm (with an optional ``Idempotency-Key``) or dispute them; volunteers
list, claim, release, start, finish and message tasks; staff take phone calls
(``requester_phone``), publish, decline, merge, route, reassign, cancel, confirm for the
requester, decide disputes, and read the figures.

``POST /api/v1/requests`` takes ``multipart/form-data`` (fields as text parts, photos as
``photos`` file parts) or a JSON body without photos. Refusals answer the project's
error shape with the status of ``points/errors.py``: 403 for someone else's request,
claim or conversation (and one's own request to claim), 409 when the state moved on
(full, closed, already confirmed, already reviewed), 404 out of reach, 422 bad input.
"""

from flask import abort, current_app, g, jsonify, request
from marshmallow import ValidationError

from points.api import Blueprint, token_required
from points.api.idempotency import idempotency_key
from points.auth import roles
from points.communities.models import Community
from points.extensions import db
from points.residents.acting import acting_for
from points.tasks import closing, services, staff, views
from points.tasks.errors import RequestNotFoundError, TaskNotFoundError
from points.tasks.models import ServiceRequest, Task
from points.tasks.schemas import (MULTIPART_REQUEST, ServiceRequestIn, ServiceRequestListOut,
                                  ServiceRequestOut, ServiceRequestQueryIn, TaskConfirmIn,
                                  TaskDecideIn, TaskDisputeIn, TaskFiguresOut, TaskFiguresQueryIn,
                                  TaskListOut, TaskMergeIn, TaskMessageIn, TaskMessageOut, TaskOut,
                                  TaskPublishIn, TaskReasonIn, TaskReassignIn, TaskRouteIn,
                                  task_body)
from points.timeutil import utcnow
from points.web.forms import row_id

blp = Blueprint("api_tasks", __name__, url_prefix="/api/v1",
                description="群众点单 → 组织建单 → 志愿者接单: requests, tasks, claiming, closing")

SECURITY = [{"bearer": []}]
ANYONE = roles.WALLET_ROLES | roles.STAFF_ROLES


def is_staff():
    return g.user.role in roles.STAFF_ROLES


def respond(body, status=200, headers=None):
    # A response object: smorest passes it through instead of dumping it again.
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def request_body(found):
    """A request as the signed-in user sees it, with its task (if any)."""
    body = ServiceRequestOut().dump(found)
    body["task"] = (task_body(found.task, private=True,
                              mine=services.active_place(found.task, g.user.id))
                    if found.task is not None else None)
    return body


def reloaded_request(request_id):
    db.session.expire_all()
    return services.visible_request(db.session, viewer=g.user, request_id=request_id)


def task_for_viewer(task_id):
    db.session.expire_all()
    view = services.task_view(db.session, viewer=g.user, task_id=task_id, now=utcnow())
    return task_body(view.task, private=view.private, mine=view.mine)


def community_of(model=None, object_id=None, community_id=None):
    """The community a staff member acts in; a district administrator's is the object's
    (or the one asked for)."""
    if g.user.community_id is not None:
        return g.user.community
    if model is not None:
        found = db.session.get(model, object_id)
        community_id = found.community_id if found is not None else None
    community = db.session.get(Community, community_id) if community_id else None
    if community is None:
        raise (TaskNotFoundError if model is Task else RequestNotFoundError)()
    return community


def requests_community(request_id):
    return community_of(ServiceRequest, request_id)


def request_input():
    """The new request's fields and photo bytes, from multipart or JSON."""
    if request.mimetype == "multipart/form-data":
        data = ServiceRequestIn().load(request.form.to_dict())
        photos = [part.read(views.photos.MAX_BYTES + 1) for part in request.files.getlist("photos")]
        return data, photos
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError({"_schema": ["A JSON object is required."]})
        return ServiceRequestIn().load(body), []
    abort(415)



# Requests


@blp.post("/requests")
@token_required(*ANYONE)
@blp.response(201, ServiceRequestOut)
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {
    "multipart/form-data": {"schema": MULTIPART_REQUEST},
    "application/json": {"schema": ServiceRequestIn}}})
def create_request():
    """Post a need (for oneself, as 亲情代理 for ``acting_for``, or, staff, for the
    resident with ``requester_phone``). 422 and nothing stored: unknown category, no
    description or place, texts too long, photos over 3, over 8 MB, not images."""
    data, photos = request_input()
    common = dict(category=data["category"], description=data["description"],
                  place=data["place"], preferred_time=data["preferred_time"],
                  urgent=data["urgent"], photos=photos,
                  upload_dir=views.upload_dir(current_app), now=utcnow())
    if is_staff():
        filed = staff.file_for_resident(db.session, actor=g.user, community=community_of(
            community_id=None), phone=data["requester_phone"], **common)
    else:
        filed = services.file_request(db.session, acting=acting_for(
            db.session, g.user, data["acting_for"]), **common)
    return respond(request_body(reloaded_request(filed.id)), 201)


@blp.get("/requests")
@token_required(*ANYONE)
@blp.arguments(ServiceRequestQueryIn, location="query", as_kwargs=True)
@blp.response(200, ServiceRequestListOut)
@blp.doc(security=SECURITY)
def list_requests(limit, cursor, community_id):
    """Residents: their own requests, newest first (``acting_for`` is not needed: a proxy
    reads the list of the resident they switched to on the pages). Staff: the requests
    waiting for review in their reach, the one whose promised time runs out first on top."""
    if is_staff():
        rows = staff.review_queue(db.session, actor=g.user,
                                  community=community_of(community_id=community_id), now=utcnow())
        return respond({"requests": [request_body(row.request) for row in rows[:limit]],
                        "next_cursor": None})
    found = services.requests_of(db.session, g.user, before=cursor, limit=limit + 1)
    page = found[:limit]
    last = page[-1].id if len(found) > limit else None
    return respond({"requests": [request_body(item) for item in page],
                    **ServiceRequestListOut(only=("next_cursor",)).dump({"next_cursor": last})})


@blp.get("/requests/<int:request_id>")
@token_required(*ANYONE)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY)
def get_request(request_id):
    """One request with its progress (every step and its time) and its task. Seen by the
    requester's side, whoever filed it, staff of its grid and its volunteers; else 404."""
    return respond(request_body(reloaded_request(request_id)))


@blp.get("/requests/<int:request_id>/photos/<int(max=9):position>")
@token_required(*ANYONE)
@blp.doc(security=SECURITY, responses={"200": {"description": "The photo (image/jpeg).",
                                               "content": {"image/jpeg": {}}}})
def get_photo(request_id, position):
    """A photo of a request the user may see (``private`` caching only)."""
    photo = services.photo_for(db.session, viewer=g.user, request_id=request_id,
                               position=position)
    return views.photo_response(photo)


@blp.post("/requests/<int:request_id>/confirm")
@token_required(*ANYONE)
@blp.arguments(TaskConfirmIn)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY, parameters=[{
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": "A retry with the key of the confirmation that succeeded returns the "
                   "request (header ``Idempotent-Replayed: true``) and moves nothing."}])
def confirm(data, request_id):
    """The requester (or staff for them) confirms a done task, with an optional rating
    1–5 and comment: each volunteer is credited once (the caps may cut it; they are
    told) and the task closes. 403 someone else's request; 409 not done yet, disputed,
    or already confirmed (without the same ``Idempotency-Key``)."""
    now = utcnow()
    if is_staff():
        community = community_of(ServiceRequest, request_id)
        found = staff.request_in_reach(db.session, actor=g.user, community=community,
                                       request_id=request_id)
        if found.task is None:
            raise TaskNotFoundError()
        staff.confirm_for(db.session, actor=g.user, community=community,
                          task_id=found.task.id, rating=data["rating"], comment=data["comment"],
                          now=now)
        return respond(request_body(reloaded_request(request_id)))
    task = closing.confirm_request(
        db.session, acting=acting_for(db.session, g.user, data["acting_for"]),
        request_id=request_id, rating=data["rating"], comment=data["comment"],
        idempotency_key=idempotency_key(), now=now)
    replayed = task.confirmed_at != now
    return respond(request_body(reloaded_request(request_id)),
                   headers={"Idempotent-Replayed": "true"} if replayed else None)


@blp.post("/requests/<int:request_id>/dispute")
@token_required(*roles.WALLET_ROLES)
@blp.arguments(TaskDisputeIn)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY)
def dispute(data, request_id):
    """The requester's side says a done task was not done properly (``reason``): no points
    move; staff decide. 403 someone else's request; 409 not done, confirmed or disputed."""
    closing.dispute_request(db.session, acting=acting_for(db.session, g.user, data["acting_for"]),
                             request_id=request_id, reason=data["reason"], now=utcnow())
    return respond(request_body(reloaded_request(request_id)))


@blp.post("/requests/<int:request_id>/publish")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskPublishIn)
@blp.response(201, ServiceRequestOut)
@blp.doc(security=SECURITY)
def publish(data, request_id):
    """Make the request a task. 409 already reviewed; 422 bad title, points (1–1000, at
    most the type's daily cap), volunteers (1–20), deadline (after now, within 90 days)
    or type."""
    staff.publish_request(db.session, actor=g.user, community=requests_community(request_id),
                          request_id=request_id, title=data["title"], type_id=data["type_id"],
                          points=data["points"], volunteers_needed=data["volunteers_needed"],
                          deadline=data["deadline"], now=utcnow())
    return respond(request_body(reloaded_request(request_id)), 201)


@blp.post("/requests/<int:request_id>/decline")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskReasonIn)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY)
def decline(data, request_id):
    """Decline with a ``reason`` the requester reads. 409 already reviewed."""
    staff.decline_request(db.session, actor=g.user, community=requests_community(request_id),
                          request_id=request_id, reason=data["reason"], now=utcnow())
    return respond(request_body(reloaded_request(request_id)))


@blp.post("/requests/<int:request_id>/merge")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskMergeIn)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY)
def merge(data, request_id):
    """Close a duplicate pointing to ``into_id``; its requester is told. 422 a target not
    being handled; 409 already reviewed."""
    staff.merge_request(db.session, actor=g.user, community=requests_community(request_id),
                        request_id=request_id, into_id=data["into_id"], now=utcnow())
    return respond(request_body(reloaded_request(request_id)))


@blp.post("/requests/<int:request_id>/route")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskRouteIn)
@blp.response(200, ServiceRequestOut)
@blp.doc(security=SECURITY)
def route(data, request_id):
    """Send a waiting request to a grid of the community."""
    staff.route_request(db.session, actor=g.user, community=requests_community(request_id),
                        request_id=request_id, grid_id=data["grid_id"], now=utcnow())
    db.session.expire_all()  # the actor may no longer reach it: read it as routed
    return respond(request_body(db.session.get(ServiceRequest, request_id)))


# Tasks


@blp.get("/tasks")
@token_required(*ANYONE)
@blp.response(200, TaskListOut)
@blp.doc(security=SECURITY)
def list_tasks():
    """Volunteers: ``open`` tasks they may claim (their grid first, then urgent, then by
    deadline) and ``mine``. Staff: ``mine`` is the board of unfinished tasks in reach."""
    if is_staff():
        rows = staff.task_board(db.session, actor=g.user, community=community_of(
            community_id=request.args.get("community_id", type=row_id)), now=utcnow())
        return respond({"open": [], "mine": [task_body(row.task, private=True) for row in rows]})
    return respond({
        "open": [task_body(task, private=False)
                 for task in services.open_tasks(db.session, volunteer=g.user)],
        "mine": [task_body(task, private=True, mine=services.active_place(task, g.user.id))
                 for task in services.tasks_of(db.session, g.user)]})


@blp.get("/tasks/figures")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskFiguresQueryIn, location="query", as_kwargs=True)
@blp.response(200, TaskFiguresOut)
@blp.doc(security=SECURITY)
def get_figures(since, until, community_id):
    """Time to publish, to claim and to close (median minutes and count) of the requests
    received in ``[since, until)``, overall, per category and per grid."""
    community = community_of(community_id=community_id)
    staff.ensure_staff(g.user, community)
    return services.figures(db.session, community_id=community.id, since=since, until=until)


@blp.get("/tasks/<int:task_id>")
@token_required(*ANYONE)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def get_task(task_id):
    """One task: anyone of the community reads it; its private parts (see ``TaskOut``)
    only its participants and staff."""
    return respond(task_for_viewer(task_id))


def step(action, task_id):
    action(db.session, volunteer=g.user, task_id=task_id, now=utcnow())
    return respond(task_for_viewer(task_id))


@blp.post("/tasks/<int:task_id>/claim")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def claim(task_id):
    """Take a place. 403 one's own, proxied or household's request; 409 full, finished
    or cancelled, or a place held already."""
    return step(services.claim_task, task_id)


@blp.post("/tasks/<int:task_id>/release")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def release(task_id):
    """Give one's place up (not once done). 403 no place held; 409 done already."""
    return step(services.release_task, task_id)


@blp.post("/tasks/<int:task_id>/start")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def start(task_id):
    """Say the work is under way. 403 no place held; 409 not from a taken place."""
    return step(services.start_task, task_id)


@blp.post("/tasks/<int:task_id>/done")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def done(task_id):
    """Say one's part is done; the task is done (the requester is asked to confirm) when
    every volunteer holding a place is. 403 no place held; 409 done already."""
    return step(services.finish_task, task_id)


@blp.post("/tasks/<int:task_id>/messages")
@token_required(*ANYONE)
@blp.arguments(TaskMessageIn)
@blp.response(201, TaskMessageOut)
@blp.doc(security=SECURITY)
def post_message(data, task_id):
    """A short message from the requester's side or a volunteer holding a place; the
    other side is notified. 403 anyone else; 422 empty or over 200 characters."""
    return services.post_message(db.session, author=g.user, task_id=task_id, body=data["body"],
                                 now=utcnow())


@blp.post("/tasks/<int:task_id>/reassign")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskReassignIn)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def reassign(data, task_id):
    """Give a place (``from_volunteer_id``'s, or a free one) to the volunteer with
    ``phone``."""
    staff.reassign_task(db.session, actor=g.user, community=community_of(Task, task_id),
                        task_id=task_id, from_volunteer_id=data["from_volunteer_id"],
                        to_phone=data["phone"], now=utcnow())
    return respond(task_for_viewer(task_id))


@blp.post("/tasks/<int:task_id>/cancel")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskReasonIn)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def cancel(data, task_id):
    """Stop a task still being worked on, with a ``reason``; no points move."""
    staff.cancel_task(db.session, actor=g.user, community=community_of(Task, task_id),
                      task_id=task_id, reason=data["reason"], now=utcnow())
    return respond(task_for_viewer(task_id))


@blp.post("/tasks/<int:task_id>/decide")
@token_required(*roles.STAFF_ROLES)
@blp.arguments(TaskDecideIn)
@blp.response(200, TaskOut)
@blp.doc(security=SECURITY)
def decide(data, task_id):
    """Decide a disputed task: ``credit`` true credits the volunteers, false closes it
    without points; ``reason`` is told to everyone. 409 not disputed."""
    staff.decide_dispute(db.session, actor=g.user, community=community_of(Task, task_id),
                         task_id=task_id, credit=data["credit"], reason=data["reason"],
                         now=utcnow())
    return respond(task_for_viewer(task_id))
