"""志愿者接单: the hall (own grid first), claiming, releasing, starting, marking done,
messages, and staff's reassigning and cancelling; every refusal moves nothing."""
import pytest

from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.tasks import closing, errors, services, staff
from points.tasks.models import (CANCELLED, CLAIMED, DONE, FINISHED, IN_PROGRESS, OPEN, RELEASED,
                                 REMOVED, TAKEN, TaskAssignment, TaskMessage)
from tests.points.tasks.conftest import (NOW, as_proxy, claim, count, done_task, file, finish, later,
                                         publish, snapshot)


def published(db, upload_dir, world, **kwargs):
    request = file(db, upload_dir, world)
    return request, publish(db, world, request, **kwargs)


def test_claiming_takes_a_place_and_tells_the_requester(db, world, upload_dir):
    request, task = published(db, upload_dir, world)

    claim(db, world.volunteer, task, now=later(45))

    place = db.session.query(TaskAssignment).one()
    assert (place.volunteer_id, place.status, place.claimed_at) == (world.volunteer.id, TAKEN, later(45))
    assert (task.status, task.claimed_count, task.first_claimed_at) == (CLAIMED, 1, later(45))
    assert [e.kind for e in request.events][-1] == "claimed"
    told = db.session.query(Notification).filter_by(kind="task_claimed").one()
    assert told.user_id == world.requester.id and "董银成" in told.body


def test_a_shop_clerk_may_volunteer_too(db, world, upload_dir):
    _, task = published(db, upload_dir, world)

    claim(db, world.clerk, task)

    assert task.claimed_count == 1


def test_places_fill_up_to_the_number_needed(db, world, upload_dir):
    _, task = published(db, upload_dir, world, needed=2)

    claim(db, world.volunteer, task)
    assert (task.status, task.places_left) == (OPEN, 1)
    claim(db, world.far_volunteer, task)
    assert (task.status, task.places_left) == (CLAIMED, 0)
    before = snapshot(db)

    with pytest.raises(errors.TaskFullError):
        claim(db, world.second, task)

    assert snapshot(db) == before


def test_claiming_ones_own_or_ones_households_request_is_refused(db, world, upload_dir):
    request = file(db, upload_dir, world, acting=as_proxy(world))
    task = publish(db, world, request)
    before = snapshot(db)

    for who, error in (("requester", errors.OwnRequestError),
                       ("son", errors.OwnRequestError),  # he filed it for his mother
                       ("husband", errors.OwnHouseholdRequestError),
                       ("staff", errors.NotAVolunteerError),
                       ("grid_worker", errors.NotAVolunteerError)):
        with pytest.raises(error):
            claim(db, getattr(world, who), task)
        assert snapshot(db) == before, who


def test_claiming_twice_is_refused(db, world, upload_dir):
    _, task = published(db, upload_dir, world, needed=3)
    claim(db, world.volunteer, task)
    before = snapshot(db)

    with pytest.raises(errors.AlreadyClaimedError):
        claim(db, world.volunteer, task)

    assert snapshot(db) == before


@pytest.mark.parametrize("state", ["done", "closed", "cancelled"])
def test_a_finished_or_cancelled_task_cannot_be_claimed(db, world, upload_dir, state):
    from tests.points.tasks.conftest import confirm

    request = file(db, upload_dir, world)
    task = publish(db, world, request, needed=2)
    if state == "cancelled":
        staff.cancel_task(db.session, actor=world.staff, community=world.community,
                          task_id=task.id, reason="老人已经住院", now=later(50))
    else:
        claim(db, world.volunteer, task)
        finish(db, world.volunteer, task)  # done with one of two: the work is done
        if state == "closed":
            confirm(db, world, request)
    before = snapshot(db)

    with pytest.raises(errors.TaskNotOpenError):
        claim(db, world.second, task)

    assert snapshot(db) == before


def test_a_task_of_another_community_is_not_found(db, world, upload_dir):
    _, task = published(db, upload_dir, world)

    with pytest.raises(errors.TaskNotFoundError):
        claim(db, world.stranger, task)
    with pytest.raises(errors.TaskNotFoundError):
        services.task_view(db.session, viewer=world.stranger, task_id=task.id, now=NOW)


