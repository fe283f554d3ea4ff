"""Deciding on claims: the queue, approve (once or twice), reject, approve many.

Exactly once: every decision locks the claim row (``SELECT … FOR UPDATE``, re-read from
the database) before it looks at the status, in the same transaction as the credit, the
decision row, the audit event and the notification. A second approver racing the first
waits for the lock and then finds the claim decided (409). ``ClaimDecision`` is unique
per approver and claim, ``Credit`` per claim and person, and ``Claim.credit_id`` unique:
the database refuses a double credit even if this code were wrong.

Above the type's ``second_approval_above``, the first approval moves no points: it puts
the claim in ``second_review`` until a different approver approves (the points move
then) or rejects it.

Response time is ``decided_at - created_at`` of the final decision; the queue shows the
median over the last 30 days for the whole community, whatever grids the viewer
reaches, because the 15-minute promise is the community's.

Bulk approval decides each claim in its own transaction: one claim refused (a cap
reached, a conflict of interest, a colleague faster) must not hold back the others, and
the office sees per claim what happened.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

import ledger
from ledger.errors import DomainError, N_
from points.audit import services as audit
from points.auth import roles
from points.auth.models import GridAssignment
from points.claims import rules
from points.claims.errors import (ClaimAlreadyDecidedError, ClaimNotFoundError,
                                  NothingChosenError, TooManyAtOnceError)
from points.claims.models import APPROVED, REJECTED, SECOND_REVIEW, Claim, ClaimDecision
from points.earning import services as earning
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.residents import rules as resident_rules

MAX_AT_ONCE = 100
QUEUE_LIMIT = 200
PAGE_SIZE = 20

APPROVED_TITLE = N_("申报已通过")
APPROVED_BODY = N_("您申报的“%(type)s”（%(day)s）已通过，获得 %(points)s 积分。")
REJECTED_TITLE = N_("申报未通过")
REJECTED_BODY = N_("您申报的“%(type)s”（%(day)s）未通过。原因：%(reason)s")


@dataclass
class QueueRow:
    claim: Claim
    waiting_minutes: int

    @property
    def has_duplicate(self):
        return any(photo.duplicate_of_claim_id for photo in self.claim.photos)


@dataclass
class Queue:
    rows: list[QueueRow]
    median_minutes: int | None  # created → decided, last 30 days; None: nothing decided
    decided_count: int
    promise_minutes: int = rules.PROMISE_MINUTES

    @property
    def within_promise(self):
        return rules.within_promise(self.median_minutes)


@dataclass
class Review:
    """A claim as an approver sees it: what the rule proposes and what the caps allow."""

    claim: Claim
    proposed: Decimal
    day_room: Decimal | None
    month_room: Decimal | None
    waiting_minutes: int | None
    needs_second: bool
    may_decide: bool
    refusal: DomainError | None = None


@dataclass
class BulkOutcome:
    claim_id: int
    status: str  # approved | second_review | refused
    claim: Claim | None = None
    error: DomainError | None = None


@dataclass
class BulkResult:
    outcomes: list[BulkOutcome] = field(default_factory=list)

    def count(self, status):
        return sum(outcome.status == status for outcome in self.outcomes)


# Who decides, and on what


def ensure_approver(actor, community):
    """Staff and grid workers of ``community`` (or a district administrator)."""
    if actor.role not in roles.STAFF_ROLES:
        raise ForbiddenError()
    if actor.community_id not in (None, community.id):
        raise NotFoundError()


def _in_reach(stmt, actor):
    if resident_rules.is_office(actor):
        return stmt
    own_grids = select(GridAssignment.grid_id).where(GridAssignment.user_id == actor.id)
    return stmt.where(Claim.grid_id.in_(own_grids))


def _reachable(actor, claim):
    return resident_rules.reaches_grid(actor, claim.grid_id)


def locked_claim(session, *, actor, community, claim_id):
    """The claim, locked and re-read, if in the actor's reach; else ``ClaimNotFoundError``."""
    claim = session.scalar(
        select(Claim).where(Claim.id == claim_id, Claim.community_id == community.id)
        .with_for_update().execution_options(populate_existing=True))
    if claim is None or not _reachable(actor, claim):
        raise ClaimNotFoundError()
    session.expire(claim, ["decisions"])  # read after the lock, never from before it
    return claim


def claim_in_reach(session, *, actor, community, claim_id):
    ensure_approver(actor, community)
    claim = session.scalar(select(Claim).where(Claim.id == claim_id,
                                               Claim.community_id == community.id))
    if claim is None or not _reachable(actor, claim):
        raise ClaimNotFoundError()
    return claim


