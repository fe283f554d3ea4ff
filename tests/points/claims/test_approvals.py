"""Approving and rejecting claims: points from the rule or adjusted with a reason, caps,
nobody deciding on their own or their household's or a proxied claim, a second approver
above the threshold, exactly one credit, notifications, the audit log, the queue and its
response time, and approving many at once."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.verify import verify
from points import wallets
from points.audit.models import AuditEvent
from points.claims import approvals
from points.claims.errors import (AdjustedPointsInvalidError, AdjustReasonMissingError,
                                  ClaimAlreadyDecidedError, ClaimNotFoundError,
                                  NothingChosenError, OwnClaimError, OwnHouseholdClaimError,
                                  ProxiedClaimError, ReasonTooLongError,
                                  RejectReasonMissingError, SameApproverTwiceError,
                                  TooManyAtOnceError)
from points.claims.models import APPROVED, PENDING, REJECTED, SECOND_REVIEW, Claim, ClaimDecision
from points.earning import services as earning
from points.earning.errors import DailyCapReachedError
from points.earning.models import Credit
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.notifications.models import Notification
from points.residents import services as residents
from points.residents.acting import acting_for
from tests import factories
from tests.points.claims.conftest import NOW, TODAY, count, file_claim, later


def approve(db, place, claim, actor=None, **kwargs):
    return approvals.approve_claim(db.session, actor=actor or place.staff,
                                   community=place.community, claim_id=claim.id,
                                   now=kwargs.pop("now", later(9)), **kwargs)


def reject(db, place, claim, actor=None, reason="照片看不出是打扫楼道", now=None):
    return approvals.reject_claim(db.session, actor=actor or place.staff,
                                  community=place.community, claim_id=claim.id, reason=reason,
                                  now=now or later(9))


def balance(db, user):
    return wallets.wallet_balance(db.session, user).balance


def unmoved(db, user, claim_id, status=PENDING):
    """The claim is as it was and no point moved."""
    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    assert claim.status == status and claim.credit_id is None
    assert balance(db, user) == 0
    assert count(db.session, Credit) == 0
    assert count(db.session, Notification) == 0
    assert verify(db.session) == []


@pytest.fixture
def claim(db, place, upload_dir):
    return file_claim(db, upload_dir, place.resident, place.cleaning, hours="2")  # 20 points


def test_approval_credits_the_rules_points_once_and_tells_the_resident(db, place, claim):
    decided = approve(db, place, claim)

    assert decided.status == APPROVED and decided.points == Decimal("20")
    assert decided.decided_at == later(9)
    assert balance(db, place.resident) == Decimal("20")
    credit = db.session.get(Credit, decided.credit_id)
    assert (credit.source, credit.source_id, credit.points) == ("claim", claim.id, Decimal("20"))
    assert credit.approved_by_id == place.staff.id and credit.work_day == TODAY
    [decision] = decided.decisions
    assert (decision.approver_id, decision.decision, decision.points) == (place.staff.id, "approve", 20)
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "claim_approved")).all()
    assert note.user_id == place.resident.id and note.kind == "claim_approved"
    assert "20 积分" in note.body and "环境卫生" in note.body and note.link == f"/claims/{claim.id}"
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "claim.approve", place.staff.id, "claim", claim.id)
    assert event.before == {"status": "pending"}
    assert event.after == {"status": "approved", "points": "20", "credit_id": credit.id}
    assert verify(db.session) == []


def test_approving_again_is_a_conflict_and_moves_nothing_more(db, place, claim):
    approve(db, place, claim)

    with pytest.raises(ClaimAlreadyDecidedError):
        approve(db, place, claim, actor=place.second_staff)
    with pytest.raises(ClaimAlreadyDecidedError):
        reject(db, place, claim, actor=place.second_staff)
    assert balance(db, place.resident) == Decimal("20") and count(db.session, Credit) == 1
    # Told twice: approved, and the first badge.
    assert count(db.session, ClaimDecision) == 1 and count(db.session, Notification) == 2


def test_adjusted_points_need_a_reason_and_are_recorded_before_and_after(db, place, claim):
    with pytest.raises(AdjustReasonMissingError):
        approve(db, place, claim, points="15")
    unmoved(db, place.resident, claim.id)

    decided = approve(db, place, claim, points="15", note="只打扫了一层")

    assert decided.points == Decimal("15") and balance(db, place.resident) == Decimal("15")
    assert decided.decisions[0].reason == "只打扫了一层"
    adjust = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.adjust"))
    assert (adjust.before, adjust.after, adjust.reason) == ({"points": "20"}, {"points": "15"},
                                                            "只打扫了一层")


def test_confirming_the_rules_points_needs_no_reason(db, place, claim):
    assert approve(db, place, claim, points="20").points == Decimal("20")
    assert count(db.session, AuditEvent, AuditEvent.action == "claim.adjust") == 0


@pytest.mark.parametrize("points", ["0", "-5", "2.5", "abc", "1e3x", "NaN"])
def test_adjusted_points_must_be_whole_and_positive(db, place, claim, points):
    with pytest.raises(AdjustedPointsInvalidError):
        approve(db, place, claim, points=points, note="改一下")
    unmoved(db, place.resident, claim.id)


def test_adjusted_points_must_stay_within_the_caps(db, place, claim):
    with pytest.raises(DailyCapReachedError):
        approve(db, place, claim, points="45", note="打扫得特别干净")  # day cap 40
    unmoved(db, place.resident, claim.id)
    assert count(db.session, AuditEvent) == 0


def test_a_cap_filled_since_filing_refuses_the_approval(db, place, claim):
    with unit_of_work(db.session):
        earning.credit_work(db.session, user=place.resident, activity_type=place.cleaning,
                            source="activity", source_id=7, work_day=TODAY,
                            points=Decimal("30"), now=NOW)

    with pytest.raises(DailyCapReachedError):
        approve(db, place, claim)
    assert db.session.get(Claim, claim.id).status == PENDING
    assert balance(db, place.resident) == Decimal("30")
    assert approve(db, place, claim, points="10", note="当天上限只剩 10 分").points == 10


def test_rejection_needs_a_reason_and_tells_the_resident(db, place, claim):
    with pytest.raises(RejectReasonMissingError):
        reject(db, place, claim, reason="   ")
    with pytest.raises(ReasonTooLongError):
        reject(db, place, claim, reason="不" * 201)
    unmoved(db, place.resident, claim.id)

    decided = reject(db, place, claim)

    assert decided.status == REJECTED and decided.reject_reason == "照片看不出是打扫楼道"
    assert decided.decided_at == later(9) and decided.points is None
    note = db.session.scalar(select(Notification))
    assert note.kind == "claim_rejected" and "照片看不出是打扫楼道" in note.body
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.before, event.after, event.reason) == (
        "claim.reject", {"status": "pending"}, {"status": "rejected"}, "照片看不出是打扫楼道")
    assert balance(db, place.resident) == 0 and count(db.session, Credit) == 0


def test_nobody_decides_on_their_own_claim(db, place, upload_dir):
    # A volunteer filed a claim, then was taken on as a grid worker of her own grid.
    home = factories.make_household(db.session, place.community, place.grid)
    volunteer = factories.make_resident(db.session, place.community, name="吴芳", household=home)
    claim = file_claim(db, upload_dir, volunteer, place.mediation)
    volunteer.role = "grid_worker"
    db.session.add(factories_assignment(volunteer, place.grid))
    db.session.commit()

    for decide in (approve, reject):
        with pytest.raises(OwnClaimError):
            decide(db, place, claim, actor=volunteer)
    unmoved(db, volunteer, claim.id)


def factories_assignment(user, grid):
    from points.auth.models import GridAssignment

    return GridAssignment(user_id=user.id, grid_id=grid.id)


def test_nobody_decides_on_their_households_claim(db, place, claim):
    for decide in (approve, reject):
        with pytest.raises(OwnHouseholdClaimError):
            decide(db, place, claim, actor=place.spouse)
    unmoved(db, place.resident, claim.id)


def test_nobody_decides_on_a_claim_they_filed_as_proxy(db, place, upload_dir):
    # The son, living elsewhere, filed for his mother; later he became a grid worker.
    son = factories.make_resident(db.session, place.community, name="王小明")
    residents.grant_proxy(db.session, actor=place.staff, community=place.community,
                          resident_id=place.resident.id, proxy_phone=son.phone, now=NOW)
    claim = file_claim(db, upload_dir, son, place.mediation,
                       acting=acting_for(db.session, son, place.resident.id))
    son.role = "grid_worker"
    db.session.add(factories_assignment(son, place.grid))
    db.session.commit()

    for decide in (approve, reject):
        with pytest.raises(ProxiedClaimError):
            decide(db, place, claim, actor=son)
    unmoved(db, place.resident, claim.id)
    assert approve(db, place, claim, actor=place.grid_worker).status == APPROVED


def test_above_the_threshold_a_second_different_approver_is_needed(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    claim = file_claim(db, upload_dir, place.resident, big)

    first = approve(db, place, claim, now=later(5))

    assert first.status == SECOND_REVIEW and first.decided_at is None and first.points is None
    assert balance(db, place.resident) == 0 and count(db.session, Credit) == 0
    assert count(db.session, Notification) == 0
    assert db.session.scalar(select(AuditEvent)).action == "claim.approve_first"

    for decide in (approve, reject):
        with pytest.raises(SameApproverTwiceError):
            decide(db, place, claim)
    assert balance(db, place.resident) == 0

    second = approve(db, place, claim, actor=place.second_staff, now=later(12))

    assert second.status == APPROVED and second.points == Decimal("150")
    assert second.decided_at == later(12)
    assert balance(db, place.resident) == Decimal("150")
    assert [d.approver_id for d in second.decisions] == [place.staff.id, place.second_staff.id]
    assert db.session.get(Credit, second.credit_id).approved_by_id == place.second_staff.id
    assert verify(db.session) == []


def test_the_first_approvers_adjusted_points_are_what_the_second_confirms(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    claim = file_claim(db, upload_dir, place.resident, big)
    approve(db, place, claim, points="120", note="少做了一部分")

    assert approve(db, place, claim, actor=place.second_staff).points == Decimal("120")
    assert balance(db, place.resident) == Decimal("120")


def test_an_adjustment_below_the_threshold_needs_one_approver(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    claim = file_claim(db, upload_dir, place.resident, big)

    assert approve(db, place, claim, points="80", note="只做了一半").status == APPROVED


def test_an_adjustment_above_the_threshold_needs_a_second_approver(db, place, upload_dir):
    tidy = factories.make_activity_type(db.session, place.community, name="文明劝导", unit="participation",
                                        points="20", second_approval_above="30")
    claim = file_claim(db, upload_dir, place.resident, tidy)

    assert approve(db, place, claim, points="35", note="劝导了一整天").status == SECOND_REVIEW
    assert balance(db, place.resident) == 0
    assert {e.action for e in db.session.scalars(select(AuditEvent))} == {"claim.adjust",
                                                                          "claim.approve_first"}


# Who may decide, on what


def test_residents_and_merchants_may_not_decide(db, place, claim):
    shop = factories.make_merchant(db.session, place.community)
    owner = factories.make_user(db.session, place.community, "merchant_owner", merchant=shop)
    for outsider in (place.neighbour, owner):
        with pytest.raises(ForbiddenError):
            approve(db, place, claim, actor=outsider)
    unmoved(db, place.resident, claim.id)


def test_staff_of_another_community_do_not_find_the_claim(db, place, claim):
    elsewhere = factories.make_community(db.session, name="城口社区")
    stranger = factories.make_user(db.session, elsewhere, "staff")

    with pytest.raises(NotFoundError):
        approve(db, place, claim, actor=stranger)
    with pytest.raises(ClaimNotFoundError):
        approvals.approve_claim(db.session, actor=stranger, community=elsewhere,
                                claim_id=claim.id, now=later(1))
    unmoved(db, place.resident, claim.id)


def test_a_grid_worker_decides_only_in_their_grids(db, place, claim):
    with pytest.raises(ClaimNotFoundError):
        approve(db, place, claim, actor=place.far_grid_worker)
    unmoved(db, place.resident, claim.id)

    assert approve(db, place, claim, actor=place.grid_worker).status == APPROVED


def test_a_district_administrator_decides_in_any_community(db, place, claim):
    district = factories.make_user(db.session, None, "district_admin", name="区管理员")
    assert approve(db, place, claim, actor=district).status == APPROVED


# The queue and the response time


def test_the_queue_shows_open_claims_oldest_first_with_waiting_times(db, place, upload_dir):
    first = file_claim(db, upload_dir, place.neighbour, place.mediation, now=NOW)
    second = file_claim(db, upload_dir, place.resident, place.mediation, now=later(4))
    decided = file_claim(db, upload_dir, place.resident, place.mediation, now=later(5))
    reject(db, place, decided, now=later(6))

    queue = approvals.review_queue(db.session, actor=place.staff, community=place.community,
                                   now=later(16))

    assert [(row.claim.id, row.waiting_minutes) for row in queue.rows] == [(first.id, 16),
                                                                            (second.id, 12)]


def test_a_grid_worker_sees_only_claims_of_their_grids(db, place, upload_dir):
    mine = file_claim(db, upload_dir, place.resident, place.mediation)
    file_claim(db, upload_dir, place.neighbour, place.mediation)  # the other grid

    queue = approvals.review_queue(db.session, actor=place.grid_worker, community=place.community,
                                   now=later(1))

    assert [row.claim.id for row in queue.rows] == [mine.id]
    listed = approvals.list_claims(db.session, actor=place.grid_worker, community=place.community)
    assert [c.id for c in listed] == [mine.id]


def test_claims_in_second_review_stay_in_the_queue(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    claim = file_claim(db, upload_dir, place.resident, big)
    approve(db, place, claim)

    [row] = approvals.review_queue(db.session, actor=place.second_staff,
                                   community=place.community, now=later(20)).rows
    assert row.claim.status == SECOND_REVIEW


def test_the_median_response_time_of_30_days_is_shown_against_15_minutes(db, place, upload_dir):
    for filed, decided in ((0, 5), (0, 9), (10, 40)):  # 5, 9 and 30 minutes
        claim = file_claim(db, upload_dir, place.neighbour, place.mediation, now=later(filed))
        approve(db, place, claim, now=later(decided))
    old = file_claim(db, upload_dir, place.neighbour, place.mediation, now=NOW - timedelta(days=20))
    approve(db, place, old, now=NOW - timedelta(days=19))  # decided within the month: 1 day
    ancient = file_claim(db, upload_dir, place.resident, place.mediation,
                         now=NOW - timedelta(days=29))
    reject(db, place, ancient, now=NOW - timedelta(days=29) + timedelta(hours=3))

    queue = approvals.review_queue(db.session, actor=place.staff, community=place.community,
                                   now=NOW + timedelta(days=10))

    # Within 30 days of the 30th: the 5, 9, 30 minutes and the one day; not the 29-days-old.
    assert queue.decided_count == 4
    assert queue.median_minutes == 20  # (9 + 30) / 2, rounded
    assert queue.promise_minutes == 15 and not queue.within_promise


def test_with_nothing_decided_there_is_no_median(db, place, claim):
    queue = approvals.review_queue(db.session, actor=place.staff, community=place.community,
                                   now=later(1))
    assert queue.median_minutes is None and queue.decided_count == 0


def test_a_second_review_is_not_a_decision_until_the_second_approver(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    claim = file_claim(db, upload_dir, place.resident, big)
    approve(db, place, claim, now=later(3))
    assert approvals.review_queue(db.session, actor=place.staff, community=place.community,
                                  now=later(4)).decided_count == 0

    approve(db, place, claim, actor=place.second_staff, now=later(14))
    queue = approvals.review_queue(db.session, actor=place.staff, community=place.community,
                                   now=later(15))
    assert (queue.median_minutes, queue.within_promise) == (14, True)


def test_the_review_shows_caps_left_and_who_may_decide(db, place, claim):
    seen = approvals.review(db.session, actor=place.staff, community=place.community,
                            claim_id=claim.id, now=later(7))

    assert (seen.proposed, seen.day_room, seen.month_room) == (Decimal("20"), Decimal("40"), None)
    assert seen.waiting_minutes == 7 and seen.may_decide and not seen.needs_second
    by_spouse = approvals.review(db.session, actor=place.spouse, community=place.community,
                                 claim_id=claim.id, now=later(7))
    assert not by_spouse.may_decide and isinstance(by_spouse.refusal, OwnHouseholdClaimError)


# Approving many at once


def test_approving_many_reports_each_claim_and_one_refusal_holds_back_no_other(db, place, upload_dir):
    big = factories.make_activity_type(db.session, place.community, name="大扫除", unit="participation",
                                       points="150", second_approval_above="100")
    plain = file_claim(db, upload_dir, place.neighbour, place.mediation)
    second = file_claim(db, upload_dir, place.neighbour, big)
    own_household = file_claim(db, upload_dir, place.resident, place.mediation)
    decided = file_claim(db, upload_dir, place.neighbour, place.mediation)
    reject(db, place, decided, actor=place.second_staff)

    result = approvals.approve_many(db.session, actor=place.spouse, community=place.community,
                                    claim_ids=[plain.id, second.id, own_household.id, decided.id,
                                               999_999, plain.id], now=later(10))

    assert [(o.claim_id, o.status) for o in result.outcomes] == [
        (plain.id, APPROVED), (second.id, SECOND_REVIEW), (own_household.id, "refused"),
        (decided.id, "refused"), (999_999, "refused")]
    errors = [type(o.error) for o in result.outcomes if o.error]
    assert errors == [OwnHouseholdClaimError, ClaimAlreadyDecidedError, ClaimNotFoundError]
    assert (result.count(APPROVED), result.count(SECOND_REVIEW), result.count("refused")) == (1, 1, 3)
    assert balance(db, place.neighbour) == Decimal("20") and balance(db, place.resident) == 0
    assert verify(db.session) == []


def test_approving_none_or_too_many_at_once_is_refused(db, place):
    with pytest.raises(NothingChosenError):
        approvals.approve_many(db.session, actor=place.staff, community=place.community,
                               claim_ids=[], now=later(1))
    with pytest.raises(TooManyAtOnceError):
        approvals.approve_many(db.session, actor=place.staff, community=place.community,
                               claim_ids=range(1, 102), now=later(1))
