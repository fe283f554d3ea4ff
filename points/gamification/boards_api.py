"""Leaderboards in JSON: ``GET /api/v1/leaderboard``, ``GET /api/v1/leaderboard/grids`` and
``PUT /api/v1/me/leaderboard`` (how boards show the caller).

Residents and shop staff read their own community's boards and get their own rank
(``me``); office staff and grid workers read their community's boards. Leaderboards ignore
reversed and expired points (see ``points.gamification.boards``).
"""
from flask import g

from points.api import Blueprint, token_required
from points.auth import roles
from points.extensions import db
from points.gamification import boards
from points.gamification.boards_schemas import (BoardOut, BoardQueryIn, ChoiceIn, ChoiceOut,
                                                GridBoardOut, PeriodQueryIn)
from points.timeutil import utcnow

blp = Blueprint("api_boards", __name__, url_prefix="/api/v1",
                description="Leaderboards (本月/总榜, by grid) and the caller's place on them")

# District administrators belong to no community, so they have no board to read here.
READER_ROLES = roles.WALLET_ROLES | {roles.GRID_WORKER, roles.STAFF, roles.ADMIN}


@blp.get("/leaderboard")
@token_required(*READER_ROLES)
@blp.arguments(BoardQueryIn, location="query", as_kwargs=True)
@blp.response(200, BoardOut)
@blp.doc(security=[{"bearer": []}])
def read_board(period, month, grid, limit):
    """The top people of the caller's community (or of one grid: an id, or ``mine``).

    ``period=month`` ranks the points credited for work done in ``month`` (default this
    month); ``period=all`` ranks points ever earned less expired ones. Reversed credits
    never count. People who chose to stay off are not listed; equal points share a rank.
    ``me`` is the caller's own rank, also when they stay off (``hidden``). Another
    community's grid is 404; ``mine`` without a grid is 422.
    """
    community_id, now = g.user.community_id, utcnow()
    grid_id = boards.resolve_grid(db.session, community_id=community_id, person=g.user, grid=grid)
    board = boards.leaderboard(db.session, community_id=community_id, period=period, month=month,
                               grid_id=grid_id, limit=limit, now=now)
    me = None
    if g.user.role in roles.WALLET_ROLES:
        me = boards.own_rank(db.session, g.user, period=period, month=board.month,
                             grid_id=grid_id, now=now)
    return {"period": board.period, "month": board.month, "grid_id": board.grid_id,
            "entries": board.rows, "me": me}


@blp.get("/leaderboard/grids")
@token_required(*READER_ROLES)
@blp.arguments(PeriodQueryIn, location="query", as_kwargs=True)
@blp.response(200, GridBoardOut)
@blp.doc(security=[{"bearer": []}])
def read_grid_board(period, month):
    """网格比拼: every grid of the caller's community by its people's points (everyone
    counts, also people who stay off the person boards), with how many took part."""
    now = utcnow()
    board_month = boards.board_month(period, month, now)
    return {"period": period, "month": board_month,
            "grids": boards.grid_board(db.session, g.user.community_id, period, board_month)}


@blp.put("/me/leaderboard")
@token_required(*roles.WALLET_ROLES)
@blp.arguments(ChoiceIn)
@blp.response(200, ChoiceOut)
@blp.doc(security=[{"bearer": []}])
def set_choice(data):
    """Choose how boards show you: ``named``, ``masked`` (王**) or ``hidden``. Recorded in
    the audit log; an unknown choice is 422 and changes nothing."""
    person = boards.set_leaderboard_choice(db.session, user=g.user, choice=data["choice"],
                                           now=utcnow())
    return {"choice": person.leaderboard,
            "shown_as": boards.shown_name(person.name, person.leaderboard)}
