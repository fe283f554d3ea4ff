"""Schemas of the claims API: shapes and formats only (rules live in the services)."""
from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Cursor, Points
from points.claims import photos
from points.claims.models import APPROVED, PENDING, REJECTED, SECOND_REVIEW
from points.ids import ID, MAX_ID

STATUSES = (PENDING, SECOND_REVIEW, APPROVED, REJECTED)


class Hours(fields.String):
    """Hours as a decimal string (``"1.5"``); never a float."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value.normalize(), "f")


class ClaimIn(Schema):
    """The fields of a new claim: a JSON body, or the text parts of multipart/form-data."""

    type_id = fields.Integer(required=True, validate=ID,
                             metadata={"description": "An active activity type of the community."})
    work_day = fields.Date(required=True, metadata={
        "description": "Local day the work was done: not in the future, at most 30 days ago."})
    hours = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=12),
                          metadata={"description": "Decimal string, 0 < hours ≤ 24; required "
                                                   "for per-hour types.", "example": "1.5"})
    description = fields.String(required=True, validate=validate.Length(max=5000), metadata={
        "description": "What was done; at most 500 characters after trimming."})
    location = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "Where; required for types with ``location_required`` (hazard reports)."})
    acting_for = fields.Integer(load_default=None, allow_none=True,
                                validate=ID, metadata={
                                    "description": "A resident the signed-in user is the "
                                                   "亲情代理 proxy of; omit to file for oneself."})


class ClaimQueryIn(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES), metadata={
        "description": "Staff: only claims of this status."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = Cursor(load_default=None, metadata={
        "description": "``next_cursor`` of the previous page; omit for the newest claims."})
    community_id = fields.Integer(load_default=None, validate=ID,
                                  metadata={"description": "District administrators only: "
                                                           "the community to list."})


class ApproveIn(Schema):
    points = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                           metadata={"description": "Whole points as a decimal string; omit for "
                                                    "the rule's points. A change needs ``note``.",
                                     "example": "20"})
    note = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "The reason for changed points (required then), at most 200 characters."})


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={
        "description": "Why, in words the resident will read; at most 200 characters."})


class PersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class TypeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "participation | hour"})


class PhotoOut(Schema):
    position = fields.Integer(required=True)
    url = fields.Function(lambda photo: f"/api/v1/claims/{photo.claim_id}/photos/{photo.position}",
                          metadata={"type": "string", "description": "The JPEG (bearer token)."})
    width = fields.Integer()
    height = fields.Integer()
    duplicate_of_claim_id = fields.Integer(allow_none=True, metadata={
        "description": "Staff only (null for residents): the first other claim that used "
                       "the same picture."})


class DecisionOut(Schema):
    approver = fields.Nested(PersonOut, required=True)
    decision = fields.String(required=True, metadata={"description": "approve | reject"})
    points = Points(allow_none=True)
    reason = fields.String()
    at = fields.AwareDateTime(required=True)


class CreditOut(Schema):
    id = fields.Integer(required=True)
    points = Points(required=True)
    created_at = fields.AwareDateTime(required=True)


class ClaimOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": " | ".join(STATUSES)})
    type = fields.Nested(TypeOut, attribute="activity_type", required=True)
    user = fields.Nested(PersonOut, required=True, metadata={"description": "The claimant."})
    filed_by_proxy = fields.Function(lambda claim: claim.filed_by_id != claim.user_id,
                                     metadata={"type": "boolean"})
    work_day = fields.Date(required=True)
    hours = Hours(allow_none=True)
    description = fields.String(required=True)
    location = fields.String()
    points_asked = Points(required=True, metadata={"description": "What the rule gave at filing."})
    points = Points(allow_none=True, metadata={"description": "Credited; null until approved."})
    reject_reason = fields.String()
    created_at = fields.AwareDateTime(required=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    photos = fields.List(fields.Nested(PhotoOut), required=True)
    decisions = fields.List(fields.Nested(DecisionOut), required=True, metadata={
        "description": "Every approver's decision, oldest first."})
    credit = fields.Nested(CreditOut, allow_none=True)


class ClaimListOut(Schema):
    claims = fields.List(fields.Nested(ClaimOut), required=True)
    next_cursor = Cursor(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next (older) page; null on the last page."})


# multipart/form-data has no marshmallow schema: described here for the OpenAPI document.
# The limits of ClaimIn, which loads these parts: unknown parts are refused.
MULTIPART_CLAIM = {
    "type": "object",
    "required": ["type_id", "work_day", "description"],
    "additionalProperties": False,
    "properties": {
        "type_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "work_day": {"type": "string", "format": "date"},
        "hours": {"type": "string", "maxLength": 12, "example": "1.5"},
        "description": {"type": "string", "maxLength": 5000},
        "location": {"type": "string", "maxLength": 1000},
        "acting_for": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"},
                   "description": f"1–3 JPEG, PNG or WebP files of at most "
                                  f"{photos.MAX_BYTES // photos.MB} MB each, told apart by "
                                  f"their content; stored re-encoded, without EXIF/GPS."},
    },
}
