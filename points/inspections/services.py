"""Use cases of 文明积分: score a grid's households for a month, correct a score, and read
the month's 清洁户.

Scoring a grid-month first locks its ``Inspection`` row (made if new), so two people
saving the same grid and month at once take turns: the second finds the first one's
scores and changes nothing for those households. ``InspectionScore`` is unique per
household and month, and each credit carries the key ``inspection:{household}:{month}:r
{revision}``, so a household is credited at most once per revision. Only office staff
correct a score, with a reason: the earlier credit is reversed and, if the household now
passes, credited anew under the next revision.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.accounts import find_account
from ledger.errors import N_
from ledger.locking import lock_accounts
from points import wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.communities.models import Community, Grid
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.gamification import services as gamification
from points.households.models import Household
from points.inspections import rules
from points.inspections.errors import (ConcurrentScoringError, HouseholdNotInGridError,
                                       NoScoresError, ScoreNotFoundError,
                                       StaleCorrectionError)
from points.inspections.models import Inspection, InspectionPolicy, InspectionScore
from points.notifications.services import notify
from points.residents.services import grid_in_reach, grids_in_reach

LINK = "/home"  # the resident's home shows the household's points
CREDIT_REASON = N_("文明积分：%(month)s 清洁户")
CREDITED_TITLE = N_("本户获得文明积分")
CREDITED_BODY = N_("%(month)s 卫生评比，%(address)s 评为清洁户，本户文明积分 +%(points)s。")
CORRECTED_TITLE = N_("本户的卫生评比已更正")
CORRECTED_PASS = N_("%(month)s 卫生评比已更正（原因：%(reason)s）：%(address)s 评为清洁户，"
                    "本户文明积分 +%(points)s。")
CORRECTED_FAIL = N_("%(month)s 卫生评比已更正（原因：%(reason)s）：%(address)s 这个月未评为"
                    "清洁户。")
CORRECTED_TAKEN_BACK = N_("原先记入的 %(points)s 分已退回。")


@dataclass
class SheetRow:
    household: Household
    score: InspectionScore | None = None


@dataclass
class Sheet:
    """A grid's households for a month, each with its score once scored."""

    grid: Grid
    month: str
    policy: rules.Policy
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def scored(self):
        return [row.score for row in self.rows if row.score is not None]


@dataclass
class Scored:
    """What a save did: every submitted household's score, and which ones are new."""

    inspection: Inspection
    results: list[InspectionScore]
    created_ids: set[int]

    @property
    def created(self):
        return [score for score in self.results if score.id in self.created_ids]


@dataclass
class CleanHousehold:
    grid: Grid
    household: Household
    score: InspectionScore


@dataclass
class Standing:
    """A household's 文明积分 balance and the latest month it was a 清洁户."""

    points: Decimal
    last_clean_month: str | None


def ensure_inspector(actor, community):
    """Staff of ``community`` (grid workers for their own grids) or a district admin."""
    if actor.role not in roles.STAFF_ROLES:
        raise ForbiddenError()
    if actor.community_id not in (None, community.id):
        raise NotFoundError()


def ensure_corrector(actor, community):
    """Only office staff correct a score; grid workers score, they do not re-score."""
    ensure_inspector(actor, community)
    if actor.role not in roles.OFFICE_ROLES:
        raise ForbiddenError()


def acting_community(session, actor, *, grid_id=None, score_id=None):
    """The community an API call acts in: the staff member's own; for a district
    administrator (who has none), the grid's or the score's."""
    if actor.community_id is not None:
        return actor.community
    model, object_id = (Grid, grid_id) if grid_id is not None else (InspectionScore, score_id)
    found = session.get(model, object_id)
    if found is None:
        raise NotFoundError()
    return session.get(Community, found.community_id)


def policy_for(session, community_id):
    """The community's pass rule and award (the programme's default unless it keeps its own)."""
    row = session.scalar(select(InspectionPolicy)
                         .where(InspectionPolicy.community_id == community_id))
    if row is None:
        return rules.DEFAULT_POLICY
    return rules.Policy(item_min=row.item_min, total_min=row.total_min, points=row.points)


def checked_month(month, now):
    month = rules.parse_month(month)
    rules.ensure_not_future(month, now)
    return month


def households_of(session, community, grid_id):
    return list(session.scalars(select(Household).where(
        Household.community_id == community.id, Household.grid_id == grid_id)
        .order_by(Household.address, Household.id)))


