"""Schemas of ``/api/v1/me/progress`` and ``/api/v1/credits/{id}/reverse``: shapes and
formats only. Points are decimal strings, never floats."""
from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Points

REASON_LIMIT = 200


class Figure(fields.String):
    """A count or hours as a decimal string without trailing zeros (``"12"``, ``"99.5"``)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value.normalize(), "f")


class NextLevelOut(Schema):
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    threshold = Points(required=True, metadata={"example": "500"})
    points_to_go = Points(required=True, metadata={
        "description": "Lifetime points still needed to reach it.", "example": "380"})


class ProgressLevelOut(Schema):
    number = fields.Integer(required=True, metadata={"description": "1 for the first step."})
    name = fields.String(required=True, metadata={
        "description": "In the request's language for the default ladder; a community's own "
                       "names as its office wrote them.", "example": "志愿能手"})
    threshold = Points(required=True, metadata={"example": "100"})
    points = Points(required=True, metadata={
        "description": "Lifetime earned by volunteering, reversed credits left out; spending "
                       "and expiry never lower it.", "example": "120"})
    percent = fields.Integer(required=True, metadata={
        "description": "Progress from this level to the next, 0–100 (100 at the top)."})
    next = fields.Nested(NextLevelOut, allow_none=True, required=True, metadata={
        "description": "Null at the top level."})


class StreakOut(Schema):
    current = fields.Integer(required=True, metadata={
        "description": "Consecutive months with approved work, up to this month or last "
                       "month (a month without work yet does not break it until it ends)."})
    best = fields.Integer(required=True, metadata={"description": "The longest run of months."})


class EarningCreditOut(Schema):
    id = fields.Integer(required=True)
    work_day = fields.Date(required=True)
    type = fields.String(required=True, metadata={"description": "The activity type's name."})
    points = Points(required=True)


class EarnedByOut(Schema):
    credit = fields.Nested(EarningCreditOut, allow_none=True, required=True, metadata={
        "description": "The credit that crossed the badge's line (counts, hours, a "
                       "category), or null."})
    month = fields.String(allow_none=True, required=True, metadata={
        "description": "``YYYY-MM`` that completed the run (streaks, 清洁之家), or null.",
        "example": "2026-10"})


class ProgressBadgeOut(Schema):
    code = fields.String(required=True, metadata={"example": "first_activity"})
    name = fields.String(required=True, metadata={"description": "In the request's language."})
    description = fields.String(required=True)
    icon = fields.String(required=True, metadata={
        "description": "One character to show large in a coloured disc."})


class EarnedBadgeOut(ProgressBadgeOut):
    awarded_at = fields.AwareDateTime(required=True, metadata={
        "description": "When it was (last) earned."})
    earned_by = fields.Nested(EarnedByOut, required=True)


class LockedBadgeOut(ProgressBadgeOut):
    value = Figure(required=True, metadata={
        "description": "How far the person is: credits, hours, months (decimal string).",
        "example": "7"})
    target = fields.Integer(required=True, metadata={"example": 10})
    percent = fields.Integer(required=True, metadata={"description": "0–100."})


class ProgressBadgesOut(Schema):
    earned = fields.List(fields.Nested(EarnedBadgeOut), required=True, metadata={
        "description": "Newest first."})
    locked = fields.List(fields.Nested(LockedBadgeOut), required=True, metadata={
        "description": "In catalogue order."})


class ProgressOut(Schema):
    level = fields.Nested(ProgressLevelOut, required=True)
    streak = fields.Nested(StreakOut, required=True)
    badges = fields.Nested(ProgressBadgesOut, required=True)


class ReverseIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_LIMIT),
                           metadata={"description": "Why, in words the person will read; at "
                                                    "most 200 characters."})


class CreditTypeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CreditStateOut(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    type = fields.Nested(CreditTypeOut, attribute="activity_type", required=True)
    work_day = fields.Date(required=True)
    hours = Figure(allow_none=True)
    points = Points(required=True)
    created_at = fields.AwareDateTime(required=True)
    reversed = fields.Boolean(required=True)
    reversed_at = fields.AwareDateTime(allow_none=True)
    reversed_by_id = fields.Integer(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
