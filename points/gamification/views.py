"""Leaderboards, the leaderboard choice and the public honour board (光荣榜).

``/leaderboard`` (本月 or 总榜, the whole community or one grid) and
``/leaderboard/grids`` (网格比拼) are for the community's people: residents and shop staff
who volunteer see their own rank card on top; office staff and grid workers look.
``/me/leaderboard`` is where a person chooses how boards show them. ``/honour/<code>`` is
public, read-only and refreshes itself every minute, for a screen in the community hall.
"""
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import ledger
from ledger.errors import N_
from points import months
from points.auth import roles
from points.errors import translated
from points.extensions import db
from points.gamification import boards
from points.residents.views import in_community
from points.tenancy import scoped_to
from points.timeutil import utcnow
from points.web.access import require_role

bp = Blueprint("gamification", __name__)

# Who may look at a community's boards; people with a wallet also have a rank of their own.
READER_ROLES = roles.WALLET_ROLES | {roles.GRID_WORKER, roles.STAFF, roles.ADMIN,
                                    roles.DISTRICT_ADMIN}
readers = require_role(*READER_ROLES)
HONOUR_REFRESH_SECONDS = 60
SAVED = {boards.NAMED: N_("已保存：排行榜上显示您的全名"),
         boards.MASKED: N_("已保存：排行榜上只显示您的姓"),
         boards.HIDDEN: N_("已保存：您不会出现在排行榜上，自己仍能看到排名")}


@bp.context_processor
def board_helpers():
    return {"points_text": ledger.format_amount, "choice_labels": boards.CHOICE_LABELS,
            "month_before": month_before, "month_after": month_after, "month_parts": month_parts}


def month_parts(month):
    """``(year, month number)`` of ``YYYY-MM``, for "2026 年 11 月"."""
    year, number = month.split("-")
    return year, int(number)


def month_before(month):
    return months.preceding(months.first_day(month)).strftime("%Y-%m")


def month_after(month):
    return months.following(months.first_day(month)).strftime("%Y-%m")


def ranked_person():
    """The signed-in person when they have a rank of their own (a wallet), else None."""
    return current_user if current_user.role in roles.WALLET_ROLES else None


def board_query():
    """``(period, month, grid)`` as the page's query asks (checked by the services)."""
    return (request.args.get("period") or boards.MONTH, request.args.get("month") or None,
            request.args.get("grid") or None)


@bp.get("/leaderboard")
@readers
@in_community
def leaderboard(community):
    period, month, grid = board_query()
    person, now = ranked_person(), utcnow()
    grid_id = boards.resolve_grid(db.session, community_id=community.id, person=current_user,
                                  grid=grid)
    board = boards.leaderboard(db.session, community_id=community.id, period=period,
                               month=month, grid_id=grid_id, now=now)
    mine = (boards.own_rank(db.session, person, period=period, month=board.month,
                            grid_id=grid_id, now=now) if person else None)
    return render_template(
        "resident/leaderboard.html", community=community, board=board, mine=mine,
        person=person, own_grid=boards.grid_of(db.session, current_user),
        grids=boards.grids_of(db.session, community.id), this_month=months.month_of(now))


@bp.get("/leaderboard/grids")
@readers
@in_community
def grids(community):
    period, month, _grid = board_query()
    now = utcnow()
    board_month = boards.board_month(period, month, now)
    rows = boards.grid_board(db.session, community.id, period, board_month, now=now)
    return render_template(
        "resident/leaderboard_grids.html", community=community, rows=rows, period=period,
        month=board_month, own_grid=boards.grid_of(db.session, current_user),
        this_month=months.month_of(now))


@bp.route("/me/leaderboard", methods=["GET", "POST"])
@require_role(*roles.WALLET_ROLES)
def choice():
    if request.method == "POST":
        try:
            boards.set_leaderboard_choice(db.session, user=current_user,
                                          choice=request.form.get("choice", ""), now=utcnow())
        except boards.BoardError as error:
            flash(translated(error), "error")
            return redirect(url_for("gamification.choice"))
        flash(_(SAVED[current_user.leaderboard]), "success")
        return redirect(url_for("gamification.leaderboard"))
    return render_template("resident/leaderboard_choice.html", choices=boards.CHOICES,
                           current=current_user.leaderboard,
                           examples={choice: boards.shown_name(current_user.name, choice)
                                     for choice in boards.CHOICES})


@bp.get("/honour/<code>")
def honour(code):
    """The community's 光荣榜: public, no sign-in, read-only; another community's people
    never show (the session is scoped to this one while it is read)."""
    community = boards.community_by_code(db.session, code)
    with scoped_to(db.session, community.id):
        board = boards.honour_board(db.session, community.id, utcnow())
        body = render_template("public/honour.html", community=community, board=board,
                               refresh=HONOUR_REFRESH_SECONDS)
    response = make_response(body)
    response.headers["Cache-Control"] = "no-cache"
    return response
