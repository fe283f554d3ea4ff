"""Who may read which figures, and for which period: the rules in front of ``figures``
and the district's stored copy (``snapshots``), for the dashboard pages, the monthly sheet,
the report tables and ``GET /api/v1/reports/summary``."""
from datetime import timedelta

from sqlalchemy import select

from points import months
from points.auth.models import GridAssignment
from points.auth.roles import DISTRICT_ADMIN, GRID_WORKER, STAFF_ROLES
from points.communities.models import Community, Grid
from points.errors import ForbiddenError
from points.reports import figures, snapshots
from points.reports.errors import (
    BadPeriodError,
    CommunityNotFoundError,
    DistrictGridError,
    GridNotFoundError,
    GridRequiredError,
)
from points.reports.figures import ALL
from points.timeutil import start_of_local_date

MAX_PERIOD = timedelta(days=366)


def period_of(*, month=None, since=None, until=None, now):
    """``(since, until)`` aware UTC moments of a local month ``YYYY-MM`` (default: this
    month) or of local days ``since`` (inclusive) to ``until`` (exclusive), at most a
    year; ``BadPeriodError`` otherwise."""
    if month is not None:
        if since is not None or until is not None:
            raise BadPeriodError()
        first = months.first_day(month)
        if first is None:
            raise BadPeriodError()
        return months.moments_of(first)
    if since is None and until is None:
        return months.moments_of(months.this_month(now))
    if since is None or until is None or not since < until or until - since > MAX_PERIOD:
        raise BadPeriodError()
    return start_of_local_date(since), start_of_local_date(until)


def _grid_of(session, community_id, grid_id):
    grid = session.scalar(select(Grid).where(Grid.id == grid_id, Grid.community_id == community_id),
                          execution_options=ALL)
    if grid is None:
        raise GridNotFoundError()
    return grid.id


def summary_for(session, *, actor, since, until, grid_id=None, community_code=None, now):
    """The summary ``actor`` may read. Office staff and admins: their community (or one of
    its grids). Grid workers: one of their own grids (their only one when none is named).
    District admins: a community by code (or one of its grids), else every community
    summed. Everyone else: ``ForbiddenError``."""
    role = actor.role
    if role not in STAFF_ROLES:
        raise ForbiddenError()
    if role == DISTRICT_ADMIN:
        if community_code is None:
            if grid_id is not None:
                raise DistrictGridError()
            return snapshots.district_figures(session, since=since, until=until, now=now)
        community = session.scalar(select(Community).where(Community.code == community_code),
                                   execution_options=ALL)
        if community is None:
            raise CommunityNotFoundError()
        community_id = community.id
    else:
        community_id = actor.community_id
        if community_id is None:
            raise ForbiddenError()
        if community_code is not None:
            own = session.get(Community, community_id)
            if own is None or own.code != community_code:
                raise ForbiddenError()
    if role == GRID_WORKER:
        mine = session.scalars(select(GridAssignment.grid_id).where(GridAssignment.user_id == actor.id)
                               .order_by(GridAssignment.grid_id)).all()
        if grid_id is None:
            if not mine:
                raise ForbiddenError()
            if len(mine) > 1:
                raise GridRequiredError()
            grid_id = mine[0]
        elif grid_id not in mine:
            raise ForbiddenError()
    if grid_id is not None:
        grid_id = _grid_of(session, community_id, grid_id)
    return figures.summary(session, community_id=community_id, since=since, until=until, grid_id=grid_id,
                   now=now)
