"""Schemas of the check-in and attendance API (``points.activities.checkin_api``)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from points import codes
from points.activities.attendance import hours_text
from points.activities.checkin_rules import member_qr_text
from points.api.wallet_schemas import Points
from points.ids import ID

MAX_ATTENDEES = 2000  # activities.capacity is at most 2,000


class CheckInIn(Schema):
    code = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "Staff: a member code as typed (``K7QM-2XHD-5``) or as scanned "
                       "(``JFM:K7QM2XHD5``)."})
    token = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "A resident: the ``t`` of the rotating QR's URL on the screen."})

    @validates_schema
    def one_of_code_or_token(self, data, **kwargs):
        if ("code" in data) == ("token" in data):
            raise ValidationError("Send either code (staff) or token (resident).")


class CheckInOut(Schema):
    id = fields.Integer(required=True)
    activity_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    method = fields.String(required=True, metadata={"description": "member, rotating or staff"})
    at = fields.AwareDateTime(required=True)
    walk_in = fields.Boolean(required=True, metadata={
        "description": "Checked in without a place on the activity (未报名)."})


class CheckInListOut(Schema):
    checkins = fields.List(fields.Nested(CheckInOut), required=True)


def checkin_row(checkin, person, walk_in):
    return {"id": checkin.id, "activity_id": checkin.activity_id, "user_id": person.id,
            "name": person.name, "method": checkin.method, "at": checkin.at, "walk_in": walk_in}


class Hours(fields.Field):
    """Hours as a decimal string (``"1.5"``) or a JSON number; checked by the service."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError("Not a valid number of hours.")
        return str(value)


class AttendeeIn(Schema):
    user_id = fields.Integer(required=True, validate=ID)
    hours = Hours(load_default=None, allow_none=True, metadata={
        "type": "string", "description": "Per-hour types only: the hours to credit "
                                         "(default: the activity's)."})


class AttendanceIn(Schema):
    attendees = fields.List(fields.Nested(AttendeeIn), required=True,
                            validate=validate.Length(max=MAX_ATTENDEES))


class CreditLineOut(Schema):
    user_id = fields.Integer(required=True, attribute="person.id")
    name = fields.String(required=True, attribute="person.name")
    hours = fields.Function(lambda line: hours_text(line.hours) or None,
                            metadata={"type": "string", "nullable": True})
    points = Points(required=True, attribute="granted", metadata={
        "description": "Credited, after the caps.", "example": "20"})
    points_before_cap = Points(required=True, attribute="asked", metadata={
        "description": "What the rule gave before the caps.", "example": "20"})
    cut_by = Points(required=True)
    cut_by_cap = fields.Boolean(required=True)


class AttendanceOut(Schema):
    activity_id = fields.Integer(required=True, attribute="activity.id")
    status = fields.String(required=True, attribute="activity.status")
    confirmed_at = fields.AwareDateTime(required=True, attribute="activity.confirmed_at")
    points = Points(required=True, attribute="total")
    credits = fields.List(fields.Nested(CreditLineOut), required=True, attribute="lines")


class MemberCardOut(Schema):
    code = fields.String(required=True, metadata={"example": "K7QM2XHD5"})
    display = fields.Function(lambda card: codes.display(card.code),
                              metadata={"type": "string", "example": "K7QM-2XHD-5"})
    qr_text = fields.Function(lambda card: member_qr_text(card.code), metadata={
        "type": "string", "description": "What the member QR encodes.",
        "example": "JFM:K7QM2XHD5"})
    issued_at = fields.AwareDateTime(required=True)