def scores_of(session, community, household_ids, month):
    """``{household_id: score}`` of the month (whichever grid's inspection made it)."""
    if not household_ids:
        return {}
    stmt = (select(InspectionScore)
            .where(InspectionScore.community_id == community.id, InspectionScore.month == month,
                   InspectionScore.household_id.in_(household_ids))
            .execution_options(populate_existing=True))
    return {score.household_id: score for score in session.scalars(stmt)}


def grid_sheet(session, *, actor, community, grid_id, month, now):
    """Every household of a grid in reach, with its score for ``month`` if it has one.
    Raises ``NotFoundError`` (grid outside reach), ``InvalidMonthError``, ``FutureMonthError``."""
    ensure_inspector(actor, community)
    month = checked_month(month, now)
    grid = grid_in_reach(session, actor=actor, community=community, grid_id=grid_id)
    households = households_of(session, community, grid.id)
    scores = scores_of(session, community, [household.id for household in households], month)
    return Sheet(grid=grid, month=month, policy=policy_for(session, community.id),
                 rows=[SheetRow(household, scores.get(household.id)) for household in households])


def lock_inspection(session, *, community, grid, month, actor, now):
    """The grid-month's inspection, made if new, locked until the transaction ends."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Inspection).values(
        community_id=community.id, grid_id=grid.id, month=month, inspector_id=actor.id,
        created_at=now).on_conflict_do_nothing(index_elements=["grid_id", "month"]))
    return session.scalar(select(Inspection)
                          .where(Inspection.grid_id == grid.id, Inspection.month == month)
                          .with_for_update().execution_options(populate_existing=True))


def households_asked(session, community, grid, household_ids):
    """The households named, all of them in ``grid``, else ``HouseholdNotInGridError``."""
    found = {household.id: household for household in session.scalars(select(Household).where(
        Household.community_id == community.id, Household.grid_id == grid.id,
        Household.id.in_(household_ids)))}
    if len(found) != len(set(household_ids)):
        raise HouseholdNotInGridError()
    return found


def score_values(score):
    """The audit log's picture of a score."""
    return {"household_id": score.household_id, "address": score.household.address,
            "month": score.month, "personal": score.personal, "home": score.home,
            "public": score.public, "result": "clean" if score.passed else "not_clean",
            "points": score.points,
            "revision": score.revision}


def members_of(session, household):
    return list(session.scalars(select(User).where(
        User.household_id == household.id, User.active.is_(True)).order_by(User.id)))


def lock_members(session, household_ids):
    """The households' active members, ``(member, wallet id)``, with their wallets locked
    in id order before any transfer: ``credit_work`` locks a wallet before the issuance
    account, so taking them the other way round could deadlock with it."""
    if not household_ids:
        return []
    members = list(session.scalars(select(User).where(
        User.household_id.in_(set(household_ids)), User.active.is_(True)).order_by(User.id)))
    found = [(member, wallets.wallet_id(session, member)) for member in members]
    if found:
        lock_accounts(session, [wallet for _, wallet in found])
    return found


def refresh_members(session, members, household_ids, *, now):
    """Recompute the standing and badges (清洁之家) of the locked members of the households."""
    chosen = [(member, wallet) for member, wallet in members if member.household_id in household_ids]
    gamification.refresh_people(session, [member for member, _ in chosen],
                                {member.id: wallet for member, wallet in chosen}, now=now)


def tell_household(session, household, *, kind, title, body, now):
    for member in members_of(session, household):
        notify(session, user=member, kind=kind, title=title, body=body, link=LINK, now=now)


def credit_household(session, *, score, actor, now):
    """Credit the pass award to the household account under the score's revision key."""
    household = score.household
    account = ledger.open_account(session, community_id=household.community_id,
                                  owner_type=wallets.HOUSEHOLD, owner_id=household.id)
    posted = wallets.credit_points(
        session, account=account, community_id=household.community_id, amount=score.points,
        key=rules.credit_key(household.id, score.month, score.revision), kind="earn",
        reason=CREDIT_REASON % {"month": score.month}, actor_id=actor.id,
        ref_type="inspection_score", ref_id=score.id, now=now)
    score.transfer_id = posted.id
    session.flush()


def apply_scores(score, values, policy):
    for item in rules.ITEMS:
        setattr(score, item, values[item])
    score.passed = rules.passes(values, policy)
    score.points = policy.points if score.passed else None


