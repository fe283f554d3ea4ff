"""``GET /api/v1/reports/summary``: the contract's figures for staff, refused to others.

The figures are ``points.reports.figures.summary`` (the dashboard reads the same)."""
from flask import g
from flask_babel import gettext

from ledger.errors import N_
from points.api import Blueprint, token_required
from points.auth.roles import STAFF_ROLES
from points.communities.models import Community
from points.extensions import db
from points.reports import access
from points.reports.schemas import SummaryOut, SummaryQueryIn
from points.timeutil import utcnow

INSPECTIONS = N_("家庭卫生评比")  # the activities row of inspection awards (key null)
STORE = N_("社区积分超市")  # the shops row of the community's own store (key null)

blp = Blueprint("api_reports", __name__, url_prefix="/api/v1",
                description="Figures of a community for its office and funders")


@blp.get("/reports/summary")
@token_required(*STAFF_ROLES)
@blp.arguments(SummaryQueryIn, location="query", as_kwargs=True)
@blp.response(200, SummaryOut)
@blp.doc(security=[{"bearer": []}])
def summary(month=None, since=None, until=None, grid=None, community=None):
    """Points issued, redeemed and expired in the period; outstanding points now and their
    yuan value; the fund and its coverage; participation; approvals; 12 months of series.

    Period: ``month=YYYY-MM`` (default this month) or ``since``/``until`` local days,
    ``until`` exclusive, at most a year. Office staff and admins read their community,
    optionally one ``grid``; grid workers one of their grids (their only grid by
    default; 422 ``grid_required`` when they have several); district admins a community
    by ``community`` code or every community summed. Residents and shops get 403.
    Amounts are decimal strings, ratios decimal strings with 4 places or null when
    the denominator is 0. Fund, coverage and approvals are community-wide, also per grid.

    ``activities`` splits the earned points (credits less reversed ones, and household
    inspection awards as ``key`` null) by activity type; ``shops`` splits ``redeemed``
    (less refunds) by shop, the community's own points store as ``key`` null. Each row is
    ``{key, name, count, points}``, most points first; a district's sum merges rows by
    name, all with ``key`` null.
    """
    now = utcnow()
    start, end = access.period_of(month=month, since=since, until=until, now=now)
    found = access.summary_for(db.session, actor=g.user, since=start, until=end, grid_id=grid,
                                community_code=community, now=now)
    code = None
    if found.community_id is not None:
        code = db.session.get(Community, found.community_id).code
    return {"period": {"since": start, "until": end}, "community": code, "grid": found.grid_id,
            "points": found, "fund": found, "participation": found, "approvals": found,
            "monthly": found.series, "activities": _shares(found.activities, INSPECTIONS),
            "shops": _shares(found.shops, STORE), "computed_at": found.computed_at}


def _shares(shares, unnamed):
    """The rows of a split; the row without a name (key null) named ``unnamed``, translated."""
    return [{"key": share.key, "name": share.name or gettext(unnamed), "count": share.count,
             "points": share.points} for share in shares]
