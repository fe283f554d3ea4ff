"""组织建单: the queue against the promise, publishing, declining, merging, routing; who
may, and every refusal leaving everything as it was."""
from datetime import timedelta

import pytest

from points.audit.models import AuditEvent
from points.errors import ForbiddenError, NotFoundError
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.tasks import errors, rules, staff
from points.tasks.models import DECLINED, MERGED, OPEN, PUBLISHED, RECEIVED
from tests import factories
from tests.points.tasks.conftest import NOW, count, file, later, publish, snapshot


def test_the_queue_puts_the_request_whose_promise_runs_out_first_on_top(db, world, upload_dir):
    calm = file(db, upload_dir, world, now=NOW - timedelta(hours=20))
    late = file(db, upload_dir, world, now=NOW - timedelta(hours=25))
    urgent = file(db, upload_dir, world, urgent=True, now=NOW - timedelta(minutes=30))
    fresh = file(db, upload_dir, world, now=NOW)
    publish(db, world, file(db, upload_dir, world, now=NOW - timedelta(hours=30)))

    rows = staff.review_queue(db.session, actor=world.staff, community=world.community, now=NOW)

    assert [row.request.id for row in rows] == [late.id, urgent.id, calm.id, fresh.id]
    assert [(row.waiting_minutes, row.promise_minutes, row.late) for row in rows] == [
        (25 * 60, 24 * 60, True), (30, 120, False), (20 * 60, 24 * 60, False), (0, 24 * 60, False)]


def test_a_grid_worker_sees_the_requests_of_their_grids_only(db, world, upload_dir):
    near = file(db, upload_dir, world)
    far = file(db, upload_dir, world, acting=acting_as_self(world.far_volunteer))

    def queue(actor):
        return [row.request.id for row in staff.review_queue(
            db.session, actor=actor, community=world.community, now=NOW)]

    assert queue(world.grid_worker) == [near.id]
    assert queue(world.far_grid_worker) == [far.id]
    assert sorted(queue(world.admin)) == sorted([near.id, far.id])
    with pytest.raises(errors.RequestNotFoundError):
        publish(db, world, near, actor=world.far_grid_worker)


def test_publishing_makes_a_task_and_tells_the_requester(db, world, upload_dir):
    request = file(db, upload_dir, world)
    deadline = later(60 * 24)

    task = publish(db, world, request, points="20", needed=2, deadline=deadline)

    assert (task.status, task.points, task.volunteers_needed, task.claimed_count) == (OPEN, 20, 2, 0)
    assert (task.grid_id, task.type_id, task.deadline, task.published_by_id) == (
        world.grid.id, world.care.id, deadline, world.staff.id)
    assert (request.status, request.reviewed_at, request.reviewed_by_id) == (
        PUBLISHED, later(30), world.staff.id)
    assert [e.kind for e in request.events] == ["received", "published"]
    told = db.session.query(Notification).one()
    assert told.user_id == world.requester.id and told.link == f"/requests/{request.id}"
    assert "陪王秀英去县医院复查" in told.body
    assert db.session.query(AuditEvent).one().action == "request.publish"


def test_a_grid_worker_publishes_in_their_grid(db, world, upload_dir):
    task = publish(db, world, file(db, upload_dir, world), actor=world.grid_worker)

    assert task.published_by_id == world.grid_worker.id


def test_publishing_twice_is_refused_and_moves_nothing(db, world, upload_dir):
    request = file(db, upload_dir, world)
    publish(db, world, request)
    before = snapshot(db)

    with pytest.raises(errors.AlreadyReviewedError):
        publish(db, world, request, actor=world.admin)

    assert snapshot(db) == before