# Approve and reject


def approve_claim(session, *, actor, community, claim_id, points=None, note="", now):
    """Approve with the rule's points, or ``points`` (whole, positive) with a ``note``
    giving the reason for the change. Above the type's threshold, a first approval puts
    the claim in ``second_review``; the second, by someone else, credits it.

    Raises ``ForbiddenError`` (not staff), ``ClaimNotFoundError`` (unknown or out of
    reach), the conflict-of-interest errors (403), ``ClaimAlreadyDecidedError`` and
    ``SameApproverTwiceError`` (409), ``AdjustReasonMissingError``,
    ``AdjustedPointsInvalidError`` and ``CapReachedError`` (422).
    """
    ensure_approver(actor, community)
    chosen = rules.parse_points(points)
    try:
        with unit_of_work(session):
            claim = locked_claim(session, actor=actor, community=community, claim_id=claim_id)
            _decide_approval(session, claim, actor=actor, chosen=chosen, note=note, now=now)
    except IntegrityError:
        # Only reachable if the lock were bypassed: the constraints still hold.
        raise ClaimAlreadyDecidedError() from None
    return claim


def _decide_approval(session, claim, *, actor, chosen, note, now):
    rules.ensure_no_conflict(claim, actor)
    rules.ensure_open_for(claim, actor)
    proposed = rules.points_proposed(claim)
    points = chosen if chosen is not None else proposed
    reason = rules.adjust_note(proposed, points, note)
    earning.ensure_within_caps(session, user_id=claim.user_id, activity_type=claim.activity_type,
                               work_day=claim.work_day, points=points)
    if points != proposed:
        _record(session, claim, actor, "claim.adjust", {"points": proposed},
                {"points": points}, reason, now)
    if claim.status != SECOND_REVIEW and rules.needs_second_approval(claim.activity_type, points):
        _first_approval(session, claim, actor=actor, points=points, reason=reason, now=now)
    else:
        _final_approval(session, claim, actor=actor, points=points, reason=reason, now=now)


def _first_approval(session, claim, *, actor, points, reason, now):
    before = status_values(claim)
    _add_decision(session, claim, actor, "approve", points, reason, now)
    claim.status = SECOND_REVIEW
    _record(session, claim, actor, "claim.approve_first", before,
            {**status_values(claim), "points": points}, reason, now)


def _final_approval(session, claim, *, actor, points, reason, now):
    before = status_values(claim)
    earned = earning.credit_work(
        session, user=claim.user, activity_type=claim.activity_type, source="claim",
        source_id=claim.id, work_day=claim.work_day, points=points, hours=claim.hours,
        approved_by=actor, over_cap="refuse", now=now)
    if not earned.created:
        raise ClaimAlreadyDecidedError()
    _add_decision(session, claim, actor, "approve", points, reason, now)
    claim.status, claim.points, claim.decided_at = APPROVED, points, now
    claim.credit_id = earned.credit.id
    _record(session, claim, actor, "claim.approve", before,
            {**status_values(claim), "points": points, "credit_id": earned.credit.id},
            reason, now)
    notify(session, user=claim.user, kind="claim_approved", title=APPROVED_TITLE,
           body=(APPROVED_BODY, {"type": claim.activity_type.name,
                                  "day": claim.work_day.isoformat(),
                                  "points": ledger.format_amount(points)}),
           link=f"/claims/{claim.id}", now=now)


def reject_claim(session, *, actor, community, claim_id, reason, now):
    """Reject with a reason (required): no points move; the claimant is told why.
    Refusals as for ``approve_claim``, and ``RejectReasonMissingError``."""
    ensure_approver(actor, community)
    reason = rules.reject_reason(reason)
    try:
        with unit_of_work(session):
            claim = locked_claim(session, actor=actor, community=community, claim_id=claim_id)
            rules.ensure_no_conflict(claim, actor)
            rules.ensure_open_for(claim, actor)
            before = status_values(claim)
            _add_decision(session, claim, actor, "reject", None, reason, now)
            claim.status, claim.reject_reason, claim.decided_at = REJECTED, reason, now
            _record(session, claim, actor, "claim.reject", before, status_values(claim),
                    reason, now)
            notify(session, user=claim.user, kind="claim_rejected", title=REJECTED_TITLE,
                   body=(REJECTED_BODY, {"type": claim.activity_type.name,
                                          "day": claim.work_day.isoformat(), "reason": reason}),
                   link=f"/claims/{claim.id}", now=now)
    except IntegrityError:
        raise ClaimAlreadyDecidedError() from None
    return claim


