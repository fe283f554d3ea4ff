"""数据看板 and 月度汇总: the dashboard of a community, a grid or the district, and the
printable monthly summary for the street office.

Both pages read ``access.summary_for`` (the figures of ``GET /api/v1/reports/summary``)
for a local month (``?month=YYYY-MM``, this month by default), optionally one grid
(``?grid=<id>``; a grid worker's own grid by default) and, for district administrators,
one community (``?community=<code>``; without it every community summed). A month, grid
or community that cannot be read is said on the page itself (400), with the choosers, so
the reader can pick again; a grid or community out of the reader's reach is 403.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ledger.errors import N_
from points import months
from points.auth import roles
from points.auth.models import User
from points.claims import rules as claim_rules
from points.communities.models import Community
from points.errors import translated
from points.extensions import db
from points.gamification import boards
from points.inspections.services import clean_households
from points.reports import access
from points.reports.errors import BadPeriodError, GridNotFoundError, ReportError
from points.residents.services import grids_in_reach
from points.timeutil import utcnow
from points.web.access import require_role

bp = Blueprint("dashboard", __name__)

staff_only = require_role(*roles.STAFF_ROLES)
TOP_SHARES = 10  # activity types and shops in a chart and its table
TOP_VOLUNTEERS = 10
SERIES_BAR_HEIGHT = 160  # the monthly sheet's SVG: tallest bar, in its own units
STORE_LABEL = N_("社区积分超市")  # the community's own store among the shops
INSPECTIONS_LABEL = N_("家庭卫生评比")  # household inspection awards among the activity types


@dataclass
class Choice:
    """What a page shows and what its choosers offer."""

    month: str
    community: Community | None = None  # None: a district administrator's sum
    grid: object = None  # the Grid shown, None for the whole community
    grids: list = field(default_factory=list)  # the grids the reader may pick
    communities: list = field(default_factory=list)  # district administrators only
    whole_community: bool = True  # whether "the whole community" may be picked

    @property
    def grid_id(self):
        return self.grid.id if self.grid is not None else None

    @property
    def code(self):
        return self.community.code if self.community is not None else None

    def query(self):
        """The query string of this choice, for links between the two pages."""
        args = {"month": self.month, "grid": self.grid_id,
                "community": self.code if self.communities else None}
        return {key: value for key, value in args.items() if value is not None}


# --- formatting (also used by the tests to compare with the figures) -----------------------

def number(value):
    """A whole number of points or people with thousands separators: 12,345."""
    return f"{int(Decimal(value).to_integral_value(ROUND_HALF_UP)):,}"


def yuan(value):
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def percent(ratio):
    """A ratio as a whole percentage (``0.8413`` → ``84%``); a dash when there is none."""
    if ratio is None:
        return "—"
    return f"{(Decimal(ratio) * 100).to_integral_value(ROUND_HALF_UP)}%"


def times(ratio):
    """How many times the fund covers what people hold, one decimal: ``357.1``."""
    return f"{Decimal(ratio).quantize(Decimal('0.1'), ROUND_HALF_UP):,}"


def duration(minutes):
    """Minutes in plain words: 12 分钟, 2 小时 5 分钟, 3 天 4 小时."""
    if minutes is None:
        return "—"
    days, rest = divmod(int(minutes), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s 天 %(hours)s 小时", days=days, hours=hours)
    if hours:
        return _("%(hours)s 小时 %(minutes)s 分钟", hours=hours, minutes=minutes)
    return _("%(minutes)s 分钟", minutes=minutes)


def share_name(share, none_label):
    return share.name if share.key is not None else _(none_label)


@bp.context_processor
def dashboard_helpers():
    return {"number": number, "yuan": yuan, "percent": percent, "times": times,
            "duration": duration, "share_name": share_name, "STORE_LABEL": STORE_LABEL,
            "INSPECTIONS_LABEL": INSPECTIONS_LABEL, "promise_minutes": claim_rules.PROMISE_MINUTES}


# --- reading the choosers ----------------------------------------------------------------

def _grid_arg(text):
    """``?grid``: None when absent or empty; a positive id; ``GridNotFoundError`` else."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) == 0:
        raise GridNotFoundError()
    return int(text)


def _month_arg(text, now):
    if text is None or not text.strip():
        return months.month_of(now)
    if months.first_day(text) is None:
        raise BadPeriodError()
    return text.strip()


def _communities(session):
    return list(session.scalars(select(Community).order_by(Community.name, Community.id)))


def read_choice(session, actor, args, now, choice):
    """Fill ``choice`` from the query ``args`` for ``actor``; raises ``ReportError`` on a
    month or grid that cannot be read (``choice`` keeps what was understood). Whether
    the grid or community may be read is ``access.summary_for``'s to say."""
    choice.month = _month_arg(args.get("month"), now)
    grid_id = _grid_arg(args.get("grid"))
    if actor.role == roles.DISTRICT_ADMIN:
        choice.communities = _communities(session)
        code = (args.get("community") or "").strip()
        choice.community = next((c for c in choice.communities if code and c.code == code), None)
    elif actor.community_id is not None:
        choice.community = session.get(Community, actor.community_id)
    if choice.community is not None:
        choice.grids = grids_in_reach(session, actor=actor, community=choice.community)
        choice.whole_community = actor.role != roles.GRID_WORKER
        if grid_id is None and not choice.whole_community and choice.grids:
            grid_id = choice.grids[0].id  # a grid worker's own grid by default
    choice.grid = next((grid for grid in choice.grids if grid.id == grid_id), None)
    if grid_id is not None and choice.grid is None:
        choice.grid = _Unlisted(grid_id)  # summary_for refuses it: 403, not found or no community