def add_score(session, *, inspection, household, values, policy, actor, now):
    """A new household score; a pass is credited and the household told."""
    score = InspectionScore(community_id=inspection.community_id, inspection_id=inspection.id,
                            household_id=household.id, month=inspection.month,
                            scored_by_id=actor.id, scored_at=now, revision=1)
    score.household = household
    apply_scores(score, values, policy)
    session.add(score)
    session.flush()
    if score.passed:
        credit_household(session, score=score, actor=actor, now=now)
        body = (CREDITED_BODY, {"month": score.month, "address": household.address,
                                "points": ledger.format_amount(score.points)})
        tell_household(session, household, kind="household_credited", title=CREDITED_TITLE,
                       body=body, now=now)
    audit.record(session, actor=actor, action="inspection.create", obj_type="inspection_score",
                 obj_id=score.id, after=score_values(score),
                 community_id=inspection.community_id, now=now)
    return score


def check_entries(entries):
    """``entries``: ``[{"household_id", "personal", "home", "public"}]``, at least one,
    each household once, each score 0–10."""
    if not entries:
        raise NoScoresError()
    rules.ensure_each_household_once([entry["household_id"] for entry in entries])
    for entry in entries:
        rules.ensure_scores_in_range(entry)


def score_grid(session, *, actor, community, grid_id, month, entries, now):
    """Score households of a grid for a month. A household already scored that month
    keeps its score and credit (shown as it is); a new pass is credited to the household
    account, its members are told, and the act is in the audit log. Raises
    ``NotFoundError`` / ``HouseholdNotInGridError``, month and score errors."""
    ensure_inspector(actor, community)
    month = checked_month(month, now)
    check_entries(entries)
    try:
        with unit_of_work(session):
            grid = grid_in_reach(session, actor=actor, community=community, grid_id=grid_id)
            inspection = lock_inspection(session, community=community, grid=grid, month=month,
                                         actor=actor, now=now)
            ids = [entry["household_id"] for entry in entries]
            households = households_asked(session, community, grid, ids)
            existing = scores_of(session, community, ids, month)
            members = lock_members(session, [key for key in ids if key not in existing])
            policy = policy_for(session, community.id)
            results, created = [], set()
            for entry in entries:
                score = existing.get(entry["household_id"])
                if score is None:
                    score = add_score(session, inspection=inspection, policy=policy, actor=actor,
                                      household=households[entry["household_id"]],
                                      values=entry, now=now)
                    created.add(score.id)
                results.append(score)
            refresh_members(session, members, {score.household_id for score in results
                                               if score.id in created and score.passed}, now=now)
    except IntegrityError:
        # The household was scored at this moment through another grid's inspection.
        raise ConcurrentScoringError() from None
    return Scored(inspection=inspection, results=results, created_ids=created)


def lock_score(session, community, score_id):
    """The score and its inspection, both locked (inspection first, as scoring does)."""
    score = session.scalar(select(InspectionScore).where(
        InspectionScore.id == score_id, InspectionScore.community_id == community.id))
    if score is None:
        raise ScoreNotFoundError()
    session.scalar(select(Inspection).where(Inspection.id == score.inspection_id)
                   .with_for_update())
    return session.scalar(select(InspectionScore).where(InspectionScore.id == score_id)
                          .with_for_update().execution_options(populate_existing=True))


def corrected_body(score, reason, taken_back):
    values = {"month": score.month, "reason": reason, "address": score.household.address,
              "points": ledger.format_amount(score.points) if score.passed else ""}
    body = [(CORRECTED_PASS if score.passed else CORRECTED_FAIL, values)]
    if taken_back is not None:
        body.append((CORRECTED_TAKEN_BACK, {"points": ledger.format_amount(taken_back)}))
    return body


def take_back(session, score, *, reason, actor, now):
    """Reverse the score's current credit, if any; returns the points taken back."""
    if score.transfer_id is None:
        return None
    ledger.reverse(session, score.transfer_id, reason=reason, actor_id=actor.id, now=now,
                   key=rules.reversal_key(score.household_id, score.month, score.revision))
    return score.points


