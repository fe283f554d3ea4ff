"""Schemas of ``GET /api/v1/reports/summary``: amounts and ratios as decimal strings."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Points
from points.ids import ID

RATIO_PLACES = Decimal("0.0001")
CNY_PLACES = Decimal("0.01")


class Yuan(fields.String):
    """Yuan as a decimal string with two places (``"12.50"``); never a float."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(Decimal(value).quantize(CNY_PLACES))


class Ratio(fields.String):
    """A ratio as a decimal string with four places (``"0.8400"``), null when undefined."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(Decimal(value).quantize(RATIO_PLACES))


class SummaryQueryIn(Schema):
    month = fields.String(metadata={"description": "A local month YYYY-MM (default: this month)"},
                          validate=validate.Length(max=7))
    since = fields.Date(metadata={"description": "First local day (with until, instead of month)"})
    until = fields.Date(metadata={"description": "Local day after the last one (exclusive)"})
    grid = fields.Integer(strict=False, validate=ID,
                          metadata={"description": "One grid of the community"})
    community = fields.String(validate=validate.Length(min=1, max=32),
                              metadata={"description": "A community's code (district admins)"})


class PeriodOut(Schema):
    since = fields.DateTime()
    until = fields.DateTime()


class PointsOut(Schema):
    issued = Points()
    redeemed = Points()
    expired = Points()
    outstanding = Points()
    outstanding_cny = Yuan()


class FundOut(Schema):
    balance = Yuan(attribute="fund_balance")
    coverage = Ratio()


class ParticipationOut(Schema):
    residents = fields.Integer()
    active_residents = fields.Integer()
    rate = Ratio(attribute="participation")
    households = fields.Integer()
    households_this_year = fields.Integer()
    household_rate = Ratio(attribute="household_participation")


class ApprovalsOut(Schema):
    waiting = fields.Integer(attribute="approvals_waiting")
    decided_30_days = fields.Integer()
    median_minutes = fields.Integer(attribute="median_decision_minutes", allow_none=True)


class MonthOut(Schema):
    month = fields.String()
    issued = Points()
    redeemed = Points()


class ShareOut(Schema):
    key = fields.Integer(allow_none=True, metadata={
        "description": "The activity type's or shop's id; null for household inspections (activities) "
                       "or the community's own points store (shops), and in a district's sum"})
    name = fields.String(metadata={"description": "The type's or shop's name"})
    count = fields.Integer(metadata={"description": "Transfers counted, less those undone "
                                                    "(reversed credits, refunds)"})
    points = Points(metadata={"description": "Net points, a decimal string"})


class SummaryOut(Schema):
    computed_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Every community summed (district admins): when the stored figures were "
                       "computed (``flask reports refresh``, every 15 minutes); null: computed now"})
    period = fields.Nested(PeriodOut)
    community = fields.String(allow_none=True)
    grid = fields.Integer(allow_none=True)
    points = fields.Nested(PointsOut)
    fund = fields.Nested(FundOut)
    participation = fields.Nested(ParticipationOut)
    approvals = fields.Nested(ApprovalsOut)
    monthly = fields.List(fields.Nested(MonthOut))
    activities = fields.List(fields.Nested(ShareOut), metadata={
        "description": "Earned points of the period by activity type, most points first; they sum "
                       "to the earn part of points.issued (grants and coupons are not split)"})
    shops = fields.List(fields.Nested(ShareOut), metadata={
        "description": "Redeemed points of the period by shop, most points first; they sum to "
                       "points.redeemed"})
