"""Keeping each person's standing, tallies and badges equal to the credits that stand.

``refresh_person`` recomputes one person from their facts (credits not reversed, their
household's 清洁户 months, what expiry took) inside the caller's write transaction, after
the caller locked the person's wallet: ``credit_work`` and ``reverse_credit`` call it, so a
badge or level never outlives the credit it came from. ``refresh_community`` does the same
for everyone, nightly; it is idempotent and can be stopped and started again. Nothing here
moves points.
"""
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


# --- reading facts ----------------------------------------------------------------------

def ladder(session, community_id):
    """The community's levels as ``(threshold, name)``, or the default ladder."""
    rows = session.execute(select(Level.threshold, Level.name)
                           .where(Level.community_id == community_id)
                           .order_by(Level.threshold)).all()
    return [tuple(row) for row in rows] or list(rules.DEFAULT_LEVELS)


def standing_credits(session, user_id):
    """The person's credits that stand (not reversed), oldest work first."""
    rows = session.execute(
        select(Credit.id, Credit.work_day, Credit.points, Credit.hours, ActivityType.category)
        .join(ActivityType, ActivityType.id == Credit.type_id)
        .where(Credit.user_id == user_id, Credit.reversed_at.is_(None))
        .order_by(Credit.work_day, Credit.id)).all()
    return tuple(rules.CreditFact(*row) for row in rows)


def clean_months(session, household_id):
    """The months the household was rated 清洁户 (its latest score of the month passed)."""
    if household_id is None:
        return ()
    rows = session.scalars(select(InspectionScore.month).where(
        InspectionScore.household_id == household_id, InspectionScore.passed.is_(True)))
    return tuple(sorted(set(rows)))


def expired_points(session, wallet):
    return Decimal(session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.debit_account_id == wallet, Transfer.kind == EXPIRE_KIND)) or 0)


def facts_of(session, user, now):
    return rules.Facts(standing_credits(session, user.id), clean_months(session, user.household_id),
                       months.month_of(now))


def active_months(facts):
    return {months.month_of(credit.work_day) for credit in facts.credits}


# --- refreshing -------------------------------------------------------------------------

def refresh_person(session, user, *, now, wallet=None):
    """Recompute ``user``'s standing, monthly tallies and badges; returns the badges newly
    awarded. Runs inside the caller's write transaction with the wallet locked (``wallet``:
    its id, when the caller has it) and notifies the person of each new badge."""
    wallet = wallet if wallet is not None else wallets.wallet_id(session, user)
    facts = facts_of(session, user, now)
    grid_id = user.household.grid_id if user.household else None
    _write_standing(session, user, facts, grid_id, expired_points(session, wallet), now)
    _write_tallies(session, user, facts, grid_id)
    return _write_badges(session, user, facts, now)


def _write_standing(session, user, facts, grid_id, expired, now):
    points = sum((credit.points for credit in facts.credits), Decimal(0))
    current, best = rules.streaks(active_months(facts), facts.this_month)
    standing = session.get(Standing, user.id) or Standing(user_id=user.id)
    standing.community_id, standing.grid_id = user.community_id, grid_id
    standing.points, standing.expired = points, expired
    standing.score = max(points - expired, Decimal(0))
    standing.credits = len(facts.credits)
    standing.hours = sum((credit.hours or Decimal(0) for credit in facts.credits), Decimal(0))
    standing.current_streak, standing.best_streak = current, best
    standing.last_month = months.month_of(facts.credits[-1].work_day) if facts.credits else None
    standing.refreshed_at = now
    session.add(standing)


def _write_tallies(session, user, facts, grid_id):
    totals = {}
    for credit in facts.credits:
        month = months.month_of(credit.work_day)
        points, count = totals.get(month, (Decimal(0), 0))
        totals[month] = (points + credit.points, count + 1)
    existing = {tally.month: tally for tally in session.scalars(
        select(MonthlyTally).where(MonthlyTally.user_id == user.id))}
    for month, tally in existing.items():
        if month not in totals:
            session.delete(tally)
    for month, (points, count) in totals.items():
        tally = existing.get(month) or MonthlyTally(user_id=user.id, month=month)
        tally.community_id, tally.grid_id = user.community_id, grid_id
        tally.points, tally.credits = points, count
        session.add(tally)
    session.flush()


def _write_badges(session, user, facts, now):
    awards = {award.badge: award for award in session.scalars(
        select(BadgeAward).where(BadgeAward.user_id == user.id))}
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
    session.flush()
    for badge in new:
        notify(session, user=user, kind="badge", title=BADGE_TITLE,
               body=(BADGE_BODY, {"badge": badge.name, "description": badge.description}),
               link="/me/badges", now=now)
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
    transaction (each person's wallet locked while they are recomputed). Idempotent; pass
    the last id printed as ``after_id`` to resume. Returns ``(people, new badges)``."""
    people = awarded = 0
    while True:
        ids = people_to_refresh(session, community_id, after_id, batch)
        if not ids:
            return people, awarded
        with unit_of_work(session):
            for user in session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)):
                if user.role == roles.DISTRICT_ADMIN:
                    continue
                wallet = wallets.wallet_id(session, user)
                lock_accounts(session, [wallet])
                awarded += len(refresh_person(session, user, now=now, wallet=wallet))
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
