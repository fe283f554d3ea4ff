"""Races: many people sign up for one activity at the same moment, each in their own
thread and database session. The activity's row lock (PostgreSQL) or the one write
transaction (SQLite) makes capacity hold and hands out one queue number each."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from points.activities import services
from points.activities.models import SignUp
from points.auth.models import User
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.timeutil import utcnow
from tests import factories
from tests.races import race, sql_sent

CAPACITY = 5
PEOPLE = 20


def signing_up(user_id, activity_id, community_id, now):
    def act(session):
        person = session.get(User, user_id)
        result = services.sign_up(session, acting=acting_as_self(person),
                                  community_id=community_id, activity_id=activity_id, now=now)
        return user_id, result.signup.status, result.position  # plain values outlive the session
    return act


def withdrawing(user_id, activity_id, community_id, now):
    def act(session):
        person = session.get(User, user_id)
        withdrawal = services.cancel_signup(session, acting=acting_as_self(person),
                                            community_id=community_id, activity_id=activity_id,
                                            now=now)
        return [signup.user_id for signup in withdrawal.promoted]
    return act


@pytest.fixture
def crowd(session):
    community = factories.make_community(session)
    household = factories.make_household(session, community)
    activity = factories.make_activity(session, community, capacity=CAPACITY,
                                       starts_at=utcnow() + timedelta(days=1))
    people = [factories.make_user(session, community, "resident", name=f"居民{n}",
                                  household=household) for n in range(PEOPLE)]
    return community, activity, [user.id for user in people]


def live_signups(session, activity):
    session.rollback()  # end this session's read snapshot: see what the threads committed
    return session.scalars(select(SignUp).where(SignUp.activity_id == activity.id)).all()


def assert_queue_is_sound(signups):
    numbers = [signup.queue_no for signup in signups]
    assert len(numbers) == len(set(numbers))


@pytest.mark.slow
def test_twenty_people_racing_for_five_places_get_five_places_and_a_waitlist(engine, session,
                                                                             crowd):
    community, activity, people = crowd
    now = utcnow()

    results = race(engine, [signing_up(user_id, activity.id, community.id, now)
                            for user_id in people])

    assert [r for r in results if isinstance(r, Exception)] == []
    signups = live_signups(session, activity)
    signed = [s for s in signups if s.status == "signed_up"]
    waiting = sorted((s for s in signups if s.status == "waitlisted"), key=lambda s: s.queue_no)
    assert len(signed) == CAPACITY and len(waiting) == PEOPLE - CAPACITY
    assert_queue_is_sound(signups)
    # Everyone was told a different waitlist place, 1 to 15, in the order of the queue.
    told = sorted(position for _, _, position in results if position is not None)
    assert told == list(range(1, PEOPLE - CAPACITY + 1))
    by_user = {user_id: position for user_id, _, position in results}
    assert [by_user[s.user_id] for s in waiting] == told
    # The first five in the queue are the ones with places.
    assert max(s.queue_no for s in signed) < min(s.queue_no for s in waiting)


@pytest.mark.slow
def test_a_withdrawal_racing_new_sign_ups_keeps_the_places_full_and_promotes_once(engine, session,
                                                                                 crowd):
    community, activity, people = crowd
    now = utcnow()
    early, late = people[:8], people[8:]  # 5 places and 3 waiting, then 12 more arrive
    for user_id in early:
        signing_up(user_id, activity.id, community.id, now)(session)
    leaver = early[0]

    actions = [withdrawing(leaver, activity.id, community.id, now)]
    actions += [signing_up(user_id, activity.id, community.id, now) for user_id in late]
    results = race(engine, actions)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert results[0] == [early[CAPACITY]]  # the first in line moved up
    signups = live_signups(session, activity)
    by_user = {s.user_id: s for s in signups}
    assert by_user[leaver].status == "cancelled"
    assert sum(s.status == "signed_up" for s in signups) == CAPACITY
    assert sum(s.status == "waitlisted" for s in signups) == PEOPLE - CAPACITY - 1
    assert by_user[early[CAPACITY]].status == "signed_up"
    assert_queue_is_sound(signups)
    promoted_notes = session.scalars(select(Notification).where(
        Notification.kind == "waitlist_promoted")).all()
    assert [n.user_id for n in promoted_notes] == [early[CAPACITY]]


def test_the_sign_up_locks_the_activity_row_on_postgresql(engine, session, crowd):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: its write transaction is the lock")
    community, activity, people = crowd

    with sql_sent(engine) as statements:
        signing_up(people[0], activity.id, community.id, utcnow())(session)

    locking = [s for s in statements if "FROM activities" in s and "FOR UPDATE" in s]
    assert locking and statements.index(locking[0]) < min(
        i for i, s in enumerate(statements) if "count(" in s.lower())
