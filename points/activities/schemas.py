"""Schemas of the events API (``/api/v1/events``): shape and format only; the service
checks everything that needs the clock or the database. Points go out as decimal strings
and come in as strings or integers, never as floats."""
from datetime import timezone

from marshmallow import Schema, fields, validate

from points.activities import rules
from points.api.wallet_schemas import Points
from points.ids import ID


def an_id(strict=False, **kwargs):
    """An id; ``strict`` for JSON bodies (a number, not "5"), not for query strings."""
    return fields.Integer(strict=strict, validate=ID, **kwargs)


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time with its zone (a time without one is refused), as aware UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(timezone.utc)


class ExactNumber(fields.Field):
    """A number sent as a decimal string or an integer; a JSON float is refused (it is
    not exact). The service parses and checks the value."""

    default_error_messages = {"invalid": "Send a decimal string (\"1.5\") or an integer."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)) or len(str(value)) > 20:
            raise self.make_error("invalid")
        return str(value)


class EventTypeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True, metadata={
        "description": "``participation`` (points per activity) or ``hour`` (points per hour)."})


class EventOut(Schema):
    id = fields.Integer(required=True, attribute="activity.id")
    title = fields.String(required=True, attribute="activity.title")
    description = fields.String(required=True, attribute="activity.description")
    type = fields.Nested(EventTypeOut, required=True, attribute="activity.activity_type")
    place = fields.String(required=True, attribute="activity.place")
    starts_at = fields.AwareDateTime(required=True, attribute="activity.starts_at")
    ends_at = fields.AwareDateTime(required=True, attribute="activity.ends_at")
    checkin_opens_at = fields.AwareDateTime(required=True, attribute="activity.checkin_opens_at")
    checkin_closes_at = fields.AwareDateTime(required=True,
                                             attribute="activity.checkin_closes_at")
    capacity = fields.Integer(required=True, attribute="activity.capacity")
    signed_up = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    places_left = fields.Integer(required=True)
    points = Points(required=True, attribute="activity.points", metadata={
        "description": "Per participation, or per hour under an hourly type.", "example": "20"})
    hours = fields.Function(
        lambda row: None if row.activity.hours is None
        else format(row.activity.hours.normalize(), "f"),
        metadata={"type": "string", "nullable": True,
                  "description": "Hours credited per attendee under an hourly type."})
    status = fields.String(required=True, attribute="activity.status", metadata={
        "description": "``published``, ``cancelled``, ``confirmed``; staff also see ``draft``."})
    grid_id = fields.Integer(allow_none=True, attribute="activity.grid_id")
    my_status = fields.String(allow_none=True, metadata={
        "description": "``signed_up``, ``waitlisted`` or null (no live sign-up)."})
    my_position = fields.Integer(allow_none=True, attribute="position", metadata={
        "description": "Place on the waitlist (1 = next in line), else null."})


class EventListQueryIn(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                           metadata={"description": "Events per page, 1–100 (default 20)."})
    acting_for = an_id(load_default=None, metadata={
        "description": "亲情代理: the resident's id, to see their status instead of yours."})


class EventListOut(Schema):
    events = fields.List(fields.Nested(EventOut), required=True)
    next_page = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Pass as ``page`` for the next page; null on the last page."})


class ActingIn(Schema):
    acting_for = an_id(load_default=None, metadata={
        "description": "亲情代理: act in the name of this resident (a live proxy grant "
                       "is needed); omit to act for yourself."})


class SignUpOut(Schema):
    id = fields.Integer(required=True, attribute="signup.id")
    event_id = fields.Integer(required=True, attribute="signup.activity_id")
    user_id = fields.Integer(required=True, attribute="signup.user_id")
    proxy_id = fields.Integer(allow_none=True, attribute="signup.proxy_id", metadata={
        "description": "The family member who did it for the resident, else null."})
    status = fields.String(required=True, attribute="signup.status", metadata={
        "description": "``signed_up``, ``waitlisted`` or ``cancelled``."})
    position = fields.Integer(allow_none=True, metadata={
        "description": "Place on the waitlist (1 = next in line), else null."})
    queued_at = fields.AwareDateTime(required=True, attribute="signup.queued_at")
    cancelled_at = fields.AwareDateTime(allow_none=True, attribute="signup.cancelled_at")


class WithdrawalOut(SignUpOut):
    promoted = fields.Function(lambda withdrawal: len(withdrawal.promoted), metadata={
        "type": "integer", "description": "How many waitlisted people moved up into the place."})


class EventIn(Schema):
    type_id = an_id(strict=True, required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=rules.TITLE_LIMIT))
    description = fields.String(load_default="",
                                validate=validate.Length(max=rules.DESCRIPTION_LIMIT))
    place = fields.String(required=True, validate=validate.Length(min=1, max=rules.PLACE_LIMIT))
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=rules.CAPACITY_LIMIT))
    points = ExactNumber(load_default=None, allow_none=True, metadata={
        "description": "Whole points (per hour under an hourly type); omit for the type's.",
        "type": "string", "example": "20"})
    hours = ExactNumber(load_default=None, allow_none=True, metadata={
        "description": "Hourly types: hours credited per attendee; omit for the length.",
        "type": "string", "example": "2"})
    checkin_opens_at = UtcDateTime(load_default=None, allow_none=True, metadata={
        "description": "Omit: 30 minutes before the start."})
    checkin_closes_at = UtcDateTime(load_default=None, allow_none=True, metadata={
        "description": "Omit: the end."})
    grid_id = an_id(strict=True, load_default=None, allow_none=True, metadata={
        "description": "Omit for a community-wide activity (office staff only)."})
