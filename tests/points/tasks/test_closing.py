"""Closing: the requester (or her proxy, or staff for her) confirms and rates; only then
are the volunteers credited, once each, through credit_work; caps cut an award and the
volunteer is told; disputes go to staff who decide with a reason."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.models import Transfer
from ledger.verify import verify
from points.audit.models import AuditEvent
from points.earning.models import Credit
from points.earning.services import credit_work
from points.extensions import unit_of_work
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.tasks import closing, errors, rules, staff
from points.tasks.models import CLOSED, DISPUTED, DONE
from tests.points.tasks.conftest import (NOW, TODAY, as_proxy, balance, claim, confirm, count,
                                         done_task, file, finish, later, publish, snapshot)


def test_confirming_credits_each_volunteer_once_and_closes_the_task(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world, volunteers=[world.volunteer, world.clerk])
    assert balance(db, world.volunteer) == 0  # nothing moves before the requester confirms

    confirm(db, world, request, rating=5, comment="  很及时，态度好 ", now=later(200))

    task = db.session.get(type(task), task.id)
    assert (task.status, task.confirmed_at, task.closed_at) == (CLOSED, later(200), later(200))
    assert (task.rating, task.rating_comment, task.confirmed_by_id) == (5, "很及时，态度好",
                                                                         world.requester.id)
    assert balance(db, world.volunteer) == balance(db, world.clerk) == Decimal("20")
    credits = db.session.scalars(select(Credit).order_by(Credit.user_id)).all()
    assert [(c.source, c.source_id, c.points, c.type_id, c.work_day, c.approved_by_id)
            for c in credits] == [("task", task.id, 20, world.care.id, TODAY, world.requester.id)] * 2
    assert sorted(p.points_awarded for p in task.assignments) == [20, 20]
    assert all(p.credit_id for p in task.assignments)
    assert [e.kind for e in request.events][-2:] == ["confirmed", "closed"]
    assert rules.stage(request) == CLOSED
    told = db.session.query(Notification).filter_by(kind="task_credited").all()
    assert {n.user_id for n in told} == {world.volunteer.id, world.clerk.id}
    assert all("获得 20 积分" in n.body for n in told)
    assert verify(db.session) == []


def test_a_proxy_confirms_for_her_mother_and_the_ledger_names_both(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)

    confirm(db, world, request, acting=as_proxy(world), rating=None, comment="")

    transfer = db.session.scalars(select(Transfer).where(Transfer.kind == "earn")).one()
    assert (transfer.actor_id, transfer.proxy_id) == (world.requester.id, world.son.id)
    assert db.session.get(type(task), task.id).rating is None


def test_confirming_twice_is_refused_and_credits_nothing_more(db, world, upload_dir):
    request, _ = done_task(db, upload_dir, world)
    confirm(db, world, request)
    before = snapshot(db)

    with pytest.raises(errors.AlreadyConfirmedError):
        confirm(db, world, request, now=later(300))
    with pytest.raises(errors.AlreadyConfirmedError):
        confirm(db, world, request, acting=as_proxy(world), now=later(300))

    assert snapshot(db) == before
    assert balance(db, world.volunteer) == Decimal("20")


def test_the_same_idempotency_key_returns_the_confirmed_task_and_moves_nothing(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)
    confirm(db, world, request, key="phone-retry-1")
    before = snapshot(db)

    again = confirm(db, world, request, key="phone-retry-1", rating=1, now=later(400))

    assert again.id == task.id and again.rating == 5
    assert snapshot(db) == before
    with pytest.raises(errors.AlreadyConfirmedError):
        confirm(db, world, request, key="another-key", now=later(400))


@pytest.mark.parametrize("who", ["volunteer", "husband", "far_volunteer"])
def test_confirming_someone_elses_request_is_refused(db, world, upload_dir, who):
    request, _ = done_task(db, upload_dir, world)
    before = snapshot(db)

    with pytest.raises(errors.NotYourRequestError):
        confirm(db, world, request, acting=acting_as_self(getattr(world, who)))
    with pytest.raises(errors.NotYourRequestError):
        closing.dispute_request(db.session, acting=acting_as_self(getattr(world, who)),
                                 request_id=request.id, reason="没办好", now=later(200))

    assert snapshot(db) == before


def test_a_request_of_another_community_is_not_found(db, world, upload_dir):
    request, _ = done_task(db, upload_dir, world)
    before = snapshot(db)

    with pytest.raises(errors.RequestNotFoundError):
        confirm(db, world, request, acting=acting_as_self(world.stranger))

    assert snapshot(db) == before


@pytest.mark.parametrize("stage", ["received", "open", "claimed", "in_progress"])
def test_confirming_before_the_work_is_done_is_refused(db, world, upload_dir, stage):
    request = file(db, upload_dir, world)
    if stage != "received":
        task = publish(db, world, request, needed=2)
        if stage != "open":
            claim(db, world.volunteer, task)
        if stage == "in_progress":
            claim(db, world.second, task)
            finish(db, world.volunteer, task)
    before = snapshot(db)

    with pytest.raises(errors.NotDoneYetError):
        confirm(db, world, request)

    assert snapshot(db) == before


def test_a_bad_rating_is_refused(db, world, upload_dir):
    request, _ = done_task(db, upload_dir, world)
    before = snapshot(db)

    for rating in (0, 6, "很好", 4.5):
        with pytest.raises(errors.RatingInvalidError):
            confirm(db, world, request, rating=rating)

    assert snapshot(db) == before


def test_staff_confirm_for_a_requester_without_a_smartphone(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)

    staff.confirm_for(db.session, actor=world.grid_worker, community=world.community,
                      task_id=task.id, rating="4", comment="电话里说办得好", now=later(200))

    task = db.session.get(type(task), task.id)
    assert (task.status, task.rating, task.confirmed_by_id) == (CLOSED, 4, world.grid_worker.id)
    assert balance(db, world.volunteer) == Decimal("20")
    assert db.session.scalars(select(Credit)).one().approved_by_id == world.grid_worker.id
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "task.confirm_for")).one().actor_id == world.grid_worker.id
    before = snapshot(db)
    with pytest.raises(errors.AlreadyConfirmedError):
        staff.confirm_for(db.session, actor=world.staff, community=world.community,
                          task_id=task.id, now=later(210))
    assert snapshot(db) == before


# Caps


def earlier_credit(db, world, volunteer, points):
    """Points the volunteer already earned today under 敬老助老 (another piece of work)."""
    with unit_of_work(db.session):
        credit_work(db.session, user=volunteer, activity_type=world.care, source="activity",
                    source_id=990000 + int(points), work_day=TODAY, points=Decimal(points),
                    now=NOW)


def test_a_cap_cuts_the_award_and_the_volunteer_is_told_both_figures(db, world, upload_dir):
    earlier_credit(db, world, world.volunteer, "30")  # 敬老助老: 40 a day, 10 left
    request, task = done_task(db, upload_dir, world, points="20")

    confirm(db, world, request)

    place = db.session.get(type(task), task.id).assignments[0]
    assert place.points_awarded == Decimal("10") and place.credit.points_before_cap == 20
    assert balance(db, world.volunteer) == Decimal("40")
    told = db.session.query(Notification).filter_by(kind="task_cut").one()
    assert "原定 20 分" in told.body and "这次记入 10 分" in told.body and "敬老助老" in told.body


def test_a_volunteer_at_the_cap_gets_nothing_but_the_task_still_closes(db, world, upload_dir):
    earlier_credit(db, world, world.volunteer, "40")
    request, task = done_task(db, upload_dir, world, points="20")

    confirm(db, world, request)

    task = db.session.get(type(task), task.id)
    assert task.status == CLOSED
    assert (task.assignments[0].points_awarded, task.assignments[0].credit_id) == (0, None)
    assert balance(db, world.volunteer) == Decimal("40")
    assert count(db.session, Credit, Credit.source == "task") == 0
    assert "这次记入 0 分" in db.session.query(Notification).filter_by(kind="task_cut").one().body


# Disputes


def dispute(db, world, request, reason="志愿者没有陪到医院就走了", acting=None, now=None):
    return closing.dispute_request(db.session, acting=acting or acting_as_self(world.requester),
                                    request_id=request.id, reason=reason, now=now or later(200))


def test_a_dispute_moves_no_points_and_tells_the_volunteers(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)

    dispute(db, world, request)

    assert (task.status, task.dispute_reason) == (DISPUTED, "志愿者没有陪到医院就走了")
    assert balance(db, world.volunteer) == 0
    told = db.session.query(Notification).filter_by(kind="task_disputed").one()
    assert told.user_id == world.volunteer.id and "没有陪到医院" in told.body
    assert [e.kind for e in request.events][-1] == "disputed"


def test_a_dispute_needs_a_reason_a_done_task_and_comes_once(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)
    before = snapshot(db)
    with pytest.raises(errors.ReasonMissingError):
        dispute(db, world, request, reason=" ")
    assert snapshot(db) == before

    dispute(db, world, request)
    before = snapshot(db)
    with pytest.raises(errors.AlreadyDisputedError):
        dispute(db, world, request, now=later(210))
    with pytest.raises(errors.AlreadyDisputedError):
        confirm(db, world, request, now=later(210))
    assert snapshot(db) == before


@pytest.mark.parametrize("credit", [True, False])
def test_staff_decide_a_dispute_with_a_reason(db, world, upload_dir, credit):
    request, task = done_task(db, upload_dir, world)
    dispute(db, world, request)

    staff.decide_dispute(db.session, actor=world.staff, community=world.community, task_id=task.id,
                         credit=credit, reason="电话核实过", now=later(300))

    task = db.session.get(type(task), task.id)
    assert (task.status, task.dispute_credited, task.decision_reason, task.decided_by_id) == (
        CLOSED, credit, "电话核实过", world.staff.id)
    assert balance(db, world.volunteer) == (Decimal("20") if credit else 0)
    assert [e.kind for e in request.events][-2:] == ["decided", "closed"]
    what = "task_decided_credit" if credit else "task_decided_none"
    told = {n.user_id for n in db.session.query(Notification).filter_by(kind=what)}
    assert told == ({world.requester.id} if credit else {world.requester.id, world.volunteer.id})
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task.decide")).one()


def test_deciding_needs_a_reason_a_dispute_and_staff(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world)

    def decide(actor=world.staff, reason="核实过"):
        staff.decide_dispute(db.session, actor=actor, community=world.community, task_id=task.id,
                             credit=True, reason=reason, now=later(300))

    before = snapshot(db)
    with pytest.raises(errors.NotDisputedError):
        decide()
    dispute(db, world, request)
    before = snapshot(db)
    with pytest.raises(errors.ReasonMissingError):
        decide(reason="")
    with pytest.raises(errors.TaskNotFoundError):
        decide(actor=world.far_grid_worker)
    assert snapshot(db) == before
    decide()
    before = snapshot(db)
    with pytest.raises(errors.NotDisputedError):
        decide()
    assert snapshot(db) == before
    assert balance(db, world.volunteer) == Decimal("20")


def test_a_done_task_waits_and_is_not_overdue(db, world, upload_dir):
    _, task = done_task(db, upload_dir, world, deadline=later(200))

    assert task.status == DONE and not rules.is_overdue(task, later(60 * 24 * 5))
