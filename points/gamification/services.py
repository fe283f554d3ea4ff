"""Keeping each person's standing, tallies and badges equal to the credits that stand.

``refresh_person`` recomputes one person from their facts (credits not reversed, their
household's 清洁户 months, what expiry took) inside the caller's write transaction, after
the caller locked the person's wallet: ``credit_work`` and ``reverse_credit`` call it, so a
badge or level never outlives the credit it came from. ``refresh_people`` is the same for
many people at once (each kind of fact read for all of them in one query, only changed
rows written): ``refresh_community`` runs it for everyone, nightly, 200 people a
transaction; it is idempotent and can be stopped and started again. Nothing here moves
points.
"""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

import ledger
from ledger.amounts import MAX_AMOUNT
from ledger.errors import N_
from ledger.locking import lock_accounts
from ledger.models import Transfer
from points import months, wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.communities.models import Community
from points.earning.models import ActivityType, Credit
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.gamification import rules
from points.gamification.errors import (LadderNameError, LadderSizeError, LadderStartError,
                                        LadderThresholdError)
from points.gamification.models import BadgeAward, Level, MonthlyTally, Standing
from points.households.models import Household
from points.inspections.models import InspectionScore
from points.notifications.services import notify

BADGE_TITLE = N_("获得新徽章")
BADGE_BODY = N_("恭喜获得“%(badge)s”徽章：%(description)s。")
EXPIRE_KIND = "expire"


# --- reading facts: one query per kind of fact for a whole batch of people ----------------

def ladder(session, community_id):
    """The community's levels as ``(threshold, name)``, or the default ladder."""
    rows = session.execute(select(Level.threshold, Level.name)
                           .where(Level.community_id == community_id)
                           .order_by(Level.threshold)).all()
    return [tuple(row) for row in rows] or list(rules.DEFAULT_LEVELS)


def credits_of(session, user_ids):
    """``{user id: (CreditFact, ...)}``: each person's credits that stand (not reversed),
    oldest work first; people without one are left out."""
    rows = session.execute(
        select(Credit.user_id, Credit.id, Credit.work_day, Credit.points, Credit.hours,
               ActivityType.category)
        .join(ActivityType, ActivityType.id == Credit.type_id)
        .where(Credit.user_id.in_(user_ids), Credit.reversed_at.is_(None))
        .order_by(Credit.user_id, Credit.work_day, Credit.id)).all()
    found = defaultdict(list)
    for user_id, *fact in rows:
        found[user_id].append(rules.CreditFact(*fact))
    return {user_id: tuple(facts) for user_id, facts in found.items()}


def households_of(session, household_ids):
    """``{household id: (grid id, its 清洁户 months)}``: the months a household was rated
    清洁户 (its latest score of the month passed), sorted; one query."""
    ids = {household_id for household_id in household_ids if household_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Household.id, Household.grid_id, InspectionScore.month)
                           .outerjoin(InspectionScore, (InspectionScore.household_id == Household.id)
                                      & InspectionScore.passed.is_(True))
                           .where(Household.id.in_(ids)))
    grids, clean = {}, defaultdict(set)
    for household_id, grid_id, month in rows:
        grids[household_id] = grid_id
        if month is not None:
            clean[household_id].add(month)
    return {household_id: (grid_id, tuple(sorted(clean[household_id])))
            for household_id, grid_id in grids.items()}


def expired_of(session, wallet_ids):
    """``{wallet: points expiry took from it}`` (wallets expiry never touched left out)."""
    return {wallet: Decimal(amount) for wallet, amount in session.execute(
        select(Transfer.debit_account_id, func.sum(Transfer.amount))
        .where(Transfer.debit_account_id.in_(wallet_ids), Transfer.kind == EXPIRE_KIND)
        .group_by(Transfer.debit_account_id))}


def facts_of(session, user, now):
    household = households_of(session, [user.household_id]).get(user.household_id, (None, ()))
    return rules.Facts(credits_of(session, [user.id]).get(user.id, ()), household[1],
                       months.month_of(now))


def active_months(facts):
    return {months.month_of(credit.work_day) for credit in facts.credits}


