"""Schemas of ``/api/v1/me/balance`` and ``/api/v1/me/statement``."""
import base64
import binascii
import re

from marshmallow import Schema, fields, validate

import ledger

MAX_ENTRY_ID = 2**63 - 1  # ledger ids are BIGINT
_CURSOR = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")


class Points(fields.String):
    """A points amount as a decimal string (``"1234"``, ``"-100"``); never a float."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else ledger.format_amount(value)


class OpaqueCursor(fields.String):
    """A page cursor clients pass back untouched: a subclass's text (``to_text``) in
    base64url without padding. Anything that does not decode to what ``from_text``
    accepts is "invalid" (422), never a 500."""

    default_error_messages = {"invalid": "Not a valid cursor."}
    max_length = 32

    def to_text(self, value):
        raise NotImplementedError

    def from_text(self, text):
        """The value of ``text``, or None when it is not one."""
        raise NotImplementedError

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return base64.urlsafe_b64encode(self.to_text(value).encode()).rstrip(b"=").decode()

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not _CURSOR.fullmatch(raw) or len(raw) > self.max_length:
            raise self.make_error("invalid")
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raise self.make_error("invalid") from None
        found = self.from_text(decoded)
        if found is None:
            raise self.make_error("invalid")
        return found


class Cursor(OpaqueCursor):
    """The last entry id of the page."""

    def to_text(self, value):
        return str(value)

    def from_text(self, text):
        if not _DIGITS.fullmatch(text) or int(text) > MAX_ENTRY_ID:
            return None
        return int(text)


class StatementQueryIn(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                           metadata={"description": "Lines per page, 1–100 (default 20)."})
    cursor = Cursor(load_default=None, metadata={
        "description": "``next_cursor`` of the previous page; omit for the newest lines."})


class BalanceOut(Schema):
    points = Points(required=True, metadata={"description": "Spendable points.", "example": "1234"})
    held = Points(required=True, metadata={
        "description": "Reserved by pending vouchers; already out of ``points``.", "example": "50"})
    lifetime_earned = Points(required=True, metadata={
        "description": "Points ever earned by volunteering (kind ``earn``), less reversals "
                       "of those; spending does not lower it.", "example": "3000"})
    level = fields.Integer(allow_none=True, dump_default=None, metadata={
        "description": "The person's level number on the community's ladder (1 for the "
                       "first step), from lifetime earned points; see /me/progress.",
        "example": 2})
    level_name = fields.String(allow_none=True, dump_default=None, metadata={
        "description": "The level's name (default ladder: in the request's language).",
        "example": "志愿能手"})


class StatementEntryOut(Schema):
    id = fields.Integer(required=True, attribute="entry_id")
    created_at = fields.AwareDateTime(required=True)
    kind = fields.String(required=True)
    amount = Points(required=True, metadata={"description": "Signed: + in, - out.",
                                             "example": "-100"})
    balance_after = Points(required=True)
    description = fields.String(metadata={
        "description": "Plain words in the request's language, naming what the line was "
                       "about (the activity, the shop, the voucher) where known."})


class StatementOut(Schema):
    entries = fields.List(fields.Nested(StatementEntryOut), required=True)
    next_cursor = Cursor(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next (older) page; null on the last page."})
