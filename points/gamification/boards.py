"""Leaderboards, the grid contest and the public honour board (光荣榜): reads only, except
the person's own choice of how boards show them.

Boards read the cached aggregates, never the ledger per person: ``Standing`` (one row a
person) and ``MonthlyTally`` (one row a person and month), which ``refresh_person`` keeps
equal to the credits that stand inside every credit and reversal. A board is one index
range of its community (or grid) and month, so it stays fast with 300,000 residents.

**Leaderboards ignore reversed and expired points.** The month board ranks
``MonthlyTally.points``: points credited for work done in that local month, reversed
credits left out. The all-time board ranks ``Standing.score``: points ever earned by
volunteering (reversed credits left out) less what expiry took from the person's wallet,
never below zero. Grants, coupons and returned vouchers were never earned and do not count;
spending does not lower a score.

Who is listed: active people of the community with more than zero points who did not
choose to stay off the boards (``User.leaderboard == "hidden"``). Names show as the person
chose: masked (王**, the default) or in full; the public honour board always masks.
Equal points share a rank (1, 2, 2, 4) and are listed by user id. A person always sees
their own rank (``own_rank``), also when they chose to stay off: then it is the rank they
would have. The grid contest counts every active person, hidden ones too: its totals name
no one.

The honour board's totals come from the ledger itself, so they reconcile with it; see
``month_totals`` for exactly which transfers count.
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ledger.amounts import POINTS, ZERO
from ledger.errors import N_, DomainError
from ledger.models import Transfer
from points import months
from points.audit import services as audit
from points.auth import roles
from points.auth.models import GridAssignment, User
from points.auth.rules import mask_name
from points.communities.models import Community, Grid
from points.errors import NotFoundError
from points.extensions import unit_of_work
from points.gamification.models import MonthlyTally, Standing
from points.inspections.services import clean_households
from points.timeutil import utcnow

MONTH, ALL = "month", "all"
PERIODS = (MONTH, ALL)
NAMED, MASKED, HIDDEN = "named", "masked", "hidden"
CHOICES = (NAMED, MASKED, HIDDEN)
CHOICE_LABELS = {NAMED: N_("显示全名"), MASKED: N_("只显示姓"), HIDDEN: N_("不上榜")}
MINE = "mine"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
HONOUR_VOLUNTEERS = 10
HONOUR_CLEAN_NAMES = 48  # households named on the wall; the rest are counted

# Transfers that make the honour board's monthly totals (see ``month_totals``).
EARN, REVERSE, REDEEM, REFUND = "earn", "reverse", "redeem", "refund"


# --- errors -----------------------------------------------------------------------------

class BoardError(DomainError):
    code = "board_error"


class UnknownPeriodError(BoardError):
    code = "unknown_period"
    message = N_("排行榜只有“本月”和“总榜”两种")


class BoardMonthError(BoardError):
    code = "invalid_month"
    message = N_("月份的格式应为“2026-11”")


class UnknownChoiceError(BoardError):
    code = "unknown_leaderboard_choice"
    message = N_("请选择一种排行榜显示方式：显示全名、只显示姓或不上榜")


class NoGridError(BoardError):
    code = "no_grid"
    message = N_("您还没有登记网格，请找社区工作人员登记")


# --- what boards return -----------------------------------------------------------------

@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int
    name: str  # as shown: masked unless the person chose their full name
    grid_id: int | None
    grid: str | None
    points: Decimal


@dataclass(frozen=True)
class Board:
    period: str
    month: str | None  # ``YYYY-MM`` of a month board; None for the all-time board
    grid_id: int | None
    rows: list


@dataclass(frozen=True)
class OwnRank:
    """A person's place on one board, shown to them only."""

    period: str
    month: str | None
    grid_id: int | None
    points: Decimal
    rank: int | None  # None: no points on this board (or not in this grid)
    ranked: int  # people listed on this board
    choice: str  # named | masked | hidden
    shown_as: str | None  # the name others see; None when hidden

    @property
    def hidden(self):
        return self.choice == HIDDEN


@dataclass(frozen=True)
class GridRow:
    rank: int
    grid_id: int
    name: str
    points: Decimal
    participants: int  # people of the grid with points on this board


@dataclass(frozen=True)
class MonthTotals:
    earned: Decimal
    redeemed: Decimal


