"""Schemas of ``/api/v1/settlements``: shape and format only (whether the month has ended,
the shop exists and the fund covers it is the service's to say)."""
from marshmallow import Schema, fields, validate

import ledger
from points.api.wallet_schemas import Points
from points.ids import ID

PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, e.g. 2026-11.")


class Yuan(fields.String):
    """A yuan amount as a decimal string with two decimals (``"12.30"``); never a float."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else ledger.format_amount(value, ledger.CNY)


class SettlementIn(Schema):
    merchant_id = fields.Integer(required=True, strict=True, validate=ID)
    period = fields.String(required=True, validate=PERIOD, metadata={
        "example": "2026-11", "description": "A local (Asia/Shanghai) month that has ended."})


class SettlementQueryIn(Schema):
    merchant_id = fields.Integer(load_default=None, validate=ID)
    period = fields.String(load_default=None, validate=PERIOD, metadata={"example": "2026-11"})


class PaidIn(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={
        "description": "The payment's reference, e.g. the bank transfer number."})


class StatementLineOut(Schema):
    voucher_id = fields.Integer(attribute="voucher.id", required=True)
    code = fields.String(attribute="voucher.code", required=True)
    redeemed_at = fields.AwareDateTime(attribute="voucher.redeemed_at", required=True)
    title = fields.String(attribute="voucher.title", required=True)
    points = Points(attribute="voucher.points", required=True)
    resident = fields.String(attribute="resident_name", required=True, metadata={
        "description": "Masked: the first character, then stars."})
    funding = fields.String(attribute="voucher.funding", required=True, metadata={
        "description": "``wallet`` or ``coupon`` (a 积分券)."})
    status = fields.String(attribute="voucher.status", required=True, metadata={
        "description": "``redeemed``, or ``refunded`` (netted out of the total)."})
    refunded_at = fields.AwareDateTime(attribute="voucher.refunded_at", allow_none=True)
    refund_reason = fields.String(attribute="voucher.refund_reason")


class SettlementSummaryOut(Schema):
    id = fields.Integer(attribute="settlement.id", required=True)
    merchant_id = fields.Integer(attribute="merchant.id", required=True)
    merchant_name = fields.String(attribute="merchant.name", required=True)
    period = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "``settled`` or ``paid``."})
    points = Points(required=True, metadata={"description": "Redeemed points net of refunds."})
    points_per_yuan = Points(attribute="rate", required=True)
    amount_cny = Yuan(required=True, metadata={"example": "2.74"})
    voucher_count = fields.Integer(required=True, metadata={
        "description": "Redemptions that count (refunded ones left out)."})
    settled_at = fields.AwareDateTime(attribute="settlement.settled_at", required=True)
    paid_at = fields.AwareDateTime(attribute="settlement.paid_at", allow_none=True)
    payment_reference = fields.String(attribute="settlement.payment_reference")


class SettlementOut(SettlementSummaryOut):
    redeemed_points = Points(required=True)
    refunded_points = Points(required=True)
    lines = fields.List(fields.Nested(StatementLineOut), required=True)


class SettlementListOut(Schema):
    settlements = fields.List(fields.Nested(SettlementSummaryOut), required=True)
