"""``GET /api/v1/audit``: the office's audit log as JSON, newest first, in cursor pages.

The same filters and reads as the 操作记录 page (``points.audit.services.search``); the
cursor is the last event's id, so events recorded while a client pages never shift a
later page. Office staff and admins read their community; district administrators name
one by ``community`` code.
"""
from marshmallow import Schema, fields, validate

from points.api import Blueprint, office_community, token_required
from points.api.wallet_schemas import Cursor
from points.audit import rules, services
from points.auth import roles
from points.extensions import db
from points.ids import ID
from points.timeutil import start_of_local_date

blp = Blueprint("api_audit", __name__, url_prefix="/api/v1",
                description="The audit log of a community's staff actions")


class AuditQueryIn(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    cursor = Cursor(load_default=None, metadata={
        "description": "``next_cursor`` of the previous page; omit for the newest events."})
    actor = fields.Integer(validate=ID,
                           metadata={"description": "Only this person's actions (user id)"})
    action = fields.String(validate=validate.OneOf(sorted(rules.ACTION_LABELS)))
    object_type = fields.String(validate=validate.Length(min=1, max=40))
    object_id = fields.Integer(validate=validate.Range(min=1, max=2**63 - 1))
    since = fields.Date(metadata={"description": "First local day"})
    until = fields.Date(metadata={"description": "Local day after the last one (exclusive)"})
    community = fields.String(validate=validate.Length(min=1, max=32),
                              metadata={"description": "A community's code (district admins)"})


class AuditPersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class AuditEventOut(Schema):
    id = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(AuditPersonOut, required=True)
    proxy = fields.Nested(AuditPersonOut, allow_none=True)
    action = fields.String(required=True)
    action_label = fields.Function(lambda event: rules.action_label(event.action), required=True,
                                   metadata={"type": "string"})
    object_type = fields.String(required=True)
    object_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(required=True)


class AuditPageOut(Schema):
    events = fields.List(fields.Nested(AuditEventOut), required=True)
    next_cursor = Cursor(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next (older) page; null on the last page."})


@blp.get("/audit")
@token_required(*roles.OFFICE_ROLES)
@blp.arguments(AuditQueryIn, location="query", as_kwargs=True)
@blp.response(200, AuditPageOut)
@blp.doc(security=[{"bearer": []}])
def events(limit, cursor, actor=None, action=None, object_type=None, object_id=None, since=None,
           until=None, community=None):
    """Who did what to which object, with the values before and after, newest first."""
    found = services.search(
        db.session, community_id=office_community(community).id, actor_id=actor, action=action,
        obj_type=object_type, obj_id=object_id,
        since=start_of_local_date(since) if since else None,
        until=start_of_local_date(until) if until else None, before_id=cursor, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return {"events": found, "next_cursor": found[-1].id if more else None}