def test_the_hall_shows_the_volunteers_grid_first_then_urgent_then_by_deadline(db, world, upload_dir):
    far_request = file(db, upload_dir, world, acting=acting_as_self(world.far_volunteer))
    far = publish(db, world, far_request, deadline=later(120))
    urgent_far = publish(db, world, file(db, upload_dir, world, urgent=True,
                                         acting=acting_as_self(world.clerk)), deadline=later(600))
    near_late = publish(db, world, file(db, upload_dir, world,
                                        acting=acting_as_self(world.second)), deadline=later(900))
    near_soon = publish(db, world, file(db, upload_dir, world,
                                        acting=acting_as_self(world.second)), deadline=later(300))
    own = publish(db, world, file(db, upload_dir, world, acting=acting_as_self(world.volunteer)))
    held = publish(db, world, file(db, upload_dir, world), needed=2)
    claim(db, world.volunteer, held)
    full = publish(db, world, file(db, upload_dir, world))
    claim(db, world.second, full)

    hall = [task.id for task in services.open_tasks(db.session, volunteer=world.volunteer)]

    assert hall == [near_soon.id, near_late.id, urgent_far.id, far.id]
    assert own.id not in hall and held.id not in hall and full.id not in hall
    assert [task.id for task in services.tasks_of(db.session, world.volunteer)] == [held.id]


def test_a_volunteer_who_released_sees_the_task_again_and_may_claim_it_again(db, world, upload_dir):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    services.release_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(70))

    assert task.id in [t.id for t in services.open_tasks(db.session, volunteer=world.volunteer)]
    claim(db, world.volunteer, task, now=later(80))

    place = db.session.query(TaskAssignment).one()  # the same row, taken again
    assert (place.status, place.claimed_at, place.ended_at) == (TAKEN, later(80), None)
    assert task.claimed_count == 1


def test_releasing_opens_the_place_and_tells_the_requester(db, world, upload_dir):
    request, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    services.start_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(65))

    services.release_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(70))

    place = db.session.query(TaskAssignment).one()
    assert (place.status, place.ended_at) == (RELEASED, later(70))
    assert (task.status, task.claimed_count) == (OPEN, 0)
    assert [e.kind for e in request.events][-3:] == ["claimed", "started", "released"]
    assert count(db.session, Notification, Notification.kind == "task_released") == 1


def test_releasing_someone_elses_claim_is_refused(db, world, upload_dir):
    _, task = published(db, upload_dir, world, needed=2)
    claim(db, world.volunteer, task)
    before = snapshot(db)

    for outsider in (world.second, world.requester):
        with pytest.raises(errors.NotClaimedError):
            services.release_task(db.session, volunteer=outsider, task_id=task.id, now=later(70))

    assert snapshot(db) == before


def test_a_done_place_cannot_be_released_nor_started(db, world, upload_dir):
    _, task = published(db, upload_dir, world, needed=2)
    claim(db, world.volunteer, task)
    finish(db, world.volunteer, task)
    before = snapshot(db)

    with pytest.raises(errors.StepNotAllowedError):
        services.release_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(130))
    with pytest.raises(errors.StepNotAllowedError):
        services.start_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(130))
    with pytest.raises(errors.StepNotAllowedError):
        finish(db, world.volunteer, task)

    assert snapshot(db) == before


def test_starting_twice_is_refused(db, world, upload_dir):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    services.start_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(65))
    before = snapshot(db)

    with pytest.raises(errors.StepNotAllowedError):
        services.start_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(66))

    assert snapshot(db) == before


def test_a_task_is_done_when_every_volunteer_holding_a_place_is_done(db, world, upload_dir):
    request, task = published(db, upload_dir, world, needed=2)
    claim(db, world.volunteer, task)
    claim(db, world.second, task)
    services.start_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(90))
    assert task.status == IN_PROGRESS

    finish(db, world.volunteer, task, now=later(100))
    assert (task.status, task.done_at) == (IN_PROGRESS, None)
    assert count(db.session, Notification, Notification.kind == "task_done") == 0
    finish(db, world.second, task, now=later(110))

    assert (task.status, task.done_at) == (DONE, later(110))
    assert [p.status for p in task.assignments] == [FINISHED, FINISHED]
    assert task.assignments[1].started_at == later(110)  # done without "start": started then
    told = db.session.query(Notification).filter_by(kind="task_done").one()
    assert told.user_id == world.requester.id and told.link == f"/requests/{request.id}"


