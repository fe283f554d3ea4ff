"""The figures a community office reports every month, read from the ledger in grouped SQL.

Which transfers count (all on the POINTS ledger of the community, ``created_at`` in the
period ``[since, until)``):

* **issued**: ``earn``, ``grant`` and ``coupon`` transfers credited to a person's or a
  household's account (``resident``/``household`` owner, any purpose, so coupon
  accounts count) — from the issuance or coupons source — minus ``reverse`` transfers
  that undo one of those kinds (a reversed credit, ``reverse_credit``).
* **redeemed**: ``redeem`` (a voucher's hold posted to the shop; its holder is the hold's
  account) minus ``refund`` (the shop's points back to the holder).
* **expired**: ``expire`` (year-end expiry to the ``expired`` sink) plus
  ``coupon_expire`` (an unused coupon back to the coupons source). A reversal of an
  expiry (no service does one today) is not subtracted.
* **outstanding** (now, not for the period): balance plus held of every resident and
  household account — what the community still owes people. Shops' unsettled points
  are not included (``merchants.fund.outstanding_points`` includes them).

Each flow is counted on its holder's account (the credited one for earn, grant, coupon
and refund; the debited one for reverse and expiries; the hold's account for redeem), so
the per-grid figures follow where the holder lives. Over all time, and as long as no
other kind of transfer touches people's accounts, issued − redeemed − expired =
outstanding (the tests reconcile it).

Participation: residents are active users of role ``resident``; an active resident has
a credit (``points.earning``) made in the period and not reversed; a household counts
this year when it, or anyone living in it, was issued points in ``now``'s local year.

Holds, releases, settlement and fund movements move points or yuan between accounts
that are already counted and are not flows here.

Shares (top activity types, redemptions per shop) split two of those flows and sum to
them: ``activities`` splits the ``earn`` part of issued (less reversed credits) by the
credit's activity type, household inspection awards (``earn`` without a credit) being the
row with ``key`` None; ``shops`` splits redeemed (less refunds) by the voucher's shop, the
community's own store being the row with ``key`` None.

Per grid: issued, redeemed, expired, outstanding and participation count only the
accounts of the grid's households and of residents living in them. The fund, coverage
and approvals are community-wide whatever the grid (a grid has no fund; claims are
decided by the office).
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

import ledger
from ledger.models import Account, Hold, Transfer
from merchants import fund
from points import months, wallets
from points.auth.models import User
from points.auth.roles import RESIDENT
from points.claims import rules as claim_rules
from points.claims.models import Claim
from points.communities.models import Community, Grid
from points.earning.models import ActivityType, Credit
from merchants.models import Merchant, Voucher
from points.households.models import Household
from points.extensions import unit_of_work
from points.reports import closed_months
from points.tenancy import ALL_COMMUNITIES as ALL
from points.timeutil import local, utcnow

ISSUE_KINDS = ("earn", "grant", "coupon")
CREDIT_SIDE_KINDS = ISSUE_KINDS + ("refund",)  # the holder is the credited account
DEBIT_SIDE_KINDS = ("reverse", "expire", "coupon_expire")  # the holder is the debited account
REDEEM, REFUND, REVERSE = "redeem", "refund", "reverse"
EXPIRED_KINDS = ("expire", "coupon_expire")
FLOW_KINDS = CREDIT_SIDE_KINDS + DEBIT_SIDE_KINDS + (REDEEM,)
HOLDERS = (wallets.RESIDENT, wallets.HOUSEHOLD)
SERIES_MONTHS = 12
ZERO = ledger.ZERO
RATIO = Decimal("0.0001")
# The queries name their community themselves; the district view reads every community.


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM, local
    issued: Decimal
    redeemed: Decimal


@dataclass(frozen=True)
class Share:
    """One row of a split: an activity type's or a shop's ``count`` and net ``points``.
    ``key`` is the type's or shop's id, None for inspections or the community store."""

    key: int | None
    name: str
    count: int
    points: Decimal


@dataclass(frozen=True)
class Summary:
    """The figures of one community (or one grid of it, or a district's sum)."""

    since: object
    until: object
    community_id: int | None
    grid_id: int | None
    issued: Decimal
    redeemed: Decimal
    expired: Decimal
    outstanding: Decimal
    outstanding_cny: Decimal
    fund_balance: Decimal
    residents: int
    active_residents: int
    households: int
    households_this_year: int
    approvals_waiting: int
    decided_30_days: int
    median_decision_minutes: int | None
    series: list = field(default_factory=list)
    activities: list = field(default_factory=list)  # Share per activity type, most points first
    shops: list = field(default_factory=list)  # Share per shop, most points first
    computed_at: object = None  # a stored district summary's moment (reports.snapshots); None: live

    @property
    def coverage(self):
        """Fund ÷ outstanding yuan (4 places), None when nothing is outstanding."""
        return ratio(self.fund_balance, self.outstanding_cny)

    @property
    def participation(self):
        return ratio(self.active_residents, self.residents)

    @property
    def household_participation(self):
        return ratio(self.households_this_year, self.households)


def ratio(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO)


def _grid_households(grid_id):
    return select(Household.id).where(Household.grid_id == grid_id)


def holder_filter(account, community_id, grid_id):
    """Resident and household accounts of the community (of the grid's households)."""
    where = [account.ledger == ledger.POINTS, account.owner_type.in_(HOLDERS)]
    if community_id is not None:
        where.append(account.community_id == community_id)
    if grid_id is not None:
        homes = _grid_households(grid_id)
        people = select(User.id).where(User.household_id.in_(homes))
        where.append(or_(and_(account.owner_type == wallets.HOUSEHOLD, account.owner_id.in_(homes)),
                         and_(account.owner_type == wallets.RESIDENT, account.owner_id.in_(people))))
    return where


def across(communities, community_column, holder):
    """The district's filter: the listed communities (an ``IN`` the (community_id, …)
    indexes can walk), each transfer counted on its own community's accounts only, as
    one summary per community would."""
    if communities is None:
        return []
    return [community_column.in_(communities), holder.community_id == community_column]


def _bucket(bounds):
    """The index ``i`` of a transfer's ``[bounds[i], bounds[i + 1])``."""
    return case(*[(Transfer.created_at < edge, literal(index))
                  for index, edge in enumerate(bounds[1:])], else_=literal(-1))


def grouped_flows(session, *, community_id, grid_id, bounds, communities=None):
    """``{(bucket, kind): amount}`` of the counted flows, bucket ``i`` being
    ``[bounds[i], bounds[i + 1])``: one grouped query over (community_id, created_at).
    ``communities``: the sum over those communities (``community_id`` None)."""
    holder = aliased(Account)
    original = aliased(Transfer)
    holder_id = case((Transfer.kind == REDEEM, Hold.account_id),
                     (Transfer.kind.in_(CREDIT_SIDE_KINDS), Transfer.credit_account_id),
                     else_=Transfer.debit_account_id)
    bucket = _bucket(bounds)
    where = [Transfer.ledger == ledger.POINTS, Transfer.kind.in_(FLOW_KINDS),
             Transfer.created_at >= bounds[0], Transfer.created_at < bounds[-1],
             or_(Transfer.kind != REVERSE, original.kind.in_(ISSUE_KINDS))]
    if community_id is not None:
        where.append(Transfer.community_id == community_id)
    stmt = (select(bucket, Transfer.kind, func.sum(Transfer.amount))
            .select_from(Transfer)
            .outerjoin(Hold, Hold.id == Transfer.hold_id)
            .outerjoin(original, original.id == Transfer.reverses_id)
            .join(holder, holder.id == holder_id)
            .where(*where, *holder_filter(holder, community_id, grid_id),
                   *across(communities, Transfer.community_id, holder))
            .group_by(bucket, Transfer.kind))
    return {(int(index), kind): Decimal(amount or 0)
            for index, kind, amount in session.execute(stmt, execution_options=ALL)}


def flow_totals(flows, bucket):
    def of(*kinds):
        return sum((flows.get((bucket, kind), ZERO) for kind in kinds), ZERO)

    return (of(*ISSUE_KINDS) - of(REVERSE), of(REDEEM) - of(REFUND), of(*EXPIRED_KINDS))


def ranked(rows):
    return sorted(rows, key=lambda share: (-share.points, share.name, share.key or 0))


def activity_shares(session, *, community_id, grid_id, since, until, communities=None):
    """Earned points by activity type (credits less their reversals; inspections as key None).
    ``communities``: every type of those communities (``community_id`` None)."""
    holder = aliased(Account)

    def grouped(kind, join_on, holder_side):
        where = [Transfer.ledger == ledger.POINTS, Transfer.kind == kind,
                 Transfer.created_at >= since, Transfer.created_at < until]
        if community_id is not None:
            where.append(Transfer.community_id == community_id)
        stmt = (select(Credit.type_id, func.count(Transfer.id), func.sum(Transfer.amount))
                .select_from(Transfer)
                .outerjoin(Credit, join_on)
                .join(holder, holder.id == holder_side)
                .where(*where, *holder_filter(holder, community_id, grid_id),
                       *across(communities, Transfer.community_id, holder))
                .group_by(Credit.type_id))
        return {key: (count, Decimal(amount or 0))
                for key, count, amount in session.execute(stmt, execution_options=ALL)}

    earned = grouped("earn", Credit.transfer_id == Transfer.id, Transfer.credit_account_id)
    # A credit's reversal reverses the credit's own transfer: joining on that too lets the
    # unique index on credits.transfer_id find the credit (reversal_id has no index).
    taken = grouped(REVERSE, and_(Credit.transfer_id == Transfer.reverses_id,
                                  Credit.reversal_id == Transfer.id), Transfer.debit_account_id)
    taken.pop(None, None)  # reversals of anything but a credit are not earned points
    keys = set(earned) | set(taken)
    names = dict(session.execute(select(ActivityType.id, ActivityType.name)
                                 .where(ActivityType.id.in_([k for k in keys if k is not None])),
                                 execution_options=ALL).all()) if keys else {}
    rows = []
    for key in keys:
        count, points = earned.get(key, (0, ZERO))
        gone_count, gone = taken.get(key, (0, ZERO))
        rows.append(Share(key, names.get(key, ""), count - gone_count, points - gone))
    return ranked(rows)


def shop_shares(session, *, community_id, grid_id, since, until, communities=None):
    """Redeemed points by shop: redemptions less refunds (the community store as key None).
    ``communities``: every shop of those communities (``community_id`` None)."""
    holder = aliased(Account)

    def grouped(kind, join_on, holder_side, outer=False):
        where = [Transfer.ledger == ledger.POINTS, Transfer.kind == kind,
                 Transfer.created_at >= since, Transfer.created_at < until]
        if community_id is not None:
            where.append(Transfer.community_id == community_id)
        stmt = (select(Voucher.merchant_id, func.count(Transfer.id), func.sum(Transfer.amount))
                .select_from(Transfer))
        if outer:
            stmt = stmt.outerjoin(Hold, Hold.id == Transfer.hold_id)
        stmt = (stmt.join(Voucher, join_on).join(holder, holder.id == holder_side)
                .where(*where, *holder_filter(holder, community_id, grid_id),
                       *across(communities, Transfer.community_id, holder))
                .group_by(Voucher.merchant_id))
        return {key: (count, Decimal(amount or 0))
                for key, count, amount in session.execute(stmt, execution_options=ALL)}

    redeemed = grouped(REDEEM, Voucher.hold_id == Transfer.hold_id, Hold.account_id, outer=True)
    # A refund names its voucher (ref_id): the voucher is found by its key, then checked.
    refunded = grouped(REFUND, and_(Voucher.id == Transfer.ref_id,
                                    Voucher.refund_transfer_id == Transfer.id), Transfer.credit_account_id)
    keys = set(redeemed) | set(refunded)
    names = dict(session.execute(select(Merchant.id, Merchant.name)
                                 .where(Merchant.id.in_([k for k in keys if k is not None])),
                                 execution_options=ALL).all()) if keys else {}
    rows = []
    for key in keys:
        count, points = redeemed.get(key, (0, ZERO))
        back_count, back = refunded.get(key, (0, ZERO))
        rows.append(Share(key, names.get(key, ""), count - back_count, points - back))
    return ranked(rows)


def _outstanding(session, community_id, grid_id):
    stmt = (select(func.coalesce(func.sum(Account.balance), ZERO),
                   func.coalesce(func.sum(Account.held), ZERO))
            .where(*holder_filter(Account, community_id, grid_id)))
    balance, held = session.execute(stmt, execution_options=ALL).one()
    return Decimal(balance) + Decimal(held)


def residents_where(community_id, grid_id):
    where = [User.role == RESIDENT, User.active.is_(True)]
    if community_id is not None:
        where.append(User.community_id == community_id)
    if grid_id is not None:
        where.append(User.household_id.in_(_grid_households(grid_id)))
    return where


def _participation(session, *, community_id, grid_id, since, until):
    residents = session.scalar(select(func.count(User.id)).where(*residents_where(community_id, grid_id)),
                               execution_options=ALL)
    active = session.scalar(
        select(func.count(func.distinct(Credit.user_id))).join(User, User.id == Credit.user_id)
        .where(*residents_where(community_id, grid_id), Credit.reversed_at.is_(None),
               Credit.created_at >= since, Credit.created_at < until), execution_options=ALL)
    homes = [Household.community_id == community_id] if community_id is not None else []
    if grid_id is not None:
        homes.append(Household.grid_id == grid_id)
    households = session.scalar(select(func.count(Household.id)).where(*homes), execution_options=ALL)
    return residents or 0, active or 0, households or 0


def home_of(holder, person):
    """The household an issuing transfer reached: the person's (``person`` outer-joined on
    a resident ``holder``) or the household's own account's."""
    return func.coalesce(person.household_id, case((holder.owner_type == wallets.HOUSEHOLD, holder.owner_id)))


def _homes(session, *, community_id, grid_id, bounds):
    """``{bucket: household ids}`` reached in each ``[bounds[i], bounds[i + 1])``: issued
    points to the household's own account or to anyone living in it."""
    holder, person = aliased(Account), aliased(User)
    stmt = (select(_bucket(bounds), home_of(holder, person)).distinct().select_from(Transfer)
            .join(holder, holder.id == Transfer.credit_account_id)
            .outerjoin(person, and_(holder.owner_type == wallets.RESIDENT, person.id == holder.owner_id))
            .where(Transfer.ledger == ledger.POINTS, Transfer.kind.in_(ISSUE_KINDS),
                   Transfer.community_id == community_id,
                   Transfer.created_at >= bounds[0], Transfer.created_at < bounds[-1],
                   *holder_filter(holder, community_id, grid_id)))
    found = {}
    for index, home_id in session.execute(stmt, execution_options=ALL):
        if home_id is not None:
            found.setdefault(int(index), set()).add(home_id)
    return found


def _approvals(session, community_id, now):
    waiting = session.scalar(select(func.count(Claim.id)).where(
        Claim.community_id == community_id, Claim.status.in_(claim_rules.OPEN_STATUSES)),
        execution_options=ALL)
    # As approvals.response_times, but naming the community itself (district admins).
    durations = [decided - created for created, decided in session.execute(
        select(Claim.created_at, Claim.decided_at).where(
            Claim.community_id == community_id, Claim.decided_at.is_not(None),
            Claim.decided_at >= now - claim_rules.RESPONSE_WINDOW), execution_options=ALL)]
    return waiting or 0, len(durations), claim_rules.median_minutes(durations)


def series_bounds(now, count=SERIES_MONTHS):
    """The ``count`` local months ending with ``now``'s: ``(labels, count + 1 moments)``."""
    days = [months.this_month(now)]
    for _ in range(count - 1):
        days.insert(0, months.preceding(days[0]))
    return [months.month_of(day) for day in days], _month_edges(days)


def _month_edges(days):
    """The moments bounding consecutive local months starting ``days``."""
    return [months.moments_of(day)[0] for day in days] + [months.moments_of(days[-1])[1]]


def _computed_months(session, *, community_id, grid_id, days):
    """``{month: closed_months.Month}`` of the consecutive months starting ``days``, from
    the ledger: two grouped queries."""
    edges = _month_edges(days)
    flows = grouped_flows(session, community_id=community_id, grid_id=grid_id, bounds=edges)
    homes = _homes(session, community_id=community_id, grid_id=grid_id, bounds=edges)
    return {months.month_of(day): closed_months.Month(*flow_totals(flows, index),
                                                      frozenset(homes.get(index, ())))
            for index, day in enumerate(days)}


def _consecutive(first, last):
    days = [first]
    while days[-1] < last:
        days.append(months.following(days[-1]))
    return days


def _closed(session, *, community_id, grid_id, days, wall_clock):
    """``{month: closed_months.Month}`` of the closed months among those starting ``days``:
    the stored rows, and the missing ones computed from the ledger and stored."""
    closed = sorted(day for day in set(days) if closed_months.is_closed(day, wall_clock))
    if not closed:
        return {}
    found = closed_months.stored(session, community_id=community_id, grid_id=grid_id,
                                 labels=[months.month_of(day) for day in closed])
    missing = [day for day in closed if months.month_of(day) not in found]
    if missing:
        computed = _computed_months(session, community_id=community_id, grid_id=grid_id,
                                    days=_consecutive(missing[0], missing[-1]))
        new = {months.month_of(day): computed[months.month_of(day)] for day in missing}
        with unit_of_work(session):
            closed_months.store(session, community_id=community_id, grid_id=grid_id, found=new,
                                now=wall_clock)
        found.update(new)
    return found


def _open_from(days, closed):
    """The index of the first of ``days`` whose month is not closed (later months never are)."""
    return next((index for index, day in enumerate(days) if months.month_of(day) not in closed), len(days))


def summary(session, *, community_id, since, until, grid_id=None, now):
    """The figures of ``community_id`` (or of its grid ``grid_id``) for ``[since, until)``.
    Closed months come from ``closed_months`` (stored once from the ledger), so the series
    and the year's households read the open month's transfers only."""
    community = session.get(Community, community_id)
    labels, edges = series_bounds(now)
    needed = _needed_days(now)
    series_days, year_days = needed[:len(labels)], needed[len(labels):]
    period_day = months.this_month(since)
    if months.moments_of(period_day) != (since, until):
        period_day = None  # not one whole local month: always counted from the ledger
    closed = _closed(session, community_id=community_id, grid_id=grid_id,
                     days=needed + [day for day in [period_day] if day], wall_clock=utcnow())

    first_open = _open_from(series_days, closed)
    live_edges = edges[first_open:]
    live = (grouped_flows(session, community_id=community_id, grid_id=grid_id, bounds=live_edges)
            if len(live_edges) > 1 else {})
    series = []
    for index, label in enumerate(labels):
        if index < first_open:
            month = closed[label]
            series.append(MonthFigures(label, month.issued, month.redeemed))
        else:
            month_issued, month_redeemed, _ = flow_totals(live, index - first_open)
            series.append(MonthFigures(label, month_issued, month_redeemed))
    live_periods = list(zip(live_edges, live_edges[1:]))
    if period_day is not None and months.month_of(period_day) in closed:
        month = closed[months.month_of(period_day)]
        issued, redeemed, expired = month.issued, month.redeemed, month.expired
    elif (since, until) in live_periods:
        issued, redeemed, expired = flow_totals(live, live_periods.index((since, until)))
    else:
        issued, redeemed, expired = flow_totals(
            grouped_flows(session, community_id=community_id, grid_id=grid_id, bounds=[since, until]), 0)

    year_open = _open_from(year_days, closed)
    homes = set().union(*(closed[months.month_of(day)].homes for day in year_days[:year_open]))
    if year_open < len(year_days):
        homes |= _homes(session, community_id=community_id, grid_id=grid_id,
                        bounds=[months.moments_of(year_days[year_open])[0],
                                months.moments_of(year_days[-1])[1]]).get(0, set())
    outstanding = _outstanding(session, community_id, grid_id)
    residents, active, households = _participation(
        session, community_id=community_id, grid_id=grid_id, since=since, until=until)
    waiting, decided, median = _approvals(session, community_id, now)
    return Summary(
        since=since, until=until, community_id=community_id, grid_id=grid_id, issued=issued,
        redeemed=redeemed, expired=expired, outstanding=outstanding,
        outstanding_cny=ledger.points_to_cny(outstanding, community.points_per_yuan),
        fund_balance=fund.fund_balance(session, community_id), residents=residents,
        active_residents=active, households=households, households_this_year=len(homes),
        approvals_waiting=waiting, decided_30_days=decided, median_decision_minutes=median,
        series=series,
        activities=activity_shares(session, community_id=community_id, grid_id=grid_id, since=since,
                                   until=until),
        shops=shop_shares(session, community_id=community_id, grid_id=grid_id, since=since, until=until))


def _needed_days(now):
    """The first days of the months a summary at ``now`` reads: the series and the year."""
    labels, _ = series_bounds(now)
    year = local(now).year
    return [months.first_day(label) for label in labels] + [date(year, month, 1) for month in range(1, 13)]


def store_closed_months(session, *, now):
    """Store every community's and grid's closed months that a summary at ``now`` reads
    and that are missing (one query per community or grid once they are stored):
    ``reports refresh`` runs it, so no page view pays for a month that just closed.
    Returns how many rows were added."""
    days, wall_clock = _needed_days(now), utcnow()
    scopes = [(cid, None) for cid in session.scalars(select(Community.id).order_by(Community.id),
                                                      execution_options=ALL)]
    scopes += session.execute(select(Grid.community_id, Grid.id).order_by(Grid.community_id, Grid.id),
                              execution_options=ALL).all()
    before = closed_months.row_count(session)
    for community_id, grid_id in scopes:
        _closed(session, community_id=community_id, grid_id=grid_id, days=days, wall_clock=wall_clock)
    return closed_months.row_count(session) - before


@dataclass(frozen=True)
class Difference:
    """A stored closed month that a recomputation from the ledger does not give."""

    community_id: int
    grid_id: int  # closed_months.WHOLE for the whole community
    month: str
    stored: object
    recomputed: object


def check_closed_months(session):
    """Every stored closed month recomputed from the ledger: ``(rows checked, the
    Difference list)``, the list empty when every row equals the ledger."""
    rows = closed_months.every_row(session)
    differences = []
    for row in rows:
        again = _computed_months(session, community_id=row.community_id, grid_id=row.grid_id or None,
                                 days=[months.first_day(row.month)])[row.month]
        kept = closed_months.month_of(row)
        if kept != again:
            differences.append(Difference(row.community_id, row.grid_id, row.month, kept, again))
    return len(rows), differences