@dataclass(frozen=True)
class _Unlisted:
    """A grid asked for that is not among the reader's (the figures say why not)."""

    id: int
    name: str = ""


# --- what the charts draw ------------------------------------------------------------------

def chart_data(found):
    """The numbers ``static/js/dashboard.js`` draws, with their labels (the tables beside
    the charts show the same numbers)."""
    activities = found.activities[:TOP_SHARES]
    shops = found.shops[:TOP_SHARES]
    return {
        "series": {"labels": [row.month for row in found.series],
                   "datasets": [{"label": _("发放"), "data": [int(row.issued) for row in found.series]},
                                {"label": _("兑换"), "data": [int(row.redeemed) for row in found.series]}]},
        "flows": {"labels": [_("发放"), _("兑换"), _("过期")],
                  "datasets": [{"label": _("积分"),
                                "data": [int(found.issued), int(found.redeemed), int(found.expired)]}]},
        "coverage": {"labels": [_("未使用积分折合"), _("社区基金余额")],
                     "datasets": [{"label": _("元"), "data": [str(found.outstanding_cny),
                                                              str(found.fund_balance)]}]},
        "participation": {"labels": [_("居民参与率"), _("家庭参与率")],
                          "datasets": [{"label": "%", "data": [_percent_value(found.participation),
                                                               _percent_value(found.household_participation)]}]},
        "approvals": {"labels": [_("审核用时中位数"), _("承诺时限")],
                      "datasets": [{"label": _("分钟"), "data": [found.median_decision_minutes,
                                                                 claim_rules.PROMISE_MINUTES]}]},
        "activities": {"labels": [share_name(row, INSPECTIONS_LABEL) for row in activities],
                       "datasets": [{"label": _("积分"), "data": [int(row.points) for row in activities]}]},
        "shops": {"labels": [share_name(row, STORE_LABEL) for row in shops],
                  "datasets": [{"label": _("积分"), "data": [int(row.points) for row in shops]}]},
    }


def _percent_value(ratio):
    """A percentage as a decimal string with one place (``"84.1"``): dashboard.js reads it."""
    return None if ratio is None else str((Decimal(ratio) * 100).quantize(Decimal("0.1")))


def series_bars(found, height=SERIES_BAR_HEIGHT):
    """The monthly sheet's bars: ``[(month, issued, redeemed, issued_h, redeemed_h)]``,
    heights scaled so the tallest bar is ``height`` (a server-drawn SVG prints reliably)."""
    top = max([row.issued for row in found.series] + [row.redeemed for row in found.series] + [1])

    def scaled(points):
        return int(Decimal(height) * max(points, 0) / top)

    return [(row.month, row.issued, row.redeemed, scaled(row.issued), scaled(row.redeemed))
            for row in found.series]


# --- the monthly sheet's lists -------------------------------------------------------------

@dataclass(frozen=True)
class Volunteer:
    rank: int
    name: str
    grid: str | None
    points: Decimal


def top_volunteers(session, *, community_id, month, grid_id=None, limit=TOP_VOLUNTEERS):
    """The month's top volunteers by points for work done in it (the month leaderboard,
    so people who chose to stay off the boards are left out), with full names: the
    sheet goes to the street office, not on the wall."""
    board = boards.leaderboard(session, community_id=community_id, period=boards.MONTH, month=month,
                               grid_id=grid_id, limit=limit)
    ids = [row.user_id for row in board.rows]
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [Volunteer(row.rank, names.get(row.user_id, row.name), row.grid, row.points)
            for row in board.rows]


def month_lists(found, choice):
    """The volunteers and 清洁户 of a community's (or grid's) month; none for a district."""
    if found.community_id is None:
        return {"volunteers": None, "clean": None}
    grid_ids = [found.grid_id] if found.grid_id is not None else None
    return {"volunteers": top_volunteers(db.session, community_id=found.community_id, month=choice.month,
                                         grid_id=found.grid_id),
            "clean": clean_households(db.session, found.community_id, choice.month, grid_ids)}


# --- pages ---------------------------------------------------------------------------------

def _page(template, extra):
    now = utcnow()
    choice = Choice(month=months.month_of(now))
    try:
        read_choice(db.session, current_user, request.args, now, choice)
        since, until = access.period_of(month=choice.month, now=now)
        code = (request.args.get("community") or "").strip() or None
        found = access.summary_for(db.session, actor=current_user, since=since, until=until,
                                    grid_id=choice.grid_id, community_code=code, now=now)
    except ReportError as error:
        if isinstance(choice.grid, _Unlisted):
            choice.grid = None
        return render_template(template, choice=choice, found=None, error=translated(error),
                               now=now), 400
    return render_template(template, choice=choice, found=found, error=None, now=now,
                           **extra(found, choice))


@bp.get("/staff/dashboard")
@staff_only
def index():
    """数据看板: big numbers, a chart and its table per figure."""
    return _page("staff/dashboard.html", lambda found, choice: {"charts": chart_data(found)})


@bp.get("/staff/monthly")
@staff_only
def monthly():
    """月度汇总: one printable A4 page for the street office."""
    return _page("staff/monthly.html",
                 lambda found, choice: {"bars": series_bars(found), **month_lists(found, choice)})
