"""Staff create, edit, publish and cancel activities: defaults, every refusal (nothing
written), the audit log's before/after, notifications on cancelling, and who reaches what."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from points.activities import services
from points.activities.errors import (
    ActivityNotFoundError, CapacityError, CheckinClosesOutOfRangeError,
    CheckinOpensOutOfRangeError, CheckinWindowOrderError, EndsBeforeStartError, GridRequiredError,
    HoursError, NotCancellableError, NotDraftError, PlaceMissingError, PointsError,
    StartsInThePastError, TimeMissingError, TitleMissingError, TitleTooLongError, TooLongError,
    TypeInactiveError,
)
from points.activities.models import Activity, SignUp
from points.audit.models import AuditEvent
from points.earning.errors import ActivityTypeNotFoundError
from points.errors import ForbiddenError, NotFoundError
from points.notifications.models import Notification
from points.timeutil import utcnow
from tests import factories

NOW = utcnow().replace(microsecond=0)
TOMORROW_9 = NOW + timedelta(days=1)


@pytest.fixture
def office(session):
    community = factories.make_community(session)
    grid = factories.make_grid(session, community, name="红星网格")
    staff = factories.make_user(session, community, "staff", name="陈主任")
    hourly = factories.make_activity_type(session, community, name="环境卫生", points="10")
    once = factories.make_activity_type(session, community, name="矛盾调解", unit="participation",
                                        points="20")
    return community, grid, staff, hourly, once


def values(activity_type, **changes):
    base = {"type_id": activity_type.id, "title": "清洁家园", "place": "北新街小广场",
            "description": "带好手套", "starts_at": TOMORROW_9,
            "ends_at": TOMORROW_9 + timedelta(hours=2), "capacity": "5", "points": None,
            "hours": None, "checkin_opens_at": None, "checkin_closes_at": None, "grid_id": None}
    base.update(changes)
    return base


def create(session, office, actor=None, **changes):
    community, _, staff, hourly, _ = office
    activity_type = changes.pop("activity_type", hourly)
    return services.create_activity(session, actor=actor or staff, community_id=community.id,
                                    values=values(activity_type, **changes), now=NOW)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- creating --------------------------------------------------------------------------

def test_a_new_activity_is_a_draft_with_the_programmes_defaults(session, office):
    activity = create(session, office)

    assert activity.status == "draft" and activity.published_at is None
    assert activity.points == Decimal("10")  # the type's points
    assert activity.hours == Decimal("2")  # the activity's length, per-hour type
    assert activity.checkin_opens_at == TOMORROW_9 - timedelta(minutes=30)
    assert activity.checkin_closes_at == activity.ends_at
    assert re.fullmatch(r"[0-9a-f]{64}", activity.rotation_secret)
    assert activity.capacity == 5 and activity.grid_id is None
    assert activity.created_by_id == office[2].id


def test_creating_is_recorded_in_the_audit_log_with_the_values(session, office):
    activity = create(session, office)

    [event] = events(session, "activity.create")
    assert event.actor_id == office[2].id and event.object_type == "activity"
    assert event.object_id == activity.id and event.before is None
    assert event.after["title"] == "清洁家园" and event.after["points"] == "10"
    assert event.after["status"] == "draft" and event.after["capacity"] == 5


def test_given_points_hours_and_window_are_kept(session, office):
    opens, closes = TOMORROW_9 - timedelta(hours=1), TOMORROW_9 + timedelta(hours=3)

    activity = create(session, office, points="15", hours="1.5", checkin_opens_at=opens,
                      checkin_closes_at=closes)

    assert activity.points == Decimal("15") and activity.hours == Decimal("1.5")
    assert (activity.checkin_opens_at, activity.checkin_closes_at) == (opens, closes)


def test_a_per_participation_activity_has_no_hours(session, office):
    activity = create(session, office, activity_type=office[4], hours="3")

    assert activity.hours is None and activity.points == Decimal("20")


def test_an_odd_length_is_rounded_down_to_the_half_hour(session, office):
    activity = create(session, office, ends_at=TOMORROW_9 + timedelta(minutes=100))

    assert activity.hours == Decimal("1.5")


@pytest.mark.parametrize("changes, error", [
    ({"ends_at": TOMORROW_9}, EndsBeforeStartError),
    ({"ends_at": TOMORROW_9 - timedelta(hours=1)}, EndsBeforeStartError),
    ({"ends_at": TOMORROW_9 + timedelta(hours=25)}, TooLongError),
    ({"starts_at": None}, TimeMissingError),
    ({"checkin_opens_at": TOMORROW_9 + timedelta(hours=1),
      "checkin_closes_at": TOMORROW_9 + timedelta(minutes=30)}, CheckinWindowOrderError),
    ({"checkin_opens_at": TOMORROW_9 - timedelta(hours=4)}, CheckinOpensOutOfRangeError),
    ({"checkin_opens_at": TOMORROW_9 + timedelta(hours=2),
      "checkin_closes_at": TOMORROW_9 + timedelta(hours=3)}, CheckinOpensOutOfRangeError),
    ({"checkin_closes_at": TOMORROW_9 + timedelta(hours=6)}, CheckinClosesOutOfRangeError),
    ({"checkin_opens_at": TOMORROW_9 - timedelta(hours=2),
      "checkin_closes_at": TOMORROW_9 - timedelta(hours=1)}, CheckinClosesOutOfRangeError),
    ({"capacity": "0"}, CapacityError),
    ({"capacity": "-3"}, CapacityError),
    ({"capacity": "2001"}, CapacityError),
    ({"capacity": "五"}, CapacityError),
    ({"points": "1.5"}, PointsError),
    ({"points": "0"}, PointsError),
    ({"points": "-10"}, PointsError),
    ({"points": 2.0}, PointsError),
    ({"hours": "0"}, HoursError),
    ({"hours": "25"}, HoursError),
    ({"hours": "1.255"}, HoursError),
    ({"title": "  "}, TitleMissingError),
    ({"title": "清" * 81}, TitleTooLongError),
    ({"place": ""}, PlaceMissingError),
])
def test_bad_activities_are_refused_and_nothing_is_written(session, office, changes, error):
    with pytest.raises(error):
        create(session, office, **changes)

    assert count(session, Activity) == 0 and count(session, AuditEvent) == 0


def test_an_inactive_type_is_refused(session, office):
    community = office[0]
    stopped = factories.make_activity_type(session, community, active=False)

    with pytest.raises(TypeInactiveError):
        create(session, office, activity_type=stopped)
    assert count(session, Activity) == 0


def test_a_type_or_grid_of_another_community_is_not_found(session, office):
    other = factories.make_community(session, name="城口社区")
    foreign_type = factories.make_activity_type(session, other)
    foreign_grid = factories.make_grid(session, other)

    with pytest.raises(ActivityTypeNotFoundError):
        create(session, office, activity_type=foreign_type)
    with pytest.raises(NotFoundError):
        create(session, office, grid_id=foreign_grid.id)
    assert count(session, Activity) == 0


def test_a_resident_cannot_create_and_another_communitys_staff_find_nothing(session, office):
    community = office[0]
    resident = factories.make_resident(session, community)
    outsider = factories.make_user(session, factories.make_community(session), "staff")

    with pytest.raises(ForbiddenError):
        create(session, office, actor=resident)
    with pytest.raises(NotFoundError):
        create(session, office, actor=outsider)
    assert count(session, Activity) == 0


# --- grid workers ------------------------------------------------------------------------

@pytest.fixture
def grid_worker(session, office):
    community, grid, *_ = office
    return factories.make_user(session, community, "grid_worker", name="刘网格", grids=[grid])


def test_a_grid_worker_creates_activities_only_in_their_own_grids(session, office, grid_worker):
    community, grid, *_ = office
    other_grid = factories.make_grid(session, community, name="白塔网格")

    with pytest.raises(GridRequiredError):
        create(session, office, actor=grid_worker)
    with pytest.raises(NotFoundError):
        create(session, office, actor=grid_worker, grid_id=other_grid.id)
    activity = create(session, office, actor=grid_worker, grid_id=grid.id)

    assert activity.grid_id == grid.id and count(session, Activity) == 1


def test_a_grid_worker_sees_their_grids_and_community_wide_activities(session, office,
                                                                      grid_worker):
    community, grid, staff, hourly, _ = office
    other_grid = factories.make_grid(session, community, name="白塔网格")
    wide = create(session, office)
    own = create(session, office, grid_id=grid.id, title="红星清洁")
    elsewhere = create(session, office, grid_id=other_grid.id, title="白塔清洁")

    listed = services.list_activities(session, actor=grid_worker, community_id=community.id,
                                      now=NOW)

    assert {row.activity.id for row in listed.rows} == {wide.id, own.id}
    with pytest.raises(ActivityNotFoundError):
        services.staff_detail(session, actor=grid_worker, community_id=community.id,
                              activity_id=elsewhere.id)
    assert services.staff_detail(session, actor=grid_worker, community_id=community.id,
                                 activity_id=wide.id).manageable is False
    assert services.staff_detail(session, actor=grid_worker, community_id=community.id,
                                 activity_id=own.id).manageable is True


def test_a_grid_worker_may_not_publish_a_community_wide_activity(session, office, grid_worker):
    community = office[0]
    wide = create(session, office)

    with pytest.raises(ForbiddenError):
        services.publish_activity(session, actor=grid_worker, community_id=community.id,
                                  activity_id=wide.id, now=NOW)
    session.refresh(wide)
    assert wide.status == "draft" and events(session, "activity.publish") == []


# --- editing a draft ----------------------------------------------------------------------

def test_a_draft_is_edited_and_the_change_recorded(session, office):
    community, *_ , hourly, _ = office
    activity = create(session, office)

    services.update_activity(session, actor=office[2], community_id=community.id,
                             activity_id=activity.id,
                             values=values(hourly, title="清洁家园（改期）", capacity="8",
                                           starts_at=TOMORROW_9 + timedelta(hours=1),
                                           ends_at=TOMORROW_9 + timedelta(hours=4)),
                             now=NOW)

    session.refresh(activity)
    assert activity.title == "清洁家园（改期）" and activity.capacity == 8
    assert activity.hours == Decimal("3")
    assert activity.checkin_opens_at == TOMORROW_9 + timedelta(minutes=30)  # moved along
    [event] = events(session, "activity.update")
    assert event.before["title"] == "清洁家园" and event.after["title"] == "清洁家园（改期）"
    assert event.before["capacity"] == 5 and event.after["capacity"] == 8


def test_a_published_activity_cannot_be_edited(session, office):
    community, *_, hourly, _ = office
    activity = create(session, office)
    services.publish_activity(session, actor=office[2], community_id=community.id,
                              activity_id=activity.id, now=NOW)

    with pytest.raises(NotDraftError):
        services.update_activity(session, actor=office[2], community_id=community.id,
                                 activity_id=activity.id, values=values(hourly, capacity="1"),
                                 now=NOW)
    session.refresh(activity)
    assert activity.capacity == 5 and events(session, "activity.update") == []


def test_a_refused_edit_changes_nothing(session, office):
    community, *_, hourly, _ = office
    activity = create(session, office)

    with pytest.raises(CapacityError):
        services.update_activity(session, actor=office[2], community_id=community.id,
                                 activity_id=activity.id, values=values(hourly, capacity="0"),
                                 now=NOW)
    session.refresh(activity)
    assert activity.capacity == 5 and events(session, "activity.update") == []


# --- publishing -------------------------------------------------------------------------

def test_publishing_opens_sign_ups_and_is_recorded(session, office):
    community = office[0]
    activity = create(session, office)

    services.publish_activity(session, actor=office[2], community_id=community.id,
                              activity_id=activity.id, now=NOW)

    session.refresh(activity)
    assert activity.status == "published" and activity.published_at == NOW
    [event] = events(session, "activity.publish")
    assert event.before["status"] == "draft" and event.after["status"] == "published"


def test_an_activity_whose_start_has_passed_cannot_be_published(session, office):
    community = office[0]
    activity = create(session, office)

    with pytest.raises(StartsInThePastError):
        services.publish_activity(session, actor=office[2], community_id=community.id,
                                  activity_id=activity.id, now=TOMORROW_9)
    session.refresh(activity)
    assert activity.status == "draft" and events(session, "activity.publish") == []


def test_publishing_twice_is_refused(session, office):
    community = office[0]
    activity = create(session, office)
    services.publish_activity(session, actor=office[2], community_id=community.id,
                              activity_id=activity.id, now=NOW)

    with pytest.raises(NotDraftError):
        services.publish_activity(session, actor=office[2], community_id=community.id,
                                  activity_id=activity.id, now=NOW)
    assert len(events(session, "activity.publish")) == 1


def test_another_communitys_activity_is_not_found(session, office):
    activity = create(session, office)
    other = factories.make_community(session, name="城口社区")
    outsider = factories.make_user(session, other, "staff")

    with pytest.raises(ActivityNotFoundError):
        services.get_activity(session, other.id, activity.id)
    with pytest.raises(ActivityNotFoundError):
        services.publish_activity(session, actor=outsider, community_id=other.id,
                                  activity_id=activity.id, now=NOW)


# --- cancelling ---------------------------------------------------------------------------

def test_cancelling_tells_everyone_signed_up_or_waiting_and_is_recorded(session, office):
    community, _, staff, hourly, _ = office
    activity = factories.make_activity(session, community, hourly, starts_at=TOMORROW_9,
                                       capacity=1, created_by=staff)
    first, second = (factories.make_resident(session, community, name=name)
                     for name in ("王秀英", "李大爷"))
    factories.make_signup(session, activity, first)
    factories.make_signup(session, activity, second, status="waitlisted")

    services.cancel_activity(session, actor=staff, community_id=community.id,
                             activity_id=activity.id, reason="暴雨", now=NOW)

    session.refresh(activity)
    assert activity.status == "cancelled" and activity.cancelled_at == NOW
    told = list(session.scalars(select(Notification).order_by(Notification.user_id)))
    assert {n.user_id for n in told} == {first.id, second.id}
    assert all(n.kind == "activity_cancelled" and "暴雨" in n.body for n in told)
    assert all(n.link == f"/activities/{activity.id}" for n in told)
    [event] = events(session, "activity.cancel")
    assert event.reason == "暴雨" and event.before["status"] == "published"
    assert event.after["status"] == "cancelled"
    # the sign-ups stay: the record of who had a place
    assert count(session, SignUp) == 2


def test_cancelling_a_draft_tells_nobody(session, office):
    community = office[0]
    activity = create(session, office)

    services.cancel_activity(session, actor=office[2], community_id=community.id,
                             activity_id=activity.id, now=NOW)

    assert count(session, Notification) == 0 and len(events(session, "activity.cancel")) == 1


@pytest.mark.parametrize("status", ["cancelled", "confirmed"])
def test_a_cancelled_or_confirmed_activity_cannot_be_cancelled(session, office, status):
    community, _, staff, hourly, _ = office
    activity = factories.make_activity(session, community, hourly, status=status,
                                       created_by=staff)
    factories.make_signup(session, activity, factories.make_resident(session, community))

    with pytest.raises(NotCancellableError):
        services.cancel_activity(session, actor=staff, community_id=community.id,
                                 activity_id=activity.id, now=NOW)
    assert count(session, Notification) == 0 and events(session, "activity.cancel") == []


# --- lists ----------------------------------------------------------------------------

def test_upcoming_and_past_lists_split_at_the_end_and_carry_counts(session, office):
    community, _, staff, hourly, _ = office
    past = factories.make_activity(session, community, hourly, created_by=staff,
                                   starts_at=NOW - timedelta(days=2), title="上周")
    running = factories.make_activity(session, community, hourly, created_by=staff,
                                      starts_at=NOW - timedelta(minutes=30), title="进行中")
    coming = factories.make_activity(session, community, hourly, created_by=staff, capacity=1,
                                     starts_at=NOW + timedelta(days=1), title="明天")
    factories.make_signup(session, coming, factories.make_resident(session, community))
    factories.make_signup(session, coming, factories.make_resident(session, community),
                          status="waitlisted")

    upcoming = services.list_activities(session, actor=staff, community_id=community.id, now=NOW)
    ended = services.list_activities(session, actor=staff, community_id=community.id, now=NOW,
                                     when="past")

    assert [row.activity.id for row in upcoming.rows] == [running.id, coming.id]
    assert [row.activity.id for row in ended.rows] == [past.id]
    counted = upcoming.rows[1]
    assert (counted.signed_up, counted.waitlisted, counted.places_left) == (1, 1, 0)


def test_sign_ups_of_an_activity_list_the_signed_up_first_then_the_waitlist_in_order(session,
                                                                                     office):
    community, _, staff, hourly, _ = office
    activity = factories.make_activity(session, community, hourly, created_by=staff, capacity=2)
    people = [factories.make_resident(session, community, name=f"居民{n}") for n in range(5)]
    factories.make_signup(session, activity, people[0], status="waitlisted")
    factories.make_signup(session, activity, people[1])
    factories.make_signup(session, activity, people[2], status="waitlisted")
    factories.make_signup(session, activity, people[3])
    withdrawn = factories.make_signup(session, activity, people[4])
    with factories.unit_of_work(session):
        session.get(SignUp, withdrawn.id).status = "cancelled"

    listed = services.signups_of(session, activity)

    assert [signup.user_id for signup in listed] == [people[1].id, people[3].id, people[0].id,
                                                     people[2].id]
    assert listed[0].user.name == "居民1"