def test_steps_of_someone_without_a_place_are_refused(db, world, upload_dir):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    before = snapshot(db)

    with pytest.raises(errors.NotClaimedError):
        services.start_task(db.session, volunteer=world.second, task_id=task.id, now=later(65))
    with pytest.raises(errors.NotClaimedError):
        finish(db, world.second, task)

    assert snapshot(db) == before


def test_the_view_says_who_sees_the_private_parts_and_why_one_may_not_claim(db, world, upload_dir):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)

    def view(who):
        return services.task_view(db.session, viewer=getattr(world, who), task_id=task.id,
                                  now=later(5000))

    assert view("volunteer").private and view("volunteer").mine is not None
    assert view("requester").private and view("requester").requester_side
    assert view("son").private and view("son").may_message
    assert view("grid_worker").private and view("grid_worker").staff
    assert not view("second").private and not view("second").may_message
    assert isinstance(view("second").claim_refusal, errors.TaskFullError)
    assert isinstance(view("requester").claim_refusal, errors.OwnRequestError)
    assert view("second").overdue  # past its deadline, still being worked on
    with pytest.raises(errors.TaskNotFoundError):
        services.task_view(db.session, viewer=world.volunteer, task_id=99999, now=NOW)


# Messages


def test_requester_and_volunteer_exchange_messages_and_each_is_told(db, world, upload_dir):
    request, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)

    services.post_message(db.session, author=world.volunteer, task_id=task.id,
                          body="阿姨，我8点到楼下", now=later(70))
    services.post_message(db.session, author=world.son, task_id=task.id,
                          body="谢谢！我妈在一楼等", now=later(75))

    assert [(m.author_id, m.body) for m in db.session.query(TaskMessage).order_by(TaskMessage.id)] == [
        (world.volunteer.id, "阿姨，我8点到楼下"), (world.son.id, "谢谢！我妈在一楼等")]
    told = db.session.query(Notification).filter_by(kind="task_message").order_by(Notification.id).all()
    assert [(n.user_id, n.link) for n in told] == [
        (world.requester.id, f"/requests/{request.id}"), (world.volunteer.id, f"/tasks/{task.id}")]


@pytest.mark.parametrize("who", ["second", "husband", "staff", "stranger_in_community"])
def test_messaging_a_task_one_is_not_part_of_is_refused(db, world, upload_dir, who):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    author = world.far_volunteer if who == "stranger_in_community" else getattr(world, who)
    before = snapshot(db)

    with pytest.raises(errors.NotInConversationError):
        services.post_message(db.session, author=author, task_id=task.id, body="你好", now=later(70))

    assert snapshot(db) == before


def test_a_volunteer_who_released_is_no_longer_in_the_conversation(db, world, upload_dir):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    services.release_task(db.session, volunteer=world.volunteer, task_id=task.id, now=later(70))
    before = snapshot(db)

    with pytest.raises(errors.NotInConversationError):
        services.post_message(db.session, author=world.volunteer, task_id=task.id, body="你好",
                              now=later(71))

    assert snapshot(db) == before


@pytest.mark.parametrize(("body", "error"), [(" \n ", errors.MessageEmptyError),
                                             ("话" * 201, errors.MessageTooLongError)])
def test_an_empty_or_long_message_is_refused(db, world, upload_dir, body, error):
    _, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)
    before = snapshot(db)

    with pytest.raises(error):
        services.post_message(db.session, author=world.volunteer, task_id=task.id, body=body,
                              now=later(70))

    assert snapshot(db) == before


# Staff on tasks


def test_staff_reassign_a_place_from_one_volunteer_to_another(db, world, upload_dir):
    request, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)

    staff.reassign_task(db.session, actor=world.grid_worker, community=world.community,
                        task_id=task.id, from_volunteer_id=world.volunteer.id,
                        to_phone=world.far_volunteer.phone, now=later(90))

    places = {p.volunteer_id: p for p in task.assignments}
    assert places[world.volunteer.id].status == REMOVED
    assert (places[world.far_volunteer.id].status, places[world.far_volunteer.id].assigned_by_id) == (
        TAKEN, world.grid_worker.id)
    assert (task.claimed_count, task.status) == (1, CLAIMED)
    assert [e.kind for e in request.events][-1] == "reassigned"
    kinds = {(n.user_id, n.kind) for n in db.session.query(Notification).filter(
        Notification.kind.in_(["task_assigned", "task_removed", "task_reassigned"]))}
    assert kinds == {(world.far_volunteer.id, "task_assigned"), (world.volunteer.id, "task_removed"),
                     (world.requester.id, "task_reassigned")}


