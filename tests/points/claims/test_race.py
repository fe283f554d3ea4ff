"""Exactly once under concurrency: approvers racing on one claim, and a bulk approval
racing single approvals, credit each claim once. Real threads, each with its own
session; PostgreSQL serialises them on the claim's row lock, SQLite on its one writer."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from points import wallets
from points.auth.models import User
from points.claims import approvals
from points.claims.errors import ClaimAlreadyDecidedError
from points.claims.models import APPROVED, Claim, ClaimDecision
from points.communities.models import Community
from points.earning.models import Credit
from points.extensions import unit_of_work
from points.notifications.models import Notification
from tests import factories
from tests.points.claims.conftest import file_claim, later
from tests.races import race, sql_sent

APPROVERS = 8


def approver(staff_id, community_id, claim_id):
    def act(session):
        return approvals.approve_claim(session, actor=session.get(User, staff_id),
                                       community=session.get(Community, community_id),
                                       claim_id=claim_id, now=later(5)).status
    return act


def bulk(staff_id, community_id, claim_ids):
    def act(session):
        result = approvals.approve_many(session, actor=session.get(User, staff_id),
                                        community=session.get(Community, community_id),
                                        claim_ids=claim_ids, now=later(5))
        return [(o.claim_id, o.status, type(o.error)) for o in result.outcomes]
    return act


def credited(db, claim_id):
    db.session.rollback()  # end the snapshot read before the race
    return db.session.scalar(select(func.count()).select_from(Credit).where(
        Credit.source == "claim", Credit.source_id == claim_id))


@pytest.mark.slow
def test_approvers_racing_on_one_claim_credit_it_once(db, place, upload_dir):
    claim = file_claim(db, upload_dir, place.resident, place.cleaning, hours="2")
    staff_ids = [factories.make_user(db.session, place.community, "staff", name=f"干事{n}").id
                 for n in range(APPROVERS)]

    results = race(db.engine, [approver(staff_id, place.community.id, claim.id)
                               for staff_id in staff_ids])

    assert results.count(APPROVED) == 1
    assert all(isinstance(r, ClaimAlreadyDecidedError) for r in results if r != APPROVED)
    assert credited(db, claim.id) == 1
    assert db.session.scalar(select(func.count()).select_from(ClaimDecision)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "claim_approved")) == 1
    resident = db.session.get(User, place.resident.id)
    assert wallets.wallet_balance(db.session, resident).balance == Decimal("20")
    assert verify(db.session) == []


@pytest.mark.slow
def test_a_bulk_approval_racing_single_approvals_credits_each_claim_once(db, place, upload_dir):
    claims = [file_claim(db, upload_dir, place.neighbour, place.mediation, description=f"调解{n}")
              for n in range(6)]
    ids = [claim.id for claim in claims]
    singles = [approver(place.second_staff.id, place.community.id, claim_id) for claim_id in ids]

    results = race(db.engine, [bulk(place.staff.id, place.community.id, ids), *singles])

    bulk_outcomes, single_outcomes = results[0], results[1:]
    assert not isinstance(bulk_outcomes, Exception), bulk_outcomes
    for (claim_id, status, error), single in zip(bulk_outcomes, single_outcomes):
        # Exactly one of the two approved each claim; the other was told it was decided.
        assert (status == APPROVED) != (single == APPROVED), (claim_id, status, single)
        assert error is ClaimAlreadyDecidedError or status == APPROVED
        assert single == APPROVED or isinstance(single, ClaimAlreadyDecidedError)
        assert credited(db, claim_id) == 1
    neighbour = db.session.get(User, place.neighbour.id)
    assert wallets.wallet_balance(db.session, neighbour).balance == Decimal("20") * 6
    assert verify(db.session) == []


def test_the_claim_row_is_locked_before_its_status_is_read(db, place, upload_dir):
    claim_id = file_claim(db, upload_dir, place.resident, place.mediation).id
    staff, community = place.staff, place.community
    staff.id, community.id  # loaded now, so that only the lock reads inside the block

    with sql_sent(db.engine) as statements, unit_of_work(db.session):
        approvals.locked_claim(db.session, actor=staff, community=community, claim_id=claim_id)

    claim_reads = [s for s in statements if "FROM claims" in s]
    if db.engine.dialect.name == "postgresql":
        assert claim_reads and "FOR UPDATE" in claim_reads[0]
    else:
        assert claim_reads  # SQLite: BEGIN IMMEDIATE already holds the one write lock
    assert db.session.get(Claim, claim_id).status == "pending"
