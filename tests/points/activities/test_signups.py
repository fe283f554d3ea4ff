"""Signing up and withdrawing: places, the waitlist and its order, automatic promotion,
proxies, and every refusal changing nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.activities import services
from points.activities.errors import (
    ActivityCancelledError, ActivityNotFoundError, AlreadySignedUpError, AlreadyWaitlistedError,
    CancelAfterStartError, NotAVolunteerError, NotSignedUpError, SignUpsClosedError,
)
from points.activities.models import SignUp
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.residents import services as residents
from points.residents.acting import acting_as_self, acting_for
from points.timeutil import utcnow
from tests import factories

NOW = utcnow().replace(microsecond=0)
START = NOW + timedelta(days=1)


@pytest.fixture
def community(session):
    return factories.make_community(session)


@pytest.fixture
def activity(session, community):
    """Published, starts tomorrow, two places."""
    return factories.make_activity(session, community, starts_at=START, capacity=2)


def person(session, community, name="王秀英", role="resident"):
    if role == "resident":
        return factories.make_resident(session, community, name=name)
    merchant = factories.make_merchant(session, community)
    return factories.make_user(session, community, role, name=name, merchant=merchant)


def sign_up(session, activity, who, now=NOW, acting=None):
    return services.sign_up(session, acting=acting or acting_as_self(who),
                            community_id=who.community_id, activity_id=activity.id, now=now)


def withdraw(session, activity, who, now=NOW, acting=None):
    return services.cancel_signup(session, acting=acting or acting_as_self(who),
                                  community_id=who.community_id, activity_id=activity.id, now=now)


def statuses(session, activity):
    """``{user_id: (status, queue_no)}`` of every sign-up row."""
    rows = session.execute(select(SignUp.user_id, SignUp.status, SignUp.queue_no)
                           .where(SignUp.activity_id == activity.id))
    return {user_id: (status, queue_no) for user_id, status, queue_no in rows}


def notes(session, user=None):
    stmt = select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(session.scalars(stmt))


def snapshot(session, activity):
    return statuses(session, activity), len(notes(session))


# --- signing up ---------------------------------------------------------------------------

def test_signing_up_takes_a_place_and_tells_the_person(session, community, activity):
    resident = person(session, community)

    result = sign_up(session, activity, resident)

    assert result.signup.status == "signed_up" and result.position is None
    assert result.signup.user_id == resident.id and result.signup.proxy_id is None
    assert result.signup.queued_at == NOW
    [note] = notes(session, resident)
    assert note.kind == "signed_up" and note.title == "报名成功"
    assert "清洁家园" in note.body and note.link == f"/activities/{activity.id}"


def test_when_full_the_next_people_are_waitlisted_and_told_their_place(session, community,
                                                                       activity):
    people = [person(session, community, name=f"居民{n}") for n in range(4)]

    results = [sign_up(session, activity, who) for who in people]

    assert [r.signup.status for r in results] == ["signed_up", "signed_up", "waitlisted",
                                                   "waitlisted"]
    assert [r.position for r in results] == [None, None, 1, 2]
    [note] = notes(session, people[3])
    assert note.kind == "waitlisted" and "候补第 2 位" in note.body


def test_shop_staff_volunteer_too(session, community, activity):
    clerk = person(session, community, name="李小红", role="merchant_clerk")

    assert sign_up(session, activity, clerk).signup.status == "signed_up"


@pytest.mark.parametrize("role", ["staff", "grid_worker", "admin"])
def test_staff_do_not_sign_up(session, community, activity, role):
    staff = factories.make_user(session, community, role)

    with pytest.raises(NotAVolunteerError):
        sign_up(session, activity, staff)
    assert snapshot(session, activity) == ({}, 0)


def test_signing_up_twice_is_refused_and_changes_nothing(session, community, activity):
    first, second, third = (person(session, community, name=n) for n in ("甲", "乙", "丙"))
    for who in (first, second, third):
        sign_up(session, activity, who)
    before = snapshot(session, activity)

    with pytest.raises(AlreadySignedUpError) as signed:
        sign_up(session, activity, first)
    with pytest.raises(AlreadyWaitlistedError) as waiting:
        sign_up(session, activity, third)

    assert signed.value.code == waiting.value.code == "already_signed_up"
    assert snapshot(session, activity) == before


@pytest.mark.parametrize("moment", [START, START + timedelta(minutes=1)])
def test_sign_ups_close_at_the_start(session, community, activity, moment):
    resident = person(session, community)

    with pytest.raises(SignUpsClosedError):
        sign_up(session, activity, resident, now=moment)
    assert snapshot(session, activity) == ({}, 0)


def test_one_second_before_the_start_is_still_open(session, community, activity):
    resident = person(session, community)

    assert sign_up(session, activity, resident, now=START - timedelta(seconds=1)).signup.id


def test_a_draft_is_not_found_and_a_cancelled_activity_is_refused(session, community):
    draft = factories.make_activity(session, community, starts_at=START, status="draft")
    cancelled = factories.make_activity(session, community, starts_at=START, status="cancelled")
    resident = person(session, community)

    with pytest.raises(ActivityNotFoundError):
        sign_up(session, draft, resident)
    with pytest.raises(ActivityCancelledError):
        sign_up(session, cancelled, resident)
    assert session.scalar(select(func.count()).select_from(SignUp)) == 0


def test_another_communitys_activity_is_not_found(session, community, activity):
    outsider = factories.make_resident(session, factories.make_community(session, name="城口社区"))

    with pytest.raises(ActivityNotFoundError):
        sign_up(session, activity, outsider)
    with pytest.raises(ActivityNotFoundError):
        services.sign_up(session, acting=acting_as_self(outsider), community_id=community.id,
                         activity_id=activity.id, now=NOW)
    assert snapshot(session, activity) == ({}, 0)


# --- withdrawing and the waitlist ------------------------------------------------------------

def test_withdrawing_a_place_promotes_the_first_on_the_waitlist_at_once(session, community,
                                                                        activity):
    people = [person(session, community, name=f"居民{n}") for n in range(5)]
    for who in people:
        sign_up(session, activity, who)

    withdrawal = withdraw(session, activity, people[0], now=NOW + timedelta(hours=1))

    assert withdrawal.signup.status == "cancelled"
    assert [s.user_id for s in withdrawal.promoted] == [people[2].id]
    now = statuses(session, activity)
    assert [now[p.id][0] for p in people] == ["cancelled", "signed_up", "signed_up",
                                              "waitlisted", "waitlisted"]
    promoted = session.get(SignUp, withdrawal.promoted[0].id)
    assert promoted.promoted_at == NOW + timedelta(hours=1)
    [told] = [n for n in notes(session, people[2]) if n.kind == "waitlist_promoted"]
    assert told.title == "候补转正" and "清洁家园" in told.body
    # the rest of the queue moved up one place
    assert services.waitlist_position(session, promoted) is None
    rows = {s.user_id: s for s in services.signups_of(session, activity)}
    assert services.waitlist_position(session, rows[people[3].id]) == 1
    assert services.waitlist_position(session, rows[people[4].id]) == 2


def test_leaving_the_waitlist_promotes_nobody(session, community, activity):
    people = [person(session, community, name=f"居民{n}") for n in range(4)]
    for who in people:
        sign_up(session, activity, who)
    notes_before = len(notes(session))

    withdrawal = withdraw(session, activity, people[2])

    assert withdrawal.promoted == []
    assert statuses(session, activity)[people[3].id][0] == "waitlisted"
    assert len(notes(session)) == notes_before
    rows = {s.user_id: s for s in services.signups_of(session, activity)}
    assert services.waitlist_position(session, rows[people[3].id]) == 1


def test_a_place_freed_with_nobody_waiting_stays_free(session, community, activity):
    resident = person(session, community)
    sign_up(session, activity, resident)

    assert withdraw(session, activity, resident).promoted == []
    assert services.row_of(session, activity).places_left == 2


def test_withdrawing_after_the_start_is_refused_and_changes_nothing(session, community,
                                                                    activity):
    first, second, third = (person(session, community, name=n) for n in ("甲", "乙", "丙"))
    for who in (first, second, third):
        sign_up(session, activity, who)
    before = snapshot(session, activity)

    with pytest.raises(CancelAfterStartError):
        withdraw(session, activity, first, now=START)
    assert snapshot(session, activity) == before


def test_withdrawing_without_a_sign_up_is_refused(session, community, activity):
    resident = person(session, community)

    with pytest.raises(NotSignedUpError):
        withdraw(session, activity, resident)
    sign_up(session, activity, resident)
    withdraw(session, activity, resident)
    with pytest.raises(NotSignedUpError):
        withdraw(session, activity, resident)


def test_withdrawing_from_a_cancelled_activity_is_refused(session, community, activity):
    resident = person(session, community)
    sign_up(session, activity, resident)
    staff = factories.make_user(session, community, "staff")
    services.cancel_activity(session, actor=staff, community_id=community.id,
                             activity_id=activity.id, now=NOW)

    with pytest.raises(ActivityCancelledError):
        withdraw(session, activity, resident)
    assert statuses(session, activity)[resident.id][0] == "signed_up"


def test_signing_up_again_after_withdrawing_goes_to_the_end_of_the_queue(session, community,
                                                                         activity):
    people = [person(session, community, name=f"居民{n}") for n in range(4)]
    for who in people:
        sign_up(session, activity, who)
    withdraw(session, activity, people[0])  # 居民2 moves up; 居民3 waits alone

    again = sign_up(session, activity, people[0], now=NOW + timedelta(minutes=5))

    assert again.signup.status == "waitlisted" and again.position == 2
    assert again.signup.cancelled_at is None and again.signup.queued_at == NOW + timedelta(minutes=5)
    queue = [s.user_id for s in services.signups_of(session, activity)]
    assert queue == [people[1].id, people[2].id, people[3].id, people[0].id]
    assert session.scalar(select(func.count()).select_from(SignUp)) == 4  # the row is reused


def test_queue_numbers_are_unique_and_only_grow(session, community, activity):
    people = [person(session, community, name=f"居民{n}") for n in range(3)]
    for who in people:
        sign_up(session, activity, who)
    withdraw(session, activity, people[0])
    sign_up(session, activity, people[0])

    numbers = [queue_no for _, queue_no in statuses(session, activity).values()]
    assert sorted(numbers) == [2, 3, 4]


# --- 亲情代理 -----------------------------------------------------------------------------

@pytest.fixture
def family(session, community):
    mother = factories.make_resident(session, community, name="王奶奶")
    son = factories.make_resident(session, community, name="王小明")
    staff = factories.make_user(session, community, "staff")
    grant = residents.grant_proxy(session, actor=staff, community=community, resident_id=mother.id,
                                  proxy_phone=son.phone, relation="子女", now=NOW)
    return mother, son, staff, grant


def test_a_proxy_signs_up_the_resident_and_is_recorded(session, community, activity, family):
    mother, son, *_ = family

    result = sign_up(session, activity, son, acting=acting_for(session, son, mother.id))

    assert result.signup.user_id == mother.id and result.signup.proxy_id == son.id
    assert [n.kind for n in notes(session, mother)] == ["signed_up"]
    assert notes(session, son) == []


def test_a_proxy_withdraws_for_the_resident(session, community, activity, family):
    mother, son, *_ = family
    acting = acting_for(session, son, mother.id)
    sign_up(session, activity, son, acting=acting)

    withdraw(session, activity, son, acting=acting)

    assert statuses(session, activity)[mother.id][0] == "cancelled"


def test_a_grant_revoked_meanwhile_refuses_the_act(session, community, activity, family):
    mother, son, staff, grant = family
    acting = acting_for(session, son, mother.id)
    residents.revoke_proxy(session, actor=staff, community=community, grant_id=grant.id, now=NOW)

    with pytest.raises(ForbiddenError):
        sign_up(session, activity, son, acting=acting)
    assert snapshot(session, activity) == ({}, 0)
