"""Marshmallow schemas of the spending side, shared by the mall, scanning and settlement
APIs: ``VoucherOut`` is the one picture of a voucher every endpoint answers with.

Amounts are decimal strings, never floats; times are aware ISO 8601 (UTC). A voucher's
``status`` is what it is *now*: a held voucher past its time reads ``expired`` even
before ``flask vouchers expire`` has run. ``qr`` is the absolute signed URL the voucher's
QR code carries (``/v/<token>``): a phone's camera opening it lands on the voucher.
"""
from flask import current_app, request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

import ledger
from ledger.errors import InvalidAmountError
from merchants import qr, rules
from merchants.models import EXPIRED
from points import codes
from points.api.wallet_schemas import Cursor
from points.ids import ID
from points.timeutil import utcnow



def voucher_url(voucher):
    """The absolute signed URL in the voucher's QR code (scanning's ``/v/<token>``)."""
    token = qr.voucher_token(current_app.secret_key, voucher)
    if "merchants.open_token" in current_app.view_functions:
        return url_for("merchants.open_token", token=token, _external=True)
    return f"{request.url_root}v/{token}"


def shown_status(voucher, now=None):
    """The voucher's status now: ``expired`` once its time is up, even while still held."""
    return EXPIRED if rules.is_expired(voucher, now or utcnow()) else voucher.status


# Points a client may send, as documented on input fields: a whole number from 1 to
# 999,999,999,999 (within ledger's MAX_AMOUNT). Not on output fields, which may say "0".
POINTS_PATTERN = {"pattern": "^[1-9][0-9]{0,11}$", "example": "120"}


class Points(fields.String):
    """Points as a decimal string (``"120"``). Loading accepts a string or an integer
    (never a float) and gives a positive whole Decimal."""

    default_error_messages = {"invalid": "Not a whole number of points above zero."}

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else ledger.format_amount(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (bool, float)) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        try:
            return ledger.to_points(value)
        except InvalidAmountError:
            raise self.make_error("invalid") from None


class ShopOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    address = fields.String()
    per_bill_cap = Points(metadata={"description": "Most points one bill may be paid with (微消费)."})


class ShopRefOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class VoucherOut(Schema):
    id = fields.Integer(required=True)
    code = fields.Function(lambda voucher: codes.display(voucher.code), required=True, metadata={
        "type": "string", "description": "The short code to read aloud or type, in groups "
                                         "of four, the check character last.",
        "example": "K7QM-2XHD-5"})
    qr = fields.Function(voucher_url, required=True, metadata={
        "type": "string", "description": "The signed URL the voucher's QR code carries."})
    title = fields.String(required=True, metadata={"description": "The item, or the shop "
                                                   "for an amount (微消费)."})
    points = Points(required=True, metadata={"example": "120"})
    status = fields.Function(shown_status, required=True, metadata={
        "type": "string", "enum": ["held", "redeemed", "cancelled", "expired", "refunded"]})
    expires_at = fields.AwareDateTime(required=True)
    created_at = fields.AwareDateTime(required=True)
    offer_id = fields.Integer(allow_none=True)
    merchant = fields.Nested(ShopRefOut, allow_none=True, metadata={
        "description": "The shop where it is used; null: the community's own store."})
    redeemed_at = fields.AwareDateTime(allow_none=True)


class VoucherListOut(Schema):
    vouchers = fields.List(fields.Nested(VoucherOut), required=True)
    next_cursor = Cursor(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next (older) page; null on the last page."})


class OfferOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String()
    kind = fields.String(required=True, metadata={"enum": ["item", "discount"]})
    points = Points(required=True)
    stock = fields.Integer(allow_none=True, metadata={
        "description": "Units left; null: unlimited."})
    sold_out = fields.Function(lambda offer: offer.stock == 0, metadata={"type": "boolean"})
    monthly_limit = fields.Integer(allow_none=True, metadata={
        "description": "Vouchers per resident per month; null: no limit."})
    merchant = fields.Nested(ShopRefOut, allow_none=True, metadata={
        "description": "null: the community's own store (积分超市)."})
    photo = fields.Function(
        lambda offer: url_for("merchants.offer_photo", offer_id=offer.id, _external=True)
        if offer.photo_key else None, metadata={"type": "string", "nullable": True})


class CatalogOut(Schema):
    store = fields.List(fields.Nested(OfferOut), required=True, metadata={
        "description": "Goods of the community's points store."})
    offers = fields.List(fields.Nested(OfferOut), required=True, metadata={
        "description": "Items and discounts of open partner shops."})
    shops = fields.List(fields.Nested(ShopOut), required=True, metadata={
        "description": "Open shops where part of a bill can be paid in points."})


class VoucherIn(Schema):
    """``{"offer_id"}`` for an offer, or ``{"merchant_id", "points"}`` for an amount."""

    offer_id = fields.Integer(validate=ID)
    merchant_id = fields.Integer(validate=ID)
    points = Points(metadata=POINTS_PATTERN)

    @validates_schema
    def one_kind(self, data, **kwargs):
        by_offer = "offer_id" in data
        by_amount = "merchant_id" in data or "points" in data
        if by_offer == by_amount:
            raise ValidationError("Send either offer_id, or merchant_id and points.")
        if by_amount and not ("merchant_id" in data and "points" in data):
            raise ValidationError("An amount needs both merchant_id and points.")


class VoucherListQueryIn(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    status = fields.String(load_default=None, validate=validate.OneOf(rules.SHOWN_STATUSES), metadata={
        "description": "Only vouchers showing this status (``held``: still usable)."})
    cursor = Cursor(load_default=None, metadata={
        "description": "``next_cursor`` of the previous page; omit for the newest vouchers."})