def test_staff_fill_a_free_place(db, world, upload_dir):
    _, task = published(db, upload_dir, world, needed=2)

    staff.reassign_task(db.session, actor=world.staff, community=world.community, task_id=task.id,
                        to_phone=world.second.phone, now=later(90))

    assert (task.claimed_count, task.first_claimed_at) == (1, later(90))


@pytest.mark.parametrize(("case", "error"), [
    ("to_requester", errors.OwnRequestError),
    ("to_unknown", errors.VolunteerUnknownError),
    ("to_staff", errors.VolunteerUnknownError),
    ("from_nobody", errors.VolunteerUnknownError),
    ("full", errors.TaskFullError),
    ("from_done", errors.StepNotAllowedError),
    ("to_holder", errors.AlreadyClaimedError),
])
def test_a_bad_reassignment_is_refused_and_moves_nothing(db, world, upload_dir, case, error):
    _, task = published(db, upload_dir, world, needed=2)
    claim(db, world.volunteer, task)
    claim(db, world.second, task)
    if case == "from_done":
        finish(db, world.volunteer, task)
    to = {"to_requester": world.requester.phone, "to_unknown": "13800000000",
          "to_staff": world.staff.phone, "to_holder": world.second.phone}.get(
        case, world.far_volunteer.phone)
    from_id = {"from_nobody": world.far_volunteer.id, "full": None}.get(case, world.volunteer.id)
    before = snapshot(db)

    with pytest.raises(error):
        staff.reassign_task(db.session, actor=world.staff, community=world.community,
                            task_id=task.id, from_volunteer_id=from_id, to_phone=to, now=later(140))

    assert snapshot(db) == before


def test_a_volunteer_cannot_reassign(db, world, upload_dir):
    _, task = published(db, upload_dir, world)

    with pytest.raises(ForbiddenError):
        staff.reassign_task(db.session, actor=world.volunteer, community=world.community,
                            task_id=task.id, to_phone=world.second.phone, now=later(90))


def test_staff_cancel_a_task_with_a_reason_and_everyone_is_told(db, world, upload_dir):
    request, task = published(db, upload_dir, world)
    claim(db, world.volunteer, task)

    staff.cancel_task(db.session, actor=world.staff, community=world.community, task_id=task.id,
                      reason="老人已由家属陪同", now=later(90))

    assert (task.status, task.claimed_count, task.cancel_reason) == (CANCELLED, 0, "老人已由家属陪同")
    assert task.assignments[0].status == REMOVED
    told = {n.user_id for n in db.session.query(Notification).filter_by(kind="task_cancelled")}
    assert told == {world.requester.id, world.volunteer.id}
    before = snapshot(db)
    with pytest.raises(errors.StepNotAllowedError):
        staff.cancel_task(db.session, actor=world.staff, community=world.community,
                          task_id=task.id, reason="再取消一次", now=later(91))
    assert snapshot(db) == before


def test_the_board_flags_disputes_then_overdue_then_those_to_confirm(db, world, upload_dir):
    from tests.points.tasks.conftest import confirm

    calm = publish(db, world, file(db, upload_dir, world), deadline=later(60 * 48))
    overdue = publish(db, world, file(db, upload_dir, world), deadline=later(60))
    _, to_confirm = done_task(db, upload_dir, world)
    disputed_request, disputed = done_task(db, upload_dir, world)
    closing.dispute_request(db.session, acting=acting_as_self(world.requester),
                             request_id=disputed_request.id, reason="没有陪到医院", now=later(150))
    closed_request, _ = done_task(db, upload_dir, world)
    confirm(db, world, closed_request)

    rows = staff.task_board(db.session, actor=world.staff, community=world.community,
                            now=later(120))

    assert [(row.task.id, row.flag) for row in rows] == [
        (disputed.id, "disputed"), (overdue.id, "overdue"), (to_confirm.id, "to_confirm"),
        (calm.id, None)]
    assert staff.task_board(db.session, actor=world.far_grid_worker, community=world.community,
                            now=later(120)) == []
    with pytest.raises(errors.TaskNotFoundError):
        staff.task_in_reach(db.session, actor=world.far_grid_worker, community=world.community,
                            task_id=calm.id, now=NOW)
    assert staff.task_in_reach(db.session, actor=world.grid_worker, community=world.community,
                               task_id=calm.id, now=NOW).task.id == calm.id
