"""A community with two grids: a requester (王秀英) with her husband in one household and
her son as 亲情代理, volunteers near and far, a shop clerk who volunteers, the office,
grid workers of each grid, another community; an activity type to credit tasks under;
and helpers that walk a request through the services."""
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from points import wallets
from points.audit.models import AuditEvent
from points.auth.models import ProxyGrant, User
from points.earning.models import Credit
from points.extensions import unit_of_work
from points.notifications.models import Notification
from points.residents.acting import Acting, acting_as_self
from points.tasks import closing, services, staff
from points.tasks.models import (RequestPhoto, ServiceRequest, Task, TaskAssignment, TaskEvent,
                                 TaskMessage)
from points.timeutil import local
from tests import factories

# 10:00 in Chengdu on a Friday.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
TODAY = local(NOW).date()


def later(minutes):
    return NOW + timedelta(minutes=minutes)


@dataclass
class World:
    community: object
    grid: object
    far_grid: object
    requester: object
    husband: object
    son: object  # 亲情代理 of the requester, lives elsewhere
    volunteer: object  # same grid as the requester
    second: object  # same grid
    far_volunteer: object  # the other grid
    clerk: object  # a shop clerk who volunteers
    staff: object
    admin: object
    grid_worker: object
    far_grid_worker: object
    elsewhere: object  # another community
    stranger: object  # a resident there
    care: object  # 敬老助老: per participation, 10 points, daily cap 40


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session, name="东郊社区")
    grid = factories.make_grid(session, community, name="荔东网格")
    far_grid = factories.make_grid(session, community, name="西郊网格")
    home = factories.make_household(session, community, grid, address="3栋2单元401")
    elsewhere = factories.make_community(session, name="城口社区")

    def resident(name, grid_):
        return factories.make_resident(
            session, community, name=name,
            household=factories.make_household(session, community, grid_))

    shop = factories.make_merchant(session, community)
    requester = factories.make_resident(session, community, household=home, name="王秀英")
    son = resident("王小明", far_grid)
    with unit_of_work(session):
        session.add(ProxyGrant(resident_id=requester.id, proxy_id=son.id, relation="子女",
                               granted_by_id=son.id))
    return World(
        community=community, grid=grid, far_grid=far_grid, requester=requester,
        husband=factories.make_resident(session, community, household=home, name="李建华"),
        son=son, volunteer=resident("董银成", grid), second=resident("郝水长", grid),
        far_volunteer=resident("温阳", far_grid),
        clerk=factories.make_user(session, community, "merchant_clerk", name="李小红",
                                  merchant=shop),
        staff=factories.make_user(session, community, "staff", name="何远"),
        admin=factories.make_user(session, community, "admin", name="张宝然"),
        grid_worker=factories.make_user(session, community, "grid_worker", name="刘网格",
                                        grids=[grid]),
        far_grid_worker=factories.make_user(session, community, "grid_worker", name="孙网格",
                                            grids=[far_grid]),
        elsewhere=elsewhere,
        stranger=factories.make_resident(session, elsewhere, name="周大爷"),
        care=factories.make_activity_type(session, community, name="敬老助老", category="elderly",
                                          unit="participation", points="10", daily_cap="40"),
    )


@pytest.fixture
def upload_dir(tmp_path):
    return tmp_path / "uploads" / "requests"


@pytest.fixture
def uploads(app):
    """Where the app keeps request photos (pages and API tests)."""
    return Path(app.config["INSTANCE_PATH"]) / "uploads" / "requests"


def file(db, upload_dir, world, *, acting=None, category="escort",
         description="周三上午去县医院复查，需要人陪同", place="3栋2单元401",
         preferred_time="周三上午", urgent=False, photos=(), now=NOW):
    return services.file_request(
        db.session, acting=acting or acting_as_self(world.requester), category=category,
        description=description, place=place, preferred_time=preferred_time, urgent=urgent,
        photos=list(photos), upload_dir=upload_dir, now=now)


def publish(db, world, request, *, points="20", needed=1, deadline=None, actor=None,
            type_=None, title="陪王秀英去县医院复查", now=None):
    now = now or later(30)
    return staff.publish_request(
        db.session, actor=actor or world.staff, community=world.community, request_id=request.id,
        title=title, type_id=(type_ or world.care).id, points=points, volunteers_needed=needed,
        deadline=deadline or now + timedelta(days=2), now=now)


def claim(db, volunteer, task, now=None):
    return services.claim_task(db.session, volunteer=volunteer, task_id=task.id,
                               now=now or later(60))


def finish(db, volunteer, task, now=None):
    return services.finish_task(db.session, volunteer=volunteer, task_id=task.id,
                                now=now or later(120))


def confirm(db, world, request, *, acting=None, rating=5, comment="很及时", key=None, now=None):
    return closing.confirm_request(
        db.session, acting=acting or acting_as_self(world.requester), request_id=request.id,
        rating=rating, comment=comment, idempotency_key=key, now=now or later(180))


def done_task(db, upload_dir, world, *, volunteers=None, points="20", **publish_kwargs):
    """A request published, claimed by ``volunteers`` (default: the near volunteer), and
    marked done by each."""
    volunteers = volunteers or [world.volunteer]
    request = file(db, upload_dir, world)
    task = publish(db, world, request, points=points, needed=len(volunteers), **publish_kwargs)
    for volunteer in volunteers:
        claim(db, volunteer, task)
    for volunteer in volunteers:
        finish(db, volunteer, task)
    return request, task


def as_proxy(world):
    return Acting(user=world.son, resident=world.requester, relation="子女")


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def balance(db, user):
    db.session.rollback()  # a fresh read
    return wallets.wallet_balance(db.session, db.session.get(User, user.id)).balance


def snapshot(db):
    """Everything a refusal must leave as it was: rows of every kind, each task's and
    request's state and each place's, and every wallet balance."""
    session = db.session
    session.rollback()
    return {
        "counts": [count(session, model) for model in (
            ServiceRequest, RequestPhoto, Task, TaskAssignment, TaskEvent, TaskMessage, Credit,
            Notification, AuditEvent)],
        "requests": [(r.id, r.status, r.grid_id, r.merged_into_id) for r in
                     session.scalars(select(ServiceRequest).order_by(ServiceRequest.id))],
        "tasks": [(t.id, t.status, t.claimed_count, t.confirmed_at, t.rating, t.closed_at)
                  for t in session.scalars(select(Task).order_by(Task.id))],
        "places": [(a.id, a.volunteer_id, a.status, a.points_awarded) for a in
                   session.scalars(select(TaskAssignment).order_by(TaskAssignment.id))],
        "balances": [wallets.wallet_balance(session, user).balance for user in
                     session.scalars(select(User).order_by(User.id))],
    }