# --- refreshing -------------------------------------------------------------------------

def refresh_person(session, user, *, now, wallet=None):
    """Recompute ``user``'s standing, monthly tallies and badges; returns the badges newly
    awarded. Runs inside the caller's write transaction with the wallet locked (``wallet``:
    its id, when the caller has it) and notifies the person of each new badge."""
    wallet = wallet if wallet is not None else wallets.wallet_id(session, user)
    return refresh_people(session, [user], {user.id: wallet}, now=now)[user.id]


def refresh_people(session, people, wallet_of, *, now):
    """Recompute the standing, monthly tallies and badges of ``people`` (Users) inside the
    caller's write transaction, their wallets (``wallet_of``: user id → account id) locked
    by the caller. Each kind of fact is read for all of them in one query, and only rows
    whose figures changed are written, so a second run writes nothing. Notifies each new
    badge; returns ``{user id: [new badges]}``."""
    if not people:
        return {}
    ids = [user.id for user in people]
    credits = credits_of(session, ids)
    households = households_of(session, [user.household_id for user in people])
    expired = expired_of(session, [wallet_of[user.id] for user in people])
    standings = {row.user_id: row for row in session.scalars(
        select(Standing).where(Standing.user_id.in_(ids)))}
    tallies, awards = defaultdict(dict), defaultdict(dict)
    for tally in session.scalars(select(MonthlyTally).where(MonthlyTally.user_id.in_(ids))):
        tallies[tally.user_id][tally.month] = tally
    for award in session.scalars(select(BadgeAward).where(BadgeAward.user_id.in_(ids))):
        awards[award.user_id][award.badge] = award
    new = {}
    for user in people:
        grid_id, clean = households.get(user.household_id, (None, ()))
        facts = rules.Facts(credits.get(user.id, ()), clean, months.month_of(now))
        _write_standing(session, user, standings.get(user.id), facts, grid_id,
                        expired.get(wallet_of[user.id], Decimal(0)), now)
        _write_tallies(session, user, tallies[user.id], facts, grid_id)
        new[user.id] = _write_badges(session, user, awards[user.id], facts, now)
    for user in people:
        for badge in new[user.id]:
            notify(session, user=user, kind="badge", title=BADGE_TITLE,
                   body=(BADGE_BODY, {"badge": badge.name, "description": badge.description}),
                   link="/me/badges", now=now, flush=False)
    session.flush()
    return new


def _write_standing(session, user, standing, facts, grid_id, expired, now):
    """Set the standing's figures; ``refreshed_at`` is when they last changed."""
    points = sum((credit.points for credit in facts.credits), Decimal(0))
    current, best = rules.streaks(active_months(facts), facts.this_month)
    figures = dict(
        community_id=user.community_id, grid_id=grid_id, points=points, expired=expired,
        score=max(points - expired, Decimal(0)), credits=len(facts.credits),
        hours=sum((credit.hours or Decimal(0) for credit in facts.credits), Decimal(0)),
        current_streak=current, best_streak=best,
        last_month=months.month_of(facts.credits[-1].work_day) if facts.credits else None)
    if standing is None:
        session.add(Standing(user_id=user.id, refreshed_at=now, **figures))
    elif any(getattr(standing, name) != value for name, value in figures.items()):
        for name, value in figures.items():
            setattr(standing, name, value)
        standing.refreshed_at = now


def _write_tallies(session, user, existing, facts, grid_id):
    """Make ``existing`` (month → MonthlyTally) equal to the facts' months (the ORM writes
    only the rows whose values change)."""
    totals = {}
    for credit in facts.credits:
        month = months.month_of(credit.work_day)
        points, count = totals.get(month, (Decimal(0), 0))
        totals[month] = (points + credit.points, count + 1)
    for month, tally in existing.items():
        if month not in totals:
            session.delete(tally)
    for month, (points, count) in totals.items():
        tally = existing.get(month)
        if tally is None:
            tally = MonthlyTally(user_id=user.id, month=month)
            session.add(tally)
        tally.community_id, tally.grid_id = user.community_id, grid_id
        tally.points, tally.credits = points, count