@dataclass(frozen=True)
class CleanGroup:
    grid: str
    count: int
    households: list  # masked names shown (None: no member to name the household by)


@dataclass(frozen=True)
class HonourBoard:
    month: str
    volunteers: list  # BoardRow, names always masked
    participants: int  # active people with points this month, hidden ones too
    clean_count: int
    clean_groups: list  # CleanGroup
    clean_unnamed: int  # 清洁户 beyond the ones named on the wall
    totals: MonthTotals


# --- rules ------------------------------------------------------------------------------

def ensure_known_period(period):
    if period not in PERIODS:
        raise UnknownPeriodError()


def ensure_known_choice(choice):
    if choice not in CHOICES:
        raise UnknownChoiceError()


def board_month(period, month, now):
    """The ``YYYY-MM`` a month board shows (this local month unless given); None for the
    all-time board. Raises ``BoardMonthError`` for anything but ``YYYY-MM``."""
    ensure_known_period(period)
    if period == ALL:
        return None
    if month is None:
        return months.month_of(now or utcnow())
    if months.first_day(month) is None:
        raise BoardMonthError()
    return month.strip()


def shown_name(name, choice):
    """The name a board shows for a person's choice (None: they are not shown)."""
    if choice == HIDDEN:
        return None
    return name if choice == NAMED else mask_name(name)


def competition_ranks(values):
    """Ranks of ``values`` sorted best first, equal values sharing one: 1, 2, 2, 4."""
    ranks, previous = [], None
    for position, value in enumerate(values, start=1):
        ranks.append(ranks[-1] if ranks and value == previous else position)
        previous = value
    return ranks


# --- the sources: one cached row per person (all-time) or per person and month ---------

@dataclass(frozen=True)
class _Source:
    model: type
    points: object  # the column ranked
    where: tuple  # the period's condition


def _source(period, month):
    if period == ALL:
        return _Source(Standing, Standing.score, ())
    return _Source(MonthlyTally, MonthlyTally.points, (MonthlyTally.month == month,))


def _listed(source, community_id, grid_id):
    """Conditions of the people a board lists (joined to ``User``)."""
    scope = (source.model.grid_id == grid_id,) if grid_id is not None else ()
    return (source.model.community_id == community_id, *source.where, *scope,
            source.points > 0, User.active.is_(True), User.leaderboard != HIDDEN)


def _count_listed(session, source, community_id, grid_id, above=ZERO):
    return session.scalar(
        select(func.count()).select_from(source.model)
        .join(User, User.id == source.model.user_id)
        .where(*_listed(source, community_id, grid_id), source.points > above)) or 0


