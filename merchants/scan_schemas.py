"""Schemas of ``/api/v1/merchant/redemptions``: what a shop's till sends and gets back."""
import re
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate

from points.api.wallet_schemas import OpaqueCursor, Points
from points import months
from points.codes import display

_KEY = re.compile(r"(\d{1,17})\.([1-9]\d{0,18})")
MAX_ID = 2**63 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


class RedemptionIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "What was scanned or typed: the short code (``K7QM-2XHD-5``; case, "
                       "spaces and dashes do not matter), the bare token, or the whole QR URL "
                       "``…/v/<token>``.", "example": "K7QM-2XHD-5"})


class RefundIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "Why the redemption is given back (required, shown to the resident "
                       "and in the audit log).", "example": "顾客退货"})


class RedemptionCursor(OpaqueCursor):
    """``(redeemed_at, id)`` of the last redemption of a page."""

    max_length = 60

    def to_text(self, value):
        at, voucher_id = value
        return f"{(at - EPOCH) // _MICROSECOND}.{voucher_id}"

    def from_text(self, text):
        found = _KEY.fullmatch(text)
        if not found or int(found[2]) > MAX_ID:
            return None
        try:
            return EPOCH + int(found[1]) * _MICROSECOND, int(found[2])
        except OverflowError:
            return None


def encode_cursor(value):
    """``(redeemed_at, id)`` → the opaque text the page's links carry (None stays None)."""
    return RedemptionCursor().serialize("cursor", {"cursor": value})


def a_month(text):
    if months.first_day(text) is None:
        raise ValidationError("YYYY-MM")


class RedemptionQueryIn(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                           metadata={"description": "Redemptions per page, 1–100 (default 20)."})
    cursor = RedemptionCursor(load_default=None, metadata={
        "description": "``next_cursor`` of the previous page; omit for the newest."})
    period = fields.String(load_default=None,
                           validate=a_month,
                           metadata={"description": "Only this local month, ``YYYY-MM``.",
                                     "pattern": r"^([2-8]\d{3}|9\d{2}[0-8])-(0[1-9]|1[0-2])$",
                                     "example": "2026-11"})


class RedemptionOut(Schema):
    id = fields.Integer(required=True, attribute="voucher.id",
                        metadata={"description": "The voucher's id."})
    code = fields.Function(lambda r: display(r.voucher.code), required=True,
                           metadata={"type": "string", "example": "K7QM-2XHD-5"})
    title = fields.String(required=True, attribute="voucher.title",
                          metadata={"description": "What the shop hands over."})
    points = Points(required=True, attribute="voucher.points", metadata={"example": "120"})
    status = fields.String(required=True, attribute="voucher.status",
                           metadata={"description": "``redeemed`` or ``refunded``."})
    resident = fields.String(required=True, attribute="resident_name",
                             metadata={"description": "The resident's name, masked.",
                                       "example": "王**"})
    merchant_id = fields.Integer(allow_none=True, attribute="voucher.merchant_id",
                                 metadata={"description": "Null: the community store."})
    redeemed_at = fields.AwareDateTime(required=True, attribute="voucher.redeemed_at")
    refunded_at = fields.AwareDateTime(allow_none=True, attribute="voucher.refunded_at")
    refund_reason = fields.String(attribute="voucher.refund_reason")


class RedemptionPageOut(Schema):
    redemptions = fields.List(fields.Nested(RedemptionOut), required=True)
    next_cursor = RedemptionCursor(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next (older) page; null on the last page."})

