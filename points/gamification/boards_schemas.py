"""Schemas of ``/api/v1/leaderboard``, ``/api/v1/leaderboard/grids`` and
``/api/v1/me/leaderboard``: shape and format only (grids, months and choices are checked
by ``points.gamification.boards``). Points are decimal strings."""
import re

from marshmallow import Schema, fields, validate

from points.api.wallet_schemas import Points
from points.gamification import boards

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, e.g. 2026-11.")
_GRID = re.compile(r"[1-9][0-9]{0,8}")


class GridParam(fields.String):
    """``mine`` (the caller's own grid) or a grid id; loaded as ``"mine"`` or an int."""

    default_error_messages = {"invalid": "Use a grid id or 'mine'."}

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if raw == boards.MINE:
            return raw
        if not _GRID.fullmatch(raw):
            raise self.make_error("invalid")
        return int(raw)


class PeriodQueryIn(Schema):
    period = fields.String(load_default=boards.MONTH, validate=validate.OneOf(boards.PERIODS),
                           metadata={"description": "``month`` (default) or ``all``."})
    month = fields.String(load_default=None, validate=MONTH, metadata={
        "description": "``YYYY-MM`` of a month board (local calendar); default this month. "
                       "Ignored for ``all``.", "example": "2026-11"})


class BoardQueryIn(PeriodQueryIn):
    grid = GridParam(load_default=None, metadata={
        "description": "A grid id of the community, or ``mine`` (the caller's grid); "
                       "omit for the whole community.", "pattern": "^(mine|[1-9][0-9]{0,8})$"})
    limit = fields.Integer(load_default=boards.DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=boards.MAX_LIMIT),
                           metadata={"description": "Entries, 1–100 (default 20)."})


class EntryOut(Schema):
    rank = fields.Integer(required=True, metadata={"description": "Equal points share a rank."})
    name = fields.String(required=True, metadata={
        "description": "Masked (王**) unless the person chose their full name."})
    grid = fields.String(allow_none=True, required=True, metadata={"description": "Grid name."})
    points = Points(required=True, metadata={"example": "120"})


class OwnRankOut(Schema):
    rank = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The caller's rank; for a hidden person the rank they would have; "
                       "null without points on this board."})
    points = Points(required=True)
    ranked = fields.Integer(required=True, metadata={"description": "People listed on this board."})
    hidden = fields.Boolean(required=True, metadata={"description": "The caller chose to stay off."})
    choice = fields.String(required=True, metadata={"enum": list(boards.CHOICES)})
    shown_as = fields.String(allow_none=True, required=True, metadata={
        "description": "The name others see; null when hidden."})


class BoardOut(Schema):
    period = fields.String(required=True, metadata={"enum": list(boards.PERIODS)})
    month = fields.String(allow_none=True, required=True, metadata={
        "description": "``YYYY-MM`` of a month board; null for ``all``."})
    grid_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The grid ranked; null for the whole community."})
    entries = fields.List(fields.Nested(EntryOut), required=True)
    me = fields.Nested(OwnRankOut, allow_none=True, required=True, metadata={
        "description": "The caller's own place; null for staff, who have no rank."})


class GridEntryOut(Schema):
    rank = fields.Integer(required=True)
    grid_id = fields.Integer(required=True)
    name = fields.String(required=True)
    points = Points(required=True, metadata={"description": "Everyone of the grid counts."})
    participants = fields.Integer(required=True, metadata={
        "description": "People of the grid with points on this board."})


class GridBoardOut(Schema):
    period = fields.String(required=True, metadata={"enum": list(boards.PERIODS)})
    month = fields.String(allow_none=True, required=True)
    grids = fields.List(fields.Nested(GridEntryOut), required=True)


class ChoiceIn(Schema):
    choice = fields.String(required=True, metadata={
        "enum": list(boards.CHOICES),
        "description": "``named`` (full name), ``masked`` (王**, the default) or ``hidden`` "
                       "(off every board; you still see your own rank)."})


class ChoiceOut(Schema):
    choice = fields.String(required=True, metadata={"enum": list(boards.CHOICES)})
    shown_as = fields.String(allow_none=True, required=True)
