"""Exactly the places there are, and points exactly once, under concurrency: volunteers
racing for the last places of a task, and two confirmations of one task. Real threads,
each with its own session; PostgreSQL serialises them on the task's row lock (SQLite on
its one writer)."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from points.auth.models import User
from points.earning.models import Credit
from points.extensions import unit_of_work
from points.residents.acting import acting_as_self
from points.tasks import closing, services
from points.tasks.errors import AlreadyConfirmedError, TaskFullError
from points.tasks.models import Task, TaskAssignment
from tests import factories
from tests.points.tasks.conftest import balance, claim, done_task, file, later, publish
from tests.races import race, sql_sent

CONTENDERS = 8


def claimer(volunteer_id, task_id):
    def act(session):
        volunteer = session.get(User, volunteer_id)
        return services.claim_task(session, volunteer=volunteer, task_id=task_id,
                                   now=later(60)).id
    return act


def confirmer(requester_id, request_id):
    def act(session):
        requester = session.get(User, requester_id)
        return closing.confirm_request(session, acting=acting_as_self(requester),
                                        request_id=request_id, rating=5, now=later(200)).id
    return act


@pytest.mark.slow
@pytest.mark.parametrize("needed", [1, 3])
def test_volunteers_racing_for_the_last_places_exactly_fill_them(db, world, upload_dir, needed):
    request = file(db, upload_dir, world)
    task = publish(db, world, request, needed=needed + 1)
    claim(db, world.far_volunteer, task)  # one place taken already: ``needed`` are left
    volunteers = [factories.make_resident(db.session, world.community, name=f"志愿者{n}").id
                  for n in range(CONTENDERS)]

    results = race(db.engine, [claimer(volunteer_id, task.id) for volunteer_id in volunteers])

    won = [r for r in results if r == task.id]
    assert len(won) == needed
    assert all(isinstance(r, TaskFullError) for r in results if r != task.id), results
    db.session.rollback()
    task = db.session.get(Task, task.id)
    assert task.claimed_count == needed + 1 == task.volunteers_needed
    assert db.session.scalar(select(func.count()).select_from(TaskAssignment)) == needed + 1


@pytest.mark.slow
def test_two_confirmations_at_once_credit_once(db, world, upload_dir):
    request, task = done_task(db, upload_dir, world, volunteers=[world.volunteer, world.second])

    results = race(db.engine, [confirmer(world.requester.id, request.id) for _ in range(4)])

    assert results.count(task.id) == 1
    assert all(isinstance(r, AlreadyConfirmedError) for r in results if r != task.id), results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 2
    assert balance(db, world.volunteer) == balance(db, world.second) == Decimal("20")
    assert verify(db.session) == []


def test_the_task_row_is_locked_before_its_places_are_read(db, world, upload_dir):
    task_id = publish(db, world, file(db, upload_dir, world)).id
    db.session.rollback()

    with sql_sent(db.engine) as statements, unit_of_work(db.session):
        services.locked_task(db.session, task_id)

    task_reads = [s for s in statements if "FROM tasks" in s]
    if db.engine.dialect.name == "postgresql":
        assert task_reads and "FOR UPDATE" in task_reads[0]
    else:
        assert task_reads  # SQLite: BEGIN IMMEDIATE already holds the one write lock
