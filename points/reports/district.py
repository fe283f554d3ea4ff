"""The district's figures: every community's summed, in grouped queries over all of them
(``figures`` counts them; a community's own are ``figures.summary``). Seconds at county
scale, so the district's pages read the copy ``snapshots`` stores every 15 minutes."""
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

import ledger
from ledger.accounts import COMMUNITY
from ledger.models import Account, Transfer
from points import wallets
from points.auth.models import User
from points.claims import rules as claim_rules
from points.claims.models import Claim
from points.communities.models import Community
from points.earning.models import Credit
from points.households.models import Household
from points.reports.figures import (
    ALL,
    ISSUE_KINDS,
    ZERO,
    MonthFigures,
    Share,
    Summary,
    across,
    activity_shares,
    flow_totals,
    grouped_flows,
    holder_filter,
    home_of,
    ranked,
    residents_where,
    series_bounds,
    shop_shares,
)
from points.timeutil import local, start_of_local_date


def district_summary(session, *, since, until, now):
    """Every community's figures summed, as one summary per community would give them,
    in grouped queries over all communities (not one summary per community). The median
    decision time is the median of the communities' medians (None if none)."""
    rates = dict(session.execute(select(Community.id, Community.points_per_yuan).order_by(Community.id),
                                 execution_options=ALL).all())
    ids = list(rates)
    issued, redeemed, expired = flow_totals(
        grouped_flows(session, community_id=None, grid_id=None, bounds=[since, until], communities=ids), 0)
    labels, edges = series_bounds(now)
    flows = grouped_flows(session, community_id=None, grid_id=None, bounds=edges, communities=ids)
    series = []
    for index, label in enumerate(labels):
        month_issued, month_redeemed, _ = flow_totals(flows, index)
        series.append(MonthFigures(label, month_issued, month_redeemed))
    owed = _outstanding_by_community(session, ids)
    outstanding = sum(owed.values(), ZERO)
    outstanding_cny = sum((ledger.points_to_cny(points, rates[cid]) for cid, points in owed.items()), ZERO)
    this_year = local(now).year
    year = (start_of_local_date(date(this_year, 1, 1)), start_of_local_date(date(this_year + 1, 1, 1)))
    residents, active, households, this_year = _district_participation(
        session, ids, since=since, until=until, year=year)
    waiting, decided, median = _district_approvals(session, ids, now)
    return Summary(
        since=since, until=until, community_id=None, grid_id=None, issued=issued, redeemed=redeemed,
        expired=expired, outstanding=outstanding, outstanding_cny=Decimal(outstanding_cny),
        fund_balance=_district_fund(session, ids), residents=residents, active_residents=active,
        households=households, households_this_year=this_year, approvals_waiting=waiting,
        decided_30_days=decided, median_decision_minutes=median, series=series,
        activities=merged([activity_shares(session, community_id=None, grid_id=None, since=since, until=until,
                                        communities=ids)]),
        shops=merged([shop_shares(session, community_id=None, grid_id=None, since=since, until=until,
                              communities=ids)]))


def _outstanding_by_community(session, ids):
    """``{community id: balance plus held of its residents' and households' accounts}``."""
    stmt = (select(Account.community_id, func.sum(Account.balance), func.sum(Account.held))
            .where(*holder_filter(Account, None, None), Account.community_id.in_(ids))
            .group_by(Account.community_id))
    return {cid: Decimal(balance or 0) + Decimal(held or 0)
            for cid, balance, held in session.execute(stmt, execution_options=ALL)}


def _district_fund(session, ids):
    """The communities' fund balances (yuan) summed."""
    total = session.scalar(select(func.sum(Account.balance)).where(
        Account.community_id.in_(ids), Account.ledger == ledger.CNY, Account.owner_type == COMMUNITY,
        Account.owner_id == Account.community_id, Account.purpose == "fund"), execution_options=ALL)
    return Decimal(total or 0)


def _district_participation(session, ids, *, since, until, year):
    """As ``figures._participation`` summed over the communities ``ids``."""
    residents = session.scalar(select(func.count(User.id)).where(
        *residents_where(None, None), User.community_id.in_(ids)), execution_options=ALL)
    # A person lives in one community: distinct over all is the sum of the communities'.
    active = session.scalar(
        select(func.count(func.distinct(Credit.user_id))).join(User, User.id == Credit.user_id)
        .where(*residents_where(None, None), User.community_id.in_(ids), Credit.reversed_at.is_(None),
               Credit.created_at >= since, Credit.created_at < until), execution_options=ALL)
    households = session.scalar(select(func.count(Household.id)).where(Household.community_id.in_(ids)),
                                execution_options=ALL)
    holder, person = aliased(Account), aliased(User)
    per_community = (
        select(func.count(func.distinct(home_of(holder, person))).label("homes")).select_from(Transfer)
        .join(holder, holder.id == Transfer.credit_account_id)
        .outerjoin(person, and_(holder.owner_type == wallets.RESIDENT, person.id == holder.owner_id))
        .where(Transfer.ledger == ledger.POINTS, Transfer.kind.in_(ISSUE_KINDS),
               Transfer.created_at >= year[0], Transfer.created_at < year[1],
               *holder_filter(holder, None, None), *across(ids, Transfer.community_id, holder))
        .group_by(Transfer.community_id).subquery())
    this_year = session.scalar(select(func.sum(per_community.c.homes)), execution_options=ALL)
    return residents or 0, active or 0, households or 0, int(this_year or 0)


def _district_approvals(session, ids, now):
    """Claims waiting and decided in 30 days over ``ids``; the median of the communities'
    median decision times."""
    waiting = session.scalar(select(func.count(Claim.id)).where(
        Claim.community_id.in_(ids), Claim.status.in_(claim_rules.OPEN_STATUSES)), execution_options=ALL)
    durations = {}
    for cid, created, decided in session.execute(
            select(Claim.community_id, Claim.created_at, Claim.decided_at).where(
                Claim.community_id.in_(ids), Claim.decided_at.is_not(None),
                Claim.decided_at >= now - claim_rules.RESPONSE_WINDOW), execution_options=ALL):
        durations.setdefault(cid, []).append(decided - created)
    medians = [claim_rules.median_minutes(found) for found in durations.values()]
    return waiting or 0, sum(map(len, durations.values())), median_of(medians)


def median_of(medians):
    """The median of the communities' median minutes (whole minutes), None when none."""
    medians = sorted(medians)
    if not medians:
        return None
    middle = len(medians) // 2
    return medians[middle] if len(medians) % 2 else round((medians[middle - 1] + medians[middle]) / 2)


def merged(splits):
    """Shares of several communities summed by name (a district has no common ids): a
    named row keeps the first community's id, the unnamed rows (inspections, the store)
    stay ``key`` None."""
    rows = {}
    for split in splits:
        for share in split:
            key, count, points = rows.get(share.name, (share.key, 0, ZERO))
            rows[share.name] = (key, count + share.count, points + share.points)
    return ranked([Share(key, name, count, points) for name, (key, count, points) in rows.items()])
