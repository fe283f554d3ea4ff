"""Schemas of ``/api/v1/inspections``: shape and format only (the month's calendar and the
grid's households are checked by the service)."""
from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Points
from points.ids import ID

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, e.g. 2026-11.")
SCORE = validate.Range(min=0, max=10)


class SheetQueryIn(Schema):
    grid_id = fields.Integer(required=True, validate=ID)
    month = fields.String(required=True, validate=MONTH, metadata={"example": "2026-11"})


class ScoreIn(Schema):
    household_id = fields.Integer(required=True, validate=ID)
    personal = fields.Integer(required=True, strict=True, validate=SCORE,
                              metadata={"description": "个人卫生, 0–10"})
    home = fields.Integer(required=True, strict=True, validate=SCORE,
                          metadata={"description": "家庭环境, 0–10"})
    public = fields.Integer(required=True, strict=True, validate=SCORE,
                            metadata={"description": "公共卫生, 0–10"})


class InspectionIn(Schema):
    grid_id = fields.Integer(required=True, validate=ID)
    month = fields.String(required=True, validate=MONTH, metadata={"example": "2026-11"})
    scores = fields.List(fields.Nested(ScoreIn), required=True,
                         validate=validate.Length(min=1, max=1000))


class CorrectionIn(Schema):
    personal = fields.Integer(required=True, strict=True, validate=SCORE)
    home = fields.Integer(required=True, strict=True, validate=SCORE)
    public = fields.Integer(required=True, strict=True, validate=SCORE)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    revision = fields.Integer(load_default=None, validate=ID, metadata={
        "description": "The revision you corrected from; refused (409) if it changed meanwhile."})


class PolicyOut(Schema):
    item_min = fields.Integer(required=True)
    total_min = fields.Integer(required=True)
    points = Points(required=True, metadata={"description": "Credited to a 清洁户."})


class ScoreOut(Schema):
    id = fields.Integer(required=True)
    household_id = fields.Integer(required=True)
    address = fields.String(attribute="household.address", required=True)
    month = fields.String(required=True)
    personal = fields.Integer(required=True)
    home = fields.Integer(required=True)
    public = fields.Integer(required=True)
    total = fields.Integer(required=True)
    passed = fields.Boolean(required=True, metadata={"description": "清洁户 this month."})
    points = Points(allow_none=True, required=True, metadata={
        "description": "Credited to the household account; null for a fail."})
    revision = fields.Integer(required=True)
    scored_at = fields.AwareDateTime(required=True)
    corrected_at = fields.AwareDateTime(allow_none=True)
    correction_reason = fields.String()


class ResultOut(ScoreOut):
    created = fields.Boolean(required=True, metadata={
        "description": "False: the household was already scored this month; nothing moved."})


class PendingOut(Schema):
    household_id = fields.Integer(attribute="id", required=True)
    address = fields.String(required=True)


class SheetOut(Schema):
    grid_id = fields.Integer(attribute="grid.id", required=True)
    month = fields.String(required=True)
    policy = fields.Nested(PolicyOut, required=True)
    results = fields.List(fields.Nested(ScoreOut), attribute="scored", required=True)
    pending = fields.List(fields.Nested(PendingOut), required=True, metadata={
        "description": "Households of the grid not scored yet this month."})


class SavedOut(Schema):
    inspection_id = fields.Integer(required=True)
    grid_id = fields.Integer(required=True)
    month = fields.String(required=True)
    results = fields.List(fields.Nested(ResultOut), required=True)
