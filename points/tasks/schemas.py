"""Schemas of the requests and tasks API: shapes and formats only (rules live in the
services). Names start with ``ServiceRequest``/``Task`` to stay unique in the OpenAPI
document."""
from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Cursor, Points
from points.auth.rules import mask_name
from points.ids import ID, MAX_ID
from points.tasks import rules
from points.tasks.models import (ASSIGNMENT_STATUSES, CATEGORIES, EVENT_KINDS, REQUEST_STATUSES,
                                 TASK_STATUSES)



def _acting_for():
    return fields.Integer(load_default=None, allow_none=True, validate=ID, metadata={
        "description": "A resident the signed-in user is the 亲情代理 proxy of; omit to act "
                       "for oneself."})


class ServiceRequestIn(Schema):
    """A new request: a JSON body, or the text parts of multipart/form-data."""

    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={
        "description": "escort 陪同就医 · meals 送餐送药 · errands 代买代办 · repair 维修求助 · "
                       "environment 环境问题 · dispute 邻里纠纷 · other 其他"})
    description = fields.String(required=True, validate=validate.Length(max=5000), metadata={
        "description": "What help is needed; at most 500 characters after trimming."})
    place = fields.String(required=True, validate=validate.Length(max=1000), metadata={
        "description": "Where; at most 120 characters."})
    preferred_time = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "When suits, in words (周三上午); at most 60 characters."})
    urgent = fields.Boolean(load_default=False, metadata={
        "description": "Reviewed within 2 hours instead of 24."})
    acting_for = _acting_for()
    requester_phone = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(max=20), metadata={
                                        "description": "Staff only, taking a phone call: the "
                                                       "phone number of the resident it is for."})


class ServiceRequestQueryIn(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = Cursor(load_default=None, metadata={
        "description": "Residents: ``next_cursor`` of the previous page."})
    community_id = fields.Integer(load_default=None, validate=ID, metadata={
        "description": "District administrators only: the community."})


class TaskPublishIn(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000), metadata={
        "description": "What volunteers read; at most 60 characters."})
    type_id = fields.Integer(required=True, validate=ID, metadata={
        "description": "An active activity type of the community: the caps the credit counts "
                       "against."})
    points = fields.String(required=True, validate=validate.Length(max=20), metadata={
        "description": "Points for each volunteer, a whole number 1–1000 as a string, at most "
                       "the type's daily cap.", "example": "20"})
    volunteers_needed = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    deadline = fields.AwareDateTime(required=True, metadata={
        "description": "When it should be done: after now, within 90 days."})


class TaskReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={
        "description": "In words the resident (and volunteers) read; at most 200 characters."})


class TaskMergeIn(Schema):
    into_id = fields.Integer(required=True, validate=ID, metadata={
        "description": "The request kept: of the community, received or published, not closed."})


class TaskRouteIn(Schema):
    grid_id = fields.Integer(required=True, validate=ID)


class TaskConfirmIn(Schema):
    rating = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "At most 200 characters."})
    acting_for = _acting_for()


class TaskDisputeIn(TaskReasonIn):
    acting_for = _acting_for()


class TaskMessageIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={
        "description": "At most 200 characters."})


class TaskReassignIn(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata={
        "description": "The volunteer given the place (anyone with a wallet in the community)."})
    from_volunteer_id = fields.Integer(load_default=None, allow_none=True, validate=ID, metadata={
        "description": "The volunteer whose place it was; omit to fill a free place."})


class TaskDecideIn(TaskReasonIn):
    credit = fields.Boolean(required=True, metadata={
        "description": "true: the work was done, credit the volunteers; false: close without."})


class TaskFiguresQueryIn(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)
    community_id = fields.Integer(load_default=None, validate=ID, metadata={
        "description": "District administrators only: the community."})


# Out


class TaskPersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class RequestPhotoOut(Schema):
    position = fields.Integer(required=True)
    url = fields.Function(
        lambda photo: f"/api/v1/requests/{photo.request_id}/photos/{photo.position}",
        metadata={"type": "string", "description": "The JPEG (bearer token)."})
    width = fields.Integer()
    height = fields.Integer()


class TaskEventOut(Schema):
    kind = fields.String(required=True, metadata={"description": " | ".join(EVENT_KINDS)})
    at = fields.AwareDateTime(required=True)
    volunteer = fields.Nested(TaskPersonOut, allow_none=True)
    note = fields.String()


class TaskPlaceOut(Schema):
    volunteer = fields.Nested(TaskPersonOut, required=True)
    status = fields.String(required=True, metadata={"description": " | ".join(ASSIGNMENT_STATUSES)})
    claimed_at = fields.AwareDateTime(required=True)
    started_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
    points_awarded = Points(allow_none=True, metadata={
        "description": "Credited at confirmation (the caps may cut it; 0: nothing)."})