def approve_many(session, *, actor, community, claim_ids, now):
    """Approve each claim with its rule's points, each in its own transaction; returns
    what happened to each (approved, second_review, or refused with the error)."""
    ensure_approver(actor, community)
    ids = list(dict.fromkeys(int(claim_id) for claim_id in claim_ids))
    if not ids:
        raise NothingChosenError()
    if len(ids) > MAX_AT_ONCE:
        raise TooManyAtOnceError(limit=MAX_AT_ONCE)
    result = BulkResult()
    for claim_id in ids:
        try:
            claim = approve_claim(session, actor=actor, community=community, claim_id=claim_id,
                                  now=now)
        except DomainError as error:  # reported per claim; the others go on
            result.outcomes.append(BulkOutcome(claim_id, "refused", error=error))
        else:
            result.outcomes.append(BulkOutcome(claim_id, claim.status, claim=claim))
    return result


def _add_decision(session, claim, actor, decision, points, reason, now):
    session.add(ClaimDecision(community_id=claim.community_id, claim_id=claim.id,
                              approver_id=actor.id, decision=decision, points=points,
                              reason=reason, at=now))
    session.flush()


def status_values(claim):
    return {"status": claim.status}


def _record(session, claim, actor, action, before, after, reason, now):
    audit.record(session, actor=actor, action=action, obj_type="claim", obj_id=claim.id,
                 before=before, after=after, reason=reason, community_id=claim.community_id,
                 now=now)


# Reading: the queue, one claim, the list


def _detailed(stmt):
    return stmt.options(selectinload(Claim.photos), selectinload(Claim.decisions),
                        selectinload(Claim.activity_type), selectinload(Claim.user),
                        selectinload(Claim.credit))


def review_queue(session, *, actor, community, now):
    """Pending and second-review claims in reach, oldest first, with waiting times and
    the community's median response time over the last 30 days."""
    ensure_approver(actor, community)
    stmt = _in_reach(_detailed(select(Claim)).where(
        Claim.community_id == community.id, Claim.status.in_(rules.OPEN_STATUSES)), actor)
    claims = session.scalars(stmt.order_by(Claim.created_at, Claim.id).limit(QUEUE_LIMIT))
    rows = [QueueRow(claim, rules.minutes_between(claim.created_at, now)) for claim in claims]
    durations = response_times(session, community_id=community.id, now=now)
    return Queue(rows=rows, median_minutes=rules.median_minutes(durations),
                 decided_count=len(durations))


def response_times(session, *, community_id, now):
    """Created → decided of the community's claims decided in the last 30 days."""
    stmt = select(Claim.created_at, Claim.decided_at).where(
        Claim.community_id == community_id, Claim.decided_at.is_not(None),
        Claim.decided_at >= now - rules.RESPONSE_WINDOW)
    return [decided - created for created, decided in session.execute(stmt)]


def review(session, *, actor, community, claim_id, now):
    """One claim for an approver: points proposed, caps left, whether they may decide."""
    claim = claim_in_reach(session, actor=actor, community=community, claim_id=claim_id)
    day_room, month_room = earning.room_left(session, user_id=claim.user_id,
                                             activity_type=claim.activity_type,
                                             work_day=claim.work_day)
    proposed = rules.points_proposed(claim)
    refusal = _refusal(claim, actor)
    return Review(claim=claim, proposed=proposed, day_room=day_room, month_room=month_room,
                  waiting_minutes=(rules.minutes_between(claim.created_at, now)
                                   if claim.status in rules.OPEN_STATUSES else None),
                  needs_second=(claim.status != SECOND_REVIEW and
                                rules.needs_second_approval(claim.activity_type, proposed)),
                  may_decide=refusal is None, refusal=refusal)


def _refusal(claim, actor):
    """Why ``actor`` may not decide on ``claim`` now (None: they may), for the page."""
    try:
        rules.ensure_no_conflict(claim, actor)
        rules.ensure_open_for(claim, actor)
    except DomainError as error:
        return error
    return None


def list_claims(session, *, actor, community, status=None, before=None, limit=PAGE_SIZE):
    """Claims in reach, newest first, optionally of one status; ``before`` pages on."""
    ensure_approver(actor, community)
    stmt = _in_reach(_detailed(select(Claim)).where(Claim.community_id == community.id), actor)
    if status:
        stmt = stmt.where(Claim.status == status)
    if before is not None:
        stmt = stmt.where(Claim.id < before)
    return list(session.scalars(stmt.order_by(Claim.id.desc()).limit(limit)))