def correct_score(session, *, actor, community, score_id, values, reason, now,
                  expected_revision=None):
    """Re-score a household for its month (office staff, with a reason): the earlier
    credit is reversed, a pass is credited anew under revision + 1, the household is told,
    and the audit log keeps before and after. Raises ``ReasonRequiredError``,
    ``NothingToCorrectError``, ``StaleCorrectionError`` (``expected_revision`` is not the
    current one), ``InsufficientPointsError`` (the household already spent the credit)."""
    ensure_corrector(actor, community)
    reason = rules.clean_reason(reason)
    rules.ensure_scores_in_range(values)
    with unit_of_work(session):
        score = lock_score(session, community, score_id)
        members = lock_members(session, [score.household_id])
        if expected_revision is not None and expected_revision != score.revision:
            raise StaleCorrectionError()
        rules.ensure_changed(score, values)
        before = score_values(score)
        taken_back = take_back(session, score, reason=reason, actor=actor, now=now)
        score.revision, score.transfer_id = score.revision + 1, None
        apply_scores(score, values, policy_for(session, community.id))
        score.corrected_by_id, score.corrected_at, score.correction_reason = actor.id, now, reason
        session.flush()
        if score.passed:
            credit_household(session, score=score, actor=actor, now=now)
        refresh_members(session, members, {score.household_id}, now=now)
        tell_household(session, score.household, kind="household_corrected",
                       title=CORRECTED_TITLE, now=now,
                       body=corrected_body(score, reason, taken_back))
        audit.record(session, actor=actor, action="inspection.correct",
                     obj_type="inspection_score", obj_id=score.id, before=before,
                     after=score_values(score), reason=reason, community_id=community.id,
                     now=now)
    return score


def score_in_reach(session, *, actor, community, score_id):
    """A score whose grid the actor reaches (for the correction page), else not found."""
    ensure_inspector(actor, community)
    score = session.scalar(select(InspectionScore).where(
        InspectionScore.id == score_id, InspectionScore.community_id == community.id))
    if score is None:
        raise ScoreNotFoundError()
    grid_in_reach(session, actor=actor, community=community, grid_id=score.inspection.grid_id)
    return score


def clean_households(session, community_id, month, grid_ids=None):
    """The month's 清洁户 of the community (only ``grid_ids`` if given), by grid and
    address. Public: the honour board reads it."""
    stmt = (select(Grid, Household, InspectionScore)
            .join(Inspection, Inspection.id == InspectionScore.inspection_id)
            .join(Grid, Grid.id == Inspection.grid_id)
            .join(Household, Household.id == InspectionScore.household_id)
            .where(InspectionScore.community_id == community_id, InspectionScore.month == month,
                   InspectionScore.passed.is_(True))
            .order_by(Grid.name, Grid.id, Household.address, Household.id))
    if grid_ids is not None:
        stmt = stmt.where(Inspection.grid_id.in_(grid_ids))
    return [CleanHousehold(*row) for row in session.execute(stmt)]


def clean_households_in_reach(session, *, actor, community, month, now):
    """The month's 清洁户 in the grids the actor reaches."""
    ensure_inspector(actor, community)
    month = checked_month(month, now)
    grids = grids_in_reach(session, actor=actor, community=community)
    return clean_households(session, community.id, month, [grid.id for grid in grids])


@dataclass
class InspectionSummary:
    inspection: Inspection
    scored: int
    passed: int


def recent_inspections(session, *, actor, community, limit=12):
    """The latest grid-months inspected in the actor's grids, with counts."""
    ensure_inspector(actor, community)
    grid_ids = [grid.id for grid in grids_in_reach(session, actor=actor, community=community)]
    passed = func.coalesce(func.sum(case((InspectionScore.passed.is_(True), 1), else_=0)), 0)
    stmt = (select(Inspection, func.count(InspectionScore.id), passed)
            .outerjoin(InspectionScore, InspectionScore.inspection_id == Inspection.id)
            .where(Inspection.community_id == community.id, Inspection.grid_id.in_(grid_ids))
            .group_by(Inspection.id)
            .order_by(Inspection.month.desc(), Inspection.id.desc()).limit(limit))
    return [InspectionSummary(inspection, scored, int(passed))
            for inspection, scored, passed in session.execute(stmt)]


def household_standing(session, household):
    """The household's 文明积分 balance (zero if never credited) and latest clean month."""
    if household is None:
        return None
    account = find_account(session, community_id=household.community_id,
                           owner_type=wallets.HOUSEHOLD, owner_id=household.id)
    points = ledger.balance_of(session, account).balance if account else ledger.ZERO
    last = session.scalar(select(func.max(InspectionScore.month)).where(
        InspectionScore.household_id == household.id, InspectionScore.passed.is_(True)))
    return Standing(points=points, last_clean_month=last)