class TaskMessageOut(Schema):
    id = fields.Integer(required=True)
    author = fields.Nested(TaskPersonOut, required=True)
    body = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class TaskOut(Schema):
    """A task. ``volunteers``, ``messages``, ``photos`` and ``requester_phone`` are shown to
    the requester's side, the volunteers holding a place and staff only (empty or null
    for anyone else, who also reads the requester's name masked)."""

    id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": " | ".join(TASK_STATUSES)})
    category = fields.String(attribute="request.category", required=True)
    description = fields.String(attribute="request.description", required=True)
    place = fields.String(attribute="request.place", required=True)
    preferred_time = fields.String(attribute="request.preferred_time")
    urgent = fields.Boolean(attribute="request.urgent")
    requester_name = fields.String(attribute="request.requester.name")
    requester_phone = fields.String(attribute="request.requester.phone", allow_none=True)
    points = Points(required=True, metadata={"description": "Offered to each volunteer."})
    activity_type = fields.String(attribute="activity_type.name")
    volunteers_needed = fields.Integer(required=True)
    claimed_count = fields.Integer(required=True)
    places_left = fields.Integer(required=True)
    deadline = fields.AwareDateTime(required=True)
    grid_id = fields.Integer(allow_none=True)
    published_at = fields.AwareDateTime(required=True)
    done_at = fields.AwareDateTime(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String()
    dispute_reason = fields.String()
    dispute_credited = fields.Boolean(allow_none=True)
    decision_reason = fields.String()
    cancel_reason = fields.String()
    photo_count = fields.Function(lambda task: len(task.request.photos),
                                  metadata={"type": "integer"})
    photos = fields.List(fields.Nested(RequestPhotoOut), attribute="request.photos")
    volunteers = fields.List(fields.Nested(TaskPlaceOut), attribute="assignments")
    messages = fields.List(fields.Nested(TaskMessageOut))
    my_place = fields.Nested(TaskPlaceOut, allow_none=True, dump_default=None, metadata={
        "description": "The signed-in volunteer's place, if they hold one."})


PRIVATE = ("photos", "volunteers", "messages")


def task_body(task, *, private, mine=None):
    """``TaskOut`` of ``task`` as a viewer sees it (see ``TaskOut``)."""
    body = TaskOut().dump(task)
    body["my_place"] = TaskPlaceOut().dump(mine) if mine is not None else None
    if not private:
        body.update({key: [] for key in PRIVATE})
        body["requester_phone"] = None
        body["requester_name"] = mask_name(body["requester_name"])
    return body


class ServiceRequestOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": " | ".join(REQUEST_STATUSES)})
    stage = fields.Function(rules.stage, metadata={
        "type": "string", "description": "Where it stands: the request's status, or once "
                                         "published its task's."})
    category = fields.String(required=True)
    description = fields.String(required=True)
    place = fields.String(required=True)
    preferred_time = fields.String()
    urgent = fields.Boolean(required=True)
    requester = fields.Nested(TaskPersonOut, required=True)
    filed_by = fields.Nested(TaskPersonOut, required=True, metadata={
        "description": "Who typed it: the requester, their proxy, or staff on the phone."})
    grid_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    reviewed_at = fields.AwareDateTime(allow_none=True)
    promise_minutes = fields.Function(lambda request: rules.promise_minutes(request.urgent),
                                      metadata={"type": "integer"})
    decline_reason = fields.String()
    merged_into_id = fields.Integer(allow_none=True)
    photos = fields.List(fields.Nested(RequestPhotoOut), required=True)
    events = fields.List(fields.Nested(TaskEventOut), required=True, metadata={
        "description": "Every step with its time, oldest first."})
    task = fields.Raw(allow_none=True, metadata={"description": "TaskOut, once published."})


class ServiceRequestListOut(Schema):
    requests = fields.List(fields.Nested(ServiceRequestOut), required=True)
    next_cursor = Cursor(allow_none=True, metadata={
        "description": "Residents: pass as ``cursor`` for older requests; null on the last page."})


class TaskListOut(Schema):
    open = fields.List(fields.Nested(TaskOut), metadata={
        "description": "Volunteers: tasks they may claim, their grid first. Staff: empty."})
    mine = fields.List(fields.Nested(TaskOut), metadata={
        "description": "Volunteers: tasks they hold a place on. Staff: the board (disputes, "
                       "overdue, waiting for confirmation first)."})


class TaskMeasureOut(Schema):
    median_minutes = fields.Integer(allow_none=True)
    count = fields.Integer(required=True)


class TaskFigureRowOut(Schema):
    key = fields.Raw(allow_none=True, metadata={
        "description": "The category, the grid id (null: no grid), or \"all\"."})
    label = fields.String()
    received = fields.Integer(required=True)
    to_publish = fields.Nested(TaskMeasureOut, required=True)
    to_claim = fields.Nested(TaskMeasureOut, required=True)
    to_close = fields.Nested(TaskMeasureOut, required=True)


class TaskFiguresOut(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)
    overall = fields.Nested(TaskFigureRowOut, required=True)
    by_category = fields.List(fields.Nested(TaskFigureRowOut), required=True)
    by_grid = fields.List(fields.Nested(TaskFigureRowOut), required=True)


# multipart/form-data has no marshmallow schema: described here for the OpenAPI document.
# The limits of ServiceRequestIn, which loads these parts: unknown parts are refused.
MULTIPART_REQUEST = {
    "type": "object",
    "required": ["category", "description", "place"],
    "additionalProperties": False,
    "properties": {
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "description": {"type": "string", "maxLength": 5000},
        "place": {"type": "string", "maxLength": 1000},
        "preferred_time": {"type": "string", "maxLength": 1000},
        "urgent": {"type": "boolean"},
        "acting_for": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "requester_phone": {"type": "string", "maxLength": 20},
        "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"},
                   "description": "0–3 JPEG, PNG or WebP files of at most 8 MB each; stored "
                                  "re-encoded, without EXIF/GPS."},
    },
}
