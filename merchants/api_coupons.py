"""``/api/v1/coupons``: the office's coupon rules and issuing a month (积分券), and
``/api/v1/me/coupons``: a resident's coupons and using one at a shop.

The same services as the pages (``merchants.coupons``): the rules' checks, the budget
counted once under the rule's lock, one coupon per resident, rule and month.
"""
from decimal import Decimal

from flask import current_app, g
from marshmallow import Schema, fields, validate

from merchants import coupons
from merchants.schemas import POINTS_PATTERN, Points, ShopRefOut, VoucherOut
from points import months
from points.api import Blueprint, office_community, token_required
from points.api.idempotency import idempotent
from points.api.wallet_schemas import Points as PointsOut
from points.auth import roles
from points.extensions import db
from points.ids import ID
from points.residents.acting import acting_as_self
from points.timeutil import utcnow

blp = Blueprint("api_coupons", __name__, url_prefix="/api/v1",
                description="Monthly point coupons: the office's rules and issuing, a resident's coupons")
BEARER = [{"bearer": []}]
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="A month as YYYY-MM.")


class WholeOrZero(fields.Integer):
    """A whole number of points, zero allowed, given as a string or an integer: a Decimal."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (bool, float)):
            raise self.make_error("invalid")
        return Decimal(super()._deserialize(value, attr, data, **kwargs))


class CommunityQueryIn(Schema):
    community = fields.String(validate=validate.Length(min=1, max=32), metadata={
        "description": "A community's code (district administrators; others act in their own)."})


class RuleMonthQueryIn(CommunityQueryIn):
    month = fields.String(validate=MONTH, metadata={"description": "YYYY-MM, default this month"})


class RuleIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    min_points = WholeOrZero(required=True, strict=False, validate=validate.Range(min=0, max=10**7),
                             metadata={"description": "Approved points of the month needed"})
    points = Points(required=True, metadata={"description": "The coupon's value", **POINTS_PATTERN})
    budget = Points(required=True, metadata={"description": "Most points issued by the rule a month",
                                             **POINTS_PATTERN})
    valid_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=366))
    active = fields.Boolean(load_default=True)


class IssueIn(Schema):
    month = fields.String(required=True, validate=MONTH)


class RuleOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    min_points = PointsOut(required=True)
    points = PointsOut(required=True)
    budget = PointsOut(required=True)
    valid_days = fields.Integer(required=True)
    active = fields.Boolean(required=True)


class RuleMonthOut(Schema):
    rule = fields.Nested(RuleOut, required=True)
    issued = fields.Integer(required=True)
    used = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    points = PointsOut(required=True)


class RuleListOut(Schema):
    month = fields.String(required=True)
    rules = fields.List(fields.Nested(RuleMonthOut), required=True)


class IssueOut(Schema):
    month = fields.String(required=True)
    issued = fields.Integer(required=True)
    skipped_by_budget = fields.Integer(required=True)
    already = fields.Integer(required=True)
    eligible = fields.Integer(required=True)
    points = PointsOut(required=True, attribute="points_issued")


class MyCouponOut(Schema):
    id = fields.Integer(required=True, attribute="coupon.id")
    name = fields.String(required=True, attribute="rule.name")
    points = PointsOut(required=True, attribute="coupon.points")
    month = fields.String(required=True, attribute="coupon.month")
    status = fields.String(required=True, attribute="coupon.status",
                           metadata={"enum": ["issued", "used", "expired"]})
    usable = fields.Boolean(required=True)
    last_day = fields.Date(required=True)
    voucher_id = fields.Integer(allow_none=True, metadata={
        "description": "The voucher made from it that waits to be scanned, if any."})


class MyCouponsOut(Schema):
    coupons = fields.List(fields.Nested(MyCouponOut), required=True)
    shops = fields.List(fields.Nested(ShopRefOut), required=True, metadata={
        "description": "Partner shops where a coupon can be used."})


class UseIn(Schema):
    merchant_id = fields.Integer(required=True, strict=True, validate=ID)


@blp.get("/coupons/rules")
@token_required(*roles.OFFICE_ROLES)
@blp.arguments(RuleMonthQueryIn, location="query", as_kwargs=True)
@blp.response(200, RuleListOut)
@blp.doc(security=BEARER)
def rules(month=None, community=None):
    """The community's rules, each with its coupons of ``month`` counted by status."""
    place = office_community(community)
    month = month or months.month_of(utcnow())
    rows = coupons.month_overview(db.session, place.id, month)
    return {"month": month, "rules": [vars(row) for row in rows]}