def _write_badges(session, user, awards, facts, now):
    """Award, revoke or re-point ``awards`` (badge code → BadgeAward) as the facts say;
    returns the badges newly awarded."""
    new = []
    for outcome in rules.evaluate(facts):
        award = awards.get(outcome.badge.code)
        if outcome.achieved and (award is None or award.revoked_at is not None):
            award = award or BadgeAward(community_id=user.community_id, user_id=user.id,
                                        badge=outcome.badge.code)
            award.awarded_at, award.revoked_at = now, None
            award.credit_id, award.month = outcome.credit_id, outcome.month
            session.add(award)
            new.append(outcome.badge)
        elif not outcome.achieved and award is not None and award.revoked_at is None:
            award.revoked_at = now
        elif outcome.achieved and (award.credit_id, award.month) != (outcome.credit_id, outcome.month):
            # The credit that earned it was reversed, yet a later one still crosses the line.
            award.credit_id, award.month = outcome.credit_id, outcome.month
    return new


def people_to_refresh(session, community_id, after_id=0, limit=500):
    """Ids of the community's people with anything to count (a credit, a standing, or a
    household that was ever 清洁户), in id order after ``after_id``: the nightly batch."""
    with_credit = select(Credit.user_id).where(Credit.community_id == community_id)
    with_standing = select(Standing.user_id).where(Standing.community_id == community_id)
    clean = (select(User.id).join(Household, Household.id == User.household_id)
             .join(InspectionScore, InspectionScore.household_id == Household.id)
             .where(User.community_id == community_id, InspectionScore.passed.is_(True)))
    union = with_credit.union(with_standing, clean).subquery()
    return list(session.scalars(select(union.c[0]).where(union.c[0] > after_id)
                                .order_by(union.c[0]).limit(limit)))


def refresh_community(session, community_id, *, now, after_id=0, batch=200, progress=None):
    """Refresh everyone of the community who has anything to count, ``batch`` people per
    transaction (their wallets locked in one statement while they are recomputed).
    Idempotent; pass the last id printed as ``after_id`` to resume. Returns
    ``(people, new badges)``."""
    people = awarded = 0
    while True:
        ids = people_to_refresh(session, community_id, after_id, batch)
        if not ids:
            return people, awarded
        with unit_of_work(session):
            found = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))
            users = [user for user in found if user.role != roles.DISTRICT_ADMIN]
            if users:
                wallet_of = wallets.wallet_ids(session, users)
                lock_accounts(session, wallet_of.values())
                new = refresh_people(session, users, wallet_of, now=now)
                awarded += sum(len(badges) for badges in new.values())
        people += len(ids)
        after_id = ids[-1]
        if progress:
            progress(people, after_id)


def forget_tallies_of(session, user_id):
    """Drop a person's cached rows (their departure); a refresh rebuilds them."""
    session.execute(delete(MonthlyTally).where(MonthlyTally.user_id == user_id))
    session.execute(delete(Standing).where(Standing.user_id == user_id))


@dataclass(frozen=True)
class Progress:
    """What the home page and the badge page show of a person's game."""

    standing: Standing | None  # cached: rank and leaderboard figures
    level: rules.LevelView
    current_streak: int
    best_streak: int
    outcomes: list  # rules.Outcome per badge
    awards: dict  # badge code → BadgeAward that stands

    @property
    def earned(self):
        return [outcome for outcome in self.outcomes if outcome.badge.code in self.awards]

    @property
    def newest(self):
        return sorted(self.earned, key=lambda outcome: self.awards[outcome.badge.code].awarded_at,
                      reverse=True)


def progress_of(session, user, now):
    """The person's level, streak and badge progress, read from the cache and their facts
    (reads only: a person never refreshed shows the figures their credits give)."""
    facts = facts_of(session, user, now)
    points = sum((credit.points for credit in facts.credits), Decimal(0))
    current, best = rules.streaks(active_months(facts), facts.this_month)
    awards = {award.badge: award for award in session.scalars(
        select(BadgeAward).where(BadgeAward.user_id == user.id, BadgeAward.revoked_at.is_(None)))}
    return Progress(session.get(Standing, user.id),
                    rules.level_for(points, ladder(session, user.community_id)),
                    current, best, rules.evaluate(facts), awards)