BAD_TASKS = [
    ({"title": " "}, errors.TitleMissingError),
    ({"title": "题" * (rules.TITLE_LIMIT + 1)}, errors.TitleMissingError),
    ({"points": "0"}, errors.OfferedPointsInvalidError),
    ({"points": "2.5"}, errors.OfferedPointsInvalidError),
    ({"points": "abc"}, errors.OfferedPointsInvalidError),
    ({"points": str(rules.MAX_POINTS + 1)}, errors.OfferedPointsInvalidError),
    ({"points": "41"}, errors.PointsAboveCapError),  # 敬老助老: at most 40 a day
    ({"needed": 0}, errors.VolunteersNeededInvalidError),
    ({"needed": rules.MAX_VOLUNTEERS + 1}, errors.VolunteersNeededInvalidError),
    ({"needed": "两"}, errors.VolunteersNeededInvalidError),
    ({"deadline": later(29)}, errors.DeadlineInvalidError),  # before publishing at later(30)
    ({"deadline": later(30) + timedelta(days=91)}, errors.DeadlineInvalidError),
]


def test_a_bad_task_is_refused_and_moves_nothing(db, world, upload_dir):
    request = file(db, upload_dir, world)
    before = snapshot(db)

    for fields, error in BAD_TASKS:
        with pytest.raises(error):
            publish(db, world, request, **fields)
        assert snapshot(db) == before, fields


@pytest.mark.parametrize("which", ["inactive", "other_community"])
def test_a_task_needs_an_active_type_of_the_community(db, world, upload_dir, which):
    request = file(db, upload_dir, world)
    community = world.elsewhere if which == "other_community" else world.community
    type_ = factories.make_activity_type(db.session, community, active=which != "inactive")
    before = snapshot(db)

    with pytest.raises(errors.TaskTypeUnknownError):
        publish(db, world, request, type_=type_)

    assert snapshot(db) == before


@pytest.mark.parametrize("who", ["volunteer", "clerk"])
def test_only_staff_review(db, world, upload_dir, who):
    request = file(db, upload_dir, world)

    with pytest.raises(ForbiddenError):
        publish(db, world, request, actor=getattr(world, who))


def test_staff_of_another_community_find_nothing(db, world, upload_dir):
    request = file(db, upload_dir, world)
    outsider = factories.make_user(db.session, world.elsewhere, "staff")

    with pytest.raises(NotFoundError):
        publish(db, world, request, actor=outsider)


def test_declining_tells_the_requester_why(db, world, upload_dir):
    request = file(db, upload_dir, world)

    staff.decline_request(db.session, actor=world.staff, community=world.community,
                          request_id=request.id, reason="  这件事请拨打 12345 市民热线 ", now=later(10))

    assert (request.status, request.decline_reason) == (DECLINED, "这件事请拨打 12345 市民热线")
    assert rules.stage(request) == DECLINED
    assert [e.kind for e in request.events] == ["received", "declined"]
    assert "12345" in db.session.query(Notification).one().body


def test_declining_needs_a_reason_and_once_only(db, world, upload_dir):
    request = file(db, upload_dir, world)
    before = snapshot(db)

    with pytest.raises(errors.ReasonMissingError):
        staff.decline_request(db.session, actor=world.staff, community=world.community,
                              request_id=request.id, reason=" ", now=later(10))
    with pytest.raises(errors.ReasonTooLongError):
        staff.decline_request(db.session, actor=world.staff, community=world.community,
                              request_id=request.id, reason="长" * 201, now=later(10))
    assert snapshot(db) == before
    staff.decline_request(db.session, actor=world.staff, community=world.community,
                          request_id=request.id, reason="不属于社区服务", now=later(10))
    before = snapshot(db)
    with pytest.raises(errors.AlreadyReviewedError):
        publish(db, world, request)
    assert snapshot(db) == before