def ensure_grid_of(session, community_id, grid_id):
    """``grid_id`` when it is a grid of the community, else ``NotFoundError``."""
    if grid_id is None:
        return None
    grid = session.get(Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        raise NotFoundError()
    return grid.id


# --- boards -----------------------------------------------------------------------------

def leaderboard(session, *, community_id, period, month=None, grid_id=None, limit=DEFAULT_LIMIT,
                now=None, reveal=True):
    """The top ``limit`` (1–100) people of the community's board, or of one of its grids
    (``grid_id``; another community's grid is ``NotFoundError``). ``period`` is ``month``
    (``month`` ``YYYY-MM``, this local month by default) or ``all``. ``reveal=False``
    masks every name (the public honour board)."""
    month = board_month(period, month, now)
    grid_id = ensure_grid_of(session, community_id, grid_id)
    source = _source(period, month)
    limit = min(max(int(limit), 1), MAX_LIMIT)
    stmt = (select(source.model.user_id, source.points, source.model.grid_id, Grid.name,
                   User.name, User.leaderboard)
            .join(User, User.id == source.model.user_id)
            .outerjoin(Grid, Grid.id == source.model.grid_id)
            .where(*_listed(source, community_id, grid_id))
            .order_by(source.points.desc(), source.model.user_id).limit(limit))
    found = session.execute(stmt).all()
    ranks = competition_ranks([row[1] for row in found])
    rows = [BoardRow(rank, user_id, shown_name(name, choice if reveal else MASKED), row_grid,
                     grid_name, points)
            for rank, (user_id, points, row_grid, grid_name, name, choice)
            in zip(ranks, found, strict=True)]
    return Board(period, month, grid_id, rows)


def own_rank(session, user, *, period, month=None, grid_id=None, now=None):
    """``user``'s rank, points and how many are ranked on one board: always available to
    them, also when they chose to stay off the boards (the rank they would have, and
    ``hidden``). No points on the board, or a grid that is not theirs: ``rank`` None."""
    month = board_month(period, month, now)
    grid_id = ensure_grid_of(session, user.community_id, grid_id)
    source = _source(period, month)
    row = session.execute(select(source.points, source.model.grid_id).where(
        source.model.user_id == user.id, *source.where)).first()
    points = row[0] if row is not None else ZERO
    in_scope = grid_id is None or (row is not None and row[1] == grid_id)
    rank = None
    if points > 0 and in_scope:
        rank = 1 + _count_listed(session, source, user.community_id, grid_id, above=points)
    return OwnRank(period, month, grid_id, points, rank,
                   _count_listed(session, source, user.community_id, grid_id),
                   user.leaderboard, shown_name(user.name, user.leaderboard))


def grid_board(session, community_id, period, month=None, *, now=None):
    """Every grid of the community ranked by its active people's points on the board
    (hidden people count too: a total names no one), with how many took part. Grids
    without points are listed last, sharing the last rank."""
    month = board_month(period, month, now)
    source = _source(period, month)
    totals = (select(source.model.grid_id.label("grid_id"),
                     func.sum(source.points).label("points"),
                     func.count().label("participants"))
              .join(User, User.id == source.model.user_id)
              .where(source.model.community_id == community_id, *source.where,
                     source.points > 0, source.model.grid_id.is_not(None), User.active.is_(True))
              .group_by(source.model.grid_id).subquery())
    stmt = (select(Grid.id, Grid.name, totals.c.points, totals.c.participants)
            .outerjoin(totals, totals.c.grid_id == Grid.id)
            .where(Grid.community_id == community_id))
    found = sorted(((grid, name, points if points is not None else ZERO, people or 0)
                    for grid, name, points, people in session.execute(stmt)),
                   key=lambda row: (-row[2], row[1], row[0]))
    ranks = competition_ranks([row[2] for row in found])
    return [GridRow(rank, *row) for rank, row in zip(ranks, found, strict=True)]


def resolve_grid(session, *, community_id, person, grid):
    """The grid a request asks for: ``"mine"`` (the resident's household grid, a grid
    worker's first grid; ``NoGridError`` without one), a grid id of the community
    (``NotFoundError`` otherwise), or None (the whole community)."""
    if grid in (None, ""):
        return None
    if grid == MINE:
        own = grid_of(session, person)
        if own is None:
            raise NoGridError()
        return own
    if isinstance(grid, str):
        if not grid.isascii() or not grid.isdigit() or len(grid) > 9:
            raise NotFoundError()
        grid = int(grid)
    return ensure_grid_of(session, community_id, grid)


def grid_of(session, person):
    """The person's own grid: their household's, or a grid worker's first; else None."""
    if person is None:
        return None
    if person.household_id is not None:
        return person.household.grid_id
    if person.role == roles.GRID_WORKER:
        return session.scalar(select(func.min(GridAssignment.grid_id))
                              .where(GridAssignment.user_id == person.id))
    return None


def grids_of(session, community_id):
    """The community's grids by name: the scopes a page offers to staff."""
    return list(session.scalars(select(Grid).where(Grid.community_id == community_id)
                                .order_by(Grid.name, Grid.id)))


# --- the person's choice ----------------------------------------------------------------

def set_leaderboard_choice(session, *, user, choice, now):
    """How boards show ``user``: ``named`` (full name), ``masked`` (王**) or ``hidden``
    (left off every board; they still see their own rank). One transaction, recorded in
    the audit log when it changes; an unknown choice is ``UnknownChoiceError`` and
    changes nothing."""
    ensure_known_choice(choice)
    with unit_of_work(session):
        person = session.get(User, user.id, with_for_update=True, populate_existing=True)
        if person is None:
            raise NotFoundError()
        before = person.leaderboard
        if before != choice:
            person.leaderboard = choice
            audit.record(session, actor=person, action="user.leaderboard", obj_type="user",
                         obj_id=person.id, before={"leaderboard": before},
                         after={"leaderboard": choice}, community_id=person.community_id,
                         now=now)
    return person


# --- the public honour board ------------------------------------------------------------

def community_by_code(session, code):
    """The community whose public code is ``code``, else ``NotFoundError``."""
    community = session.scalar(select(Community).where(Community.code == str(code or "")[:32]))
    if community is None:
        raise NotFoundError()
    return community


def month_totals(session, community_id, month):
    """Points earned and redeemed in the community during the local month, from the
    ledger's transfers posted in it (not the month the work was done, which the month
    board counts):

    - earned: ``earn`` transfers (volunteers' credits and 清洁户 household credits) less
      ``reverse`` transfers of ``earn`` ones posted in the month. Grants, coupons and
      vouchers coming back are not earned.
    - redeemed: ``redeem`` transfers (vouchers redeemed at shops and the community store,
      paid from a wallet or a coupon) less ``refund`` transfers posted in the month.
      Holds, releases, expiry and settlement are not redemptions.
    """
    start, end = months.moments_of(months.first_day(month))
    window = (Transfer.community_id == community_id, Transfer.ledger == POINTS,
              Transfer.created_at >= start, Transfer.created_at < end)
    sums = dict(session.execute(
        select(Transfer.kind, func.sum(Transfer.amount))
        .where(*window, Transfer.kind.in_((EARN, REDEEM, REFUND)))
        .group_by(Transfer.kind)).all())
    original = aliased(Transfer)
    reversed_earn = session.scalar(
        select(func.sum(Transfer.amount))
        .join(original, original.id == Transfer.reverses_id)
        .where(*window, Transfer.kind == REVERSE, original.kind == EARN))
    return MonthTotals(_decimal(sums.get(EARN)) - _decimal(reversed_earn),
                       _decimal(sums.get(REDEEM)) - _decimal(sums.get(REFUND)))


def _decimal(amount):
    return Decimal(amount) if amount is not None else ZERO


def _household_names(session, household_ids):
    """``{household_id: masked name}`` of the first active member who did not choose to
    stay off the boards; households without one are left out."""
    names = {}
    if not household_ids:
        return names
    stmt = (select(User.household_id, User.name)
            .where(User.household_id.in_(household_ids), User.active.is_(True),
                   User.leaderboard != HIDDEN, User.role == roles.RESIDENT)
            .order_by(User.household_id, User.id))
    for household_id, name in session.execute(stmt):
        names.setdefault(household_id, mask_name(name))
    return names


def _clean_groups(session, community_id, month):
    """The month's 清洁户 by grid: ``([CleanGroup], count, how many are not named)``."""
    clean = clean_households(session, community_id, month)
    names = _household_names(session, [row.household.id for row in clean])
    order, counts, named = [], {}, {}
    for index, row in enumerate(clean):
        if row.grid.id not in counts:
            order.append((row.grid.id, row.grid.name))
            counts[row.grid.id], named[row.grid.id] = 0, []
        counts[row.grid.id] += 1
        if index < HONOUR_CLEAN_NAMES:
            named[row.grid.id].append(names.get(row.household.id))
    groups = [CleanGroup(name, counts[grid_id], named[grid_id]) for grid_id, name in order]
    return groups, len(clean), max(len(clean) - HONOUR_CLEAN_NAMES, 0)


def honour_board(session, community_id, now):
    """This local month's 光荣榜 of a community, for anyone to see: the top volunteers
    (names always masked, hidden people left out), the 清洁户 households by grid (a masked
    member's name only, never an address or phone), and the points earned and redeemed
    (``month_totals``). The caller scopes the session to the community."""
    month = months.month_of(now)
    board = leaderboard(session, community_id=community_id, period=MONTH, month=month,
                        limit=HONOUR_VOLUNTEERS, reveal=False)
    participants = session.scalar(
        select(func.count()).select_from(MonthlyTally)
        .join(User, User.id == MonthlyTally.user_id)
        .where(MonthlyTally.community_id == community_id, MonthlyTally.month == month,
               MonthlyTally.points > 0, User.active.is_(True))) or 0
    groups, clean_count, unnamed = _clean_groups(session, community_id, month)
    return HonourBoard(month, board.rows, participants, clean_count, groups, unnamed,
                       month_totals(session, community_id, month))