# --- levels: the community's ladder, a person's level -----------------------------------

def level_of(session, user):
    """The person's level on the community's ladder, from their standing's points (the
    credits that stand, kept with every credit and reversal; ``checks`` compares them), so
    its cost does not grow with their credits. Reads only; spending and expiry never
    lower it."""
    points = session.scalar(select(Standing.points).where(Standing.user_id == user.id))
    return rules.level_for(points or Decimal(0), ladder(session, user.community_id))


def award_credits(session, awards):
    """``{credit id: Credit}`` of the credits that earned ``awards`` (their work and type)."""
    ids = {award.credit_id for award in awards if award.credit_id is not None}
    if not ids:
        return {}
    found = session.scalars(select(Credit).where(Credit.id.in_(ids))
                            .options(selectinload(Credit.activity_type)))
    return {credit.id: credit for credit in found}


def ensure_ladder_keeper(actor, community_id):
    """Office staff and admins of the community set its levels; grid workers read them."""
    if actor.role not in roles.OFFICE_ROLES or actor.community_id not in (None, community_id):
        raise ForbiddenError()


def cleaned_ladder(steps):
    """``steps`` (``(threshold, name)``, any order) as whole Decimal thresholds and trimmed
    names, lowest first; ``InvalidLadderError`` saying what is wrong when
    ``rules.ensure_valid_ladder`` refuses it."""
    try:
        cleaned = sorted(((Decimal(str(threshold).strip()), " ".join(str(name or "").split()))
                          for threshold, name in steps), key=lambda step: step[0])
    except (InvalidOperation, ValueError):
        raise LadderThresholdError() from None
    thresholds = [threshold for threshold, _ in cleaned]
    if rules.ensure_valid_ladder(cleaned) and all(
            threshold.is_finite() and threshold == threshold.to_integral_value()
            and threshold <= MAX_AMOUNT for threshold in thresholds):
        return [(threshold.quantize(Decimal(1)), name) for threshold, name in cleaned]
    if not 2 <= len(cleaned) <= 10:
        raise LadderSizeError()
    if not all(name and len(name) <= 20 for _, name in cleaned):
        raise LadderNameError()
    if thresholds[0] != 0 and all(threshold >= 0 for threshold in thresholds):
        raise LadderStartError()
    raise LadderThresholdError()


def save_ladder(session, *, actor, community_id, ladder, now):
    """Replace the community's levels with ``ladder`` (2–10 ``(threshold, name)`` pairs,
    the first at 0) in one transaction, recorded in the audit log with before and after.
    Levels are read from the ladder when shown, so everyone's level follows at once; no
    standing changes. The same ladder again records nothing. Raises ``ForbiddenError``
    and ``InvalidLadderError``; returns the ladder saved, lowest first."""
    ensure_ladder_keeper(actor, community_id)
    steps = cleaned_ladder(ladder)
    with unit_of_work(session):
        # Two offices saving at once take turns on the community row (SQLite: one writer).
        session.execute(select(Community.id).where(Community.id == community_id).with_for_update())
        before = [tuple(row) for row in session.execute(
            select(Level.threshold, Level.name).where(Level.community_id == community_id)
            .order_by(Level.threshold))]
        if before == steps:
            return steps
        # A bulk delete runs now, so a new step may reuse an old threshold (unique).
        session.execute(delete(Level).where(Level.community_id == community_id))
        session.add_all([Level(community_id=community_id, threshold=threshold, name=name)
                         for threshold, name in steps])
        session.flush()
        audit.record(session, actor=actor, action="levels.save", obj_type="community",
                     obj_id=community_id, before=_ladder_picture(before),
                     after=_ladder_picture(steps), community_id=community_id, now=now)
    return steps


def _ladder_picture(steps):
    """The audit log's picture of a ladder: threshold → name (empty: the default one)."""
    return {ledger.format_amount(threshold): name for threshold, name in steps} or None