@blp.post("/coupons/rules")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(CommunityQueryIn, location="query", as_kwargs=True)
@blp.arguments(RuleIn)
@blp.response(201, RuleOut)
@blp.doc(security=BEARER)
def create_rule(data, community=None):
    """A new rule: each month, residents with ``min_points`` approved points get a
    coupon of ``points``, valid ``valid_days`` days, until ``budget`` is spent."""
    return coupons.save_rule(db.session, actor=g.user, community=office_community(community),
                             values=data, now=utcnow())


@blp.put("/coupons/rules/<int:rule_id>")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(CommunityQueryIn, location="query", as_kwargs=True)
@blp.arguments(RuleIn)
@blp.response(200, RuleOut)
@blp.doc(security=BEARER)
def change_rule(data, rule_id, community=None):
    """Change a rule; coupons already issued keep their value and last day."""
    return coupons.save_rule(db.session, actor=g.user, community=office_community(community),
                             values=data, rule_id=rule_id, now=utcnow())


@blp.post("/coupons/rules/<int:rule_id>/issue")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(CommunityQueryIn, location="query", as_kwargs=True)
@blp.arguments(IssueIn)
@blp.response(200, IssueOut)
@blp.alt_response(409, description="Another issuing of this rule ran at the same moment.")
@blp.doc(security=BEARER)
def issue(data, rule_id, community=None):
    """Give the month's coupon of the rule to every eligible resident who has not had it,
    most points first, within the budget; running it again gives nothing twice."""
    return coupons.issue_coupons(db.session, actor=g.user, community=office_community(community),
                                 rule_id=rule_id, month=data["month"], now=utcnow())


@blp.get("/me/coupons")
@token_required(roles.RESIDENT)
@blp.response(200, MyCouponsOut)
@blp.doc(security=BEARER)
def my_coupons():
    """The resident's coupons, usable ones first (soonest to end first)."""
    now = utcnow()
    found = coupons.coupons_of(db.session, g.user, now=now)
    return {"coupons": [{"coupon": item.coupon, "rule": item.rule,
                         "usable": coupons.is_usable(item.coupon, now),
                         "last_day": coupons.last_day(item.coupon),
                         "voucher_id": item.voucher.id if item.voucher else None} for item in found],
            "shops": coupons.partner_shops(db.session, g.user.community_id)}


@blp.post("/me/coupons/<int:coupon_id>/vouchers")
@token_required(roles.RESIDENT)
@idempotent
@blp.arguments(UseIn)
@blp.response(201, VoucherOut)
@blp.alt_response(200, schema=VoucherOut, description="The voucher already waiting at this shop.")
@blp.doc(security=BEARER)
def use(data, coupon_id):
    """Use a coupon at a partner shop: a voucher of its value for the clerk to scan.
    Asking again for the same shop returns the waiting voucher (200)."""
    issued = coupons.issue_coupon_voucher(
        db.session, acting=acting_as_self(g.user), coupon_id=coupon_id,
        merchant_id=data["merchant_id"], amount_ttl=current_app.config["VOUCHER_AMOUNT_TTL"],
        now=utcnow())
    return (issued.voucher, 201) if issued.created else (issued.voucher, 200)
