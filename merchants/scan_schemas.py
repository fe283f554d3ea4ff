"""Schemas of ``/api/v1/merchant/redemptions``: what a shop's till sends and gets back."""
import base64
import binascii
import re
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate

from points.api.wallet_schemas import Points
from points import months
from points.codes import display

_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,60}")
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


def encode_cursor(value):
    """``(redeemed_at, id)`` → the opaque text clients pass back (None stays None)."""
    if value is None:
        return None
    at, voucher_id = value
    raw = f"{(at - EPOCH) // _MICROSECOND}.{voucher_id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class RedemptionCursor(fields.String):
    """An opaque cursor: ``(redeemed_at, id)`` of the last redemption of a page."""

    default_error_messages = {"invalid": "Not a valid cursor."}

    def _serialize(self, value, attr, obj, **kwargs):
        return encode_cursor(value)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not _CURSOR.fullmatch(raw):
            raise self.make_error("invalid")
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raise self.make_error("invalid") from None
        found = _KEY.fullmatch(decoded)
        if not found or int(found[2]) > MAX_ID:
            raise self.make_error("invalid")
        try:
            at = EPOCH + int(found[1]) * _MICROSECOND
        except OverflowError:
            raise self.make_error("invalid") from None
        return at, int(found[2])


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
                                     "pattern": r"^\d{4}-(0[1-9]|1[0-2])$",
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

