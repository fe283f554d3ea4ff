"""Activity types: office staff create, change (new credits only), stop and restart them,
each recorded in the audit log with before and after; a new community starts with the
programmes' usual types."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from points.audit.models import AuditEvent
from points.earning import services
from points.earning.errors import (ActivityTypeNameTakenError, ActivityTypeNotFoundError,
                                   DailyAboveMonthlyError, TypeNameMissingError,
                                   UnknownCategoryError)
from points.earning.models import ActivityType
from points.errors import ForbiddenError
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    admin = factories.make_user(db.session, community, "admin", name="陈主任")
    return community, admin


def rule(**overrides):
    values = dict(name="楼道清扫", category="environment", unit="hour", points=Decimal("10"),
                  daily_cap=Decimal("40"), monthly_cap=Decimal("300"), photo_required=True,
                  location_required=False, second_approval_above=Decimal("100"))
    return {**values, **overrides}


def save(db, office, actor=None, type_id=None, **overrides):
    community, admin = office
    return services.save_type(db.session, actor=actor or admin, community_id=community.id,
                              values=rule(**overrides), type_id=type_id, now=NOW)


def events(db, action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def count_types(db):
    return db.session.scalar(select(func.count()).select_from(ActivityType))


def test_creating_a_type_is_recorded_with_its_rule(db, office):
    community, admin = office

    created = save(db, office, name="  楼道  清扫 ")

    assert (created.name, created.community_id, created.created_at) == (
        "楼道 清扫", community.id, NOW)
    [event] = events(db)
    assert (event.action, event.actor_id, event.object_type, event.object_id, event.before) == (
        "activity_type.create", admin.id, "activity_type", created.id, None)
    assert event.after["points"] == "10" and event.after["daily_cap"] == "40"
    assert event.after["photo_required"] is True


def test_changing_a_type_records_before_and_after(db, office):
    created = save(db, office)

    save(db, office, type_id=created.id, points=Decimal("12"), monthly_cap=None)

    event = events(db, "activity_type.save")[0]
    assert (event.before["points"], event.after["points"]) == ("10", "12")
    assert (event.before["monthly_cap"], event.after["monthly_cap"]) == ("300", None)
    assert db.session.get(ActivityType, created.id).updated_at is not None


@pytest.mark.parametrize("overrides, error", [
    ({"daily_cap": Decimal("500")}, DailyAboveMonthlyError),
    ({"name": "  "}, TypeNameMissingError),
    ({"category": "parking"}, UnknownCategoryError),
])
def test_an_unsound_rule_is_refused_and_nothing_is_saved(db, office, overrides, error):
    with pytest.raises(error):
        save(db, office, **overrides)

    assert count_types(db) == 0 and events(db) == []


def test_an_unsound_change_leaves_the_type_as_it_was(db, office):
    created = save(db, office)

    with pytest.raises(DailyAboveMonthlyError):
        save(db, office, type_id=created.id, daily_cap=Decimal("400"))

    db.session.expire_all()
    assert db.session.get(ActivityType, created.id).daily_cap == Decimal("40")
    assert len(events(db)) == 1


def test_a_name_already_taken_in_the_community_is_refused(db, office):
    save(db, office)

    with pytest.raises(ActivityTypeNameTakenError) as refused:
        save(db, office, points=Decimal("5"))

    assert refused.value.params == {"name": "楼道清扫"}
    assert count_types(db) == 1 and len(events(db)) == 1


def test_another_community_may_use_the_same_name(db, office):
    save(db, office)
    other = factories.make_community(db.session, name="城口社区")
    other_admin = factories.make_user(db.session, other, "admin")

    services.save_type(db.session, actor=other_admin, community_id=other.id, values=rule(),
                       now=NOW)

    assert count_types(db) == 2


@pytest.mark.parametrize("role", ["grid_worker", "resident"])
def test_only_office_staff_set_rules(db, office, role):
    community, _ = office
    someone = factories.make_user(db.session, community, role)

    with pytest.raises(ForbiddenError):
        save(db, office, actor=someone)

    assert count_types(db) == 0


def test_staff_of_another_community_cannot_change_its_types(db, office):
    created = save(db, office)
    other = factories.make_community(db.session, name="城口社区")
    stranger = factories.make_user(db.session, other, "admin")

    with pytest.raises(ForbiddenError):
        save(db, office, actor=stranger, type_id=created.id, points=Decimal("99"))
    with pytest.raises(ActivityTypeNotFoundError):
        services.save_type(db.session, actor=stranger, community_id=other.id,
                           values=rule(points=Decimal("99")), type_id=created.id, now=NOW)

    db.session.expire_all()
    assert db.session.get(ActivityType, created.id).points == Decimal("10")


def test_stopping_and_restarting_a_type_is_recorded_once_each(db, office):
    community, admin = office
    created = save(db, office)

    def set_active(active):
        return services.set_type_active(db.session, actor=admin, community_id=community.id,
                                        type_id=created.id, active=active, now=NOW)

    assert set_active(False).active is False
    set_active(False)  # already stopped: nothing to record
    assert set_active(True).active is True

    assert [event.action for event in events(db)] == [
        "activity_type.create", "activity_type.deactivate", "activity_type.activate"]
    stopped = events(db, "activity_type.deactivate")[0]
    assert (stopped.before["active"], stopped.after["active"]) == (True, False)


def test_stopped_types_are_not_offered_but_still_listed_for_the_office(db, office):
    community, admin = office
    created = save(db, office)
    services.set_type_active(db.session, actor=admin, community_id=community.id,
                             type_id=created.id, active=False, now=NOW)

    assert services.list_types(db.session, community.id) == []
    assert services.types_for_page(db.session, community_id=community.id, now=NOW) == [created]


def test_a_community_without_types_starts_with_the_usual_ones_once(db, office):
    community, _ = office

    first = services.types_for_page(db.session, community_id=community.id, now=NOW)
    again = services.types_for_page(db.session, community_id=community.id, now=NOW)

    assert [t.name for t in first] == [row[0] for row in services.DEFAULT_TYPES]
    assert [t.id for t in again] == [t.id for t in first]
    cleaning = first[0]
    assert (cleaning.unit, cleaning.points, cleaning.daily_cap, cleaning.monthly_cap,
            cleaning.photo_required, cleaning.second_approval_above) == (
        "hour", Decimal("10"), Decimal("40"), Decimal("300"), True, Decimal("100"))


def test_a_community_with_its_own_types_gets_no_defaults(db, office):
    community, _ = office
    save(db, office)

    assert [t.name for t in services.types_for_page(db.session, community_id=community.id,
                                                    now=NOW)] == ["楼道清扫"]