def test_a_duplicate_merges_into_the_kept_request_and_its_requester_is_told(db, world, upload_dir):
    kept = file(db, upload_dir, world, category="environment", description="路灯坏了")
    publish(db, world, kept)
    duplicate = file(db, upload_dir, world, acting=acting_as_self(world.volunteer),
                     category="environment", description="3栋门口路灯不亮")

    candidates = staff.review(db.session, actor=world.staff, community=world.community,
                              request_id=duplicate.id, now=NOW).candidates
    assert [c.id for c in candidates] == [kept.id]
    staff.merge_request(db.session, actor=world.staff, community=world.community,
                        request_id=duplicate.id, into_id=kept.id, now=later(40))

    assert (duplicate.status, duplicate.merged_into_id) == (MERGED, kept.id)
    assert [e.kind for e in duplicate.events] == ["received", "merged"]
    told = db.session.query(Notification).filter_by(user_id=world.volunteer.id).one()
    assert f"#{kept.id}" in told.body
    assert kept.status == PUBLISHED  # the kept one goes on


@pytest.mark.parametrize("target", ["itself", "declined", "merged", "elsewhere", "unknown",
                                    "cancelled"])
def test_merging_into_a_request_not_being_handled_is_refused(db, world, upload_dir, target):
    duplicate = file(db, upload_dir, world)
    other = file(db, upload_dir, world)
    into = {"itself": duplicate.id, "unknown": 99999}.get(target, other.id)
    if target == "declined":
        staff.decline_request(db.session, actor=world.staff, community=world.community,
                              request_id=other.id, reason="重复", now=NOW)
    elif target == "merged":
        third = file(db, upload_dir, world)
        staff.merge_request(db.session, actor=world.staff, community=world.community,
                            request_id=other.id, into_id=third.id, now=NOW)
    elif target == "cancelled":
        task = publish(db, world, other)
        staff.cancel_task(db.session, actor=world.staff, community=world.community,
                          task_id=task.id, reason="已由物业处理", now=later(40))
    elif target == "elsewhere":
        into = file(db, upload_dir, world, acting=acting_as_self(world.stranger)).id
    before = snapshot(db)

    with pytest.raises(errors.MergeTargetInvalidError):
        staff.merge_request(db.session, actor=world.staff, community=world.community,
                            request_id=duplicate.id, into_id=into, now=later(50))

    assert snapshot(db) == before


def test_routing_sends_a_request_to_another_grids_workers(db, world, upload_dir):
    request = file(db, upload_dir, world)

    staff.route_request(db.session, actor=world.grid_worker, community=world.community,
                        request_id=request.id, grid_id=world.far_grid.id, now=later(5))

    assert request.grid_id == world.far_grid.id and request.status == RECEIVED
    assert [(e.kind, e.note) for e in request.events][-1] == ("routed", "西郊网格")
    assert [row.request.id for row in staff.review_queue(
        db.session, actor=world.far_grid_worker, community=world.community, now=NOW)] == [request.id]
    assert staff.review_queue(db.session, actor=world.grid_worker, community=world.community,
                              now=NOW) == []
    assert db.session.query(AuditEvent).one().action == "request.route"


@pytest.mark.parametrize("grid", ["none", "elsewhere"])
def test_routing_to_a_grid_not_of_the_community_is_refused(db, world, upload_dir, grid):
    request = file(db, upload_dir, world)
    grid_id = factories.make_grid(db.session, world.elsewhere).id if grid == "elsewhere" else None
    before = snapshot(db)

    with pytest.raises(errors.GridUnknownError):
        staff.route_request(db.session, actor=world.staff, community=world.community,
                            request_id=request.id, grid_id=grid_id, now=later(5))

    assert snapshot(db) == before


def test_the_review_page_offers_the_types_grids_and_waiting_time(db, world, upload_dir):
    request = file(db, upload_dir, world, urgent=True)

    found = staff.review(db.session, actor=world.staff, community=world.community,
                         request_id=request.id, now=later(150))

    assert (found.waiting_minutes, found.promise_minutes, found.late) == (150, 120, True)
    assert [t.id for t in found.types] == [world.care.id]
    assert [g.id for g in found.grids] == [world.grid.id, world.far_grid.id]
    assert count(db.session, Notification) == 0
