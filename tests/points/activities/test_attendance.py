"""Attendance → credit: staff confirm once after the start; each attendee is credited
exactly once, cut by the type's caps; every refusal changes nothing."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from points import wallets
from points.activities import attendance, checkin
from points.activities.checkin_errors import (
    ActivityConfirmedError, ActivityNotStartedError, DuplicateAttendeeError, NotOnTheListError,
)
from points.activities.errors import HoursError
from points.activities.models import CheckIn
from points.audit.models import AuditEvent
from points.earning.models import Credit
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.timeutil import LOCAL, utcnow
from tests import factories
from tests.races import race


@pytest.fixture
def event(db):
    """环境卫生 at 10 points an hour (day cap 40): a two-hour activity that started ten
    minutes ago; 王秀英 signed up and checked in, 李建华 signed up and did not come,
    赵大爷 walked in and was checked in."""
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    kind = factories.make_activity_type(db.session, community, unit="hour", points="10",
                                        daily_cap="40", monthly_cap="300")
    activity = factories.make_activity(db.session, community, kind, created_by=staff)
    people = {name: factories.make_resident(db.session, community, name=name)
              for name in ("王秀英", "李建华", "赵大爷")}
    for name in ("王秀英", "李建华"):
        factories.make_signup(db.session, activity, people[name])
    for name in ("王秀英", "赵大爷"):
        card = checkin.card_of(db.session, people[name], now=utcnow())
        checkin.check_in_member(db.session, actor=staff, community_id=community.id,
                                activity_id=activity.id, scanned=card.code, now=utcnow())
    return community, staff, activity, people


def confirm(db, event, attendees, now=None, actor=None):
    community, staff, activity, _ = event
    return attendance.confirm_attendance(db.session, actor=actor or staff,
                                         community_id=community.id, activity_id=activity.id,
                                         attendees=attendees, now=now or utcnow())


def balance(db, user):
    return wallets.wallet_balance(db.session, user).balance


def credits(db):
    return db.session.scalar(select(func.count()).select_from(Credit))


def nothing_moved(db, event):
    _, _, activity, people = event
    db.session.expire_all()
    assert credits(db) == 0
    assert all(balance(db, person) == 0 for person in people.values())
    assert activity.status == "published"
    assert verify(db.session) == []


def test_the_sheet_ticks_the_checked_in_and_lists_the_signed_up_who_did_not_come(db, event):
    community, staff, activity, people = event

    sheet = attendance.attendance_sheet(db.session, actor=staff, community_id=community.id,
                                        activity_id=activity.id)

    assert [(row.person.name, row.present, row.walk_in) for row in sheet.rows] == [
        ("王秀英", True, False), ("赵大爷", True, True), ("李建华", False, False)]
    assert sheet.per_hour and all(row.hours == Decimal("2") for row in sheet.rows)


def test_confirming_credits_each_attendee_once_by_the_rule(db, event):
    _, staff, activity, people = event
    wang, zhao = people["王秀英"], people["赵大爷"]

    done = confirm(db, event, [{"user_id": wang.id}, {"user_id": zhao.id, "hours": "1.5"}])

    assert [(line.person.name, line.hours, line.granted) for line in done.lines] == [
        ("王秀英", Decimal("2"), Decimal("20")), ("赵大爷", Decimal("1.5"), Decimal("15"))]
    assert (balance(db, wang), balance(db, zhao), balance(db, people["李建华"])) == (20, 15, 0)
    assert activity.status == "confirmed" and activity.confirmed_by_id == staff.id
    credit = db.session.scalar(select(Credit).where(Credit.user_id == wang.id))
    assert (credit.source, credit.source_id, credit.approved_by_id) == (
        "activity", activity.id, staff.id)
    assert credit.work_day == attendance.rules.work_day(activity)
    assert verify(db.session) == []


def test_attendees_are_told_the_points_they_got(db, event):
    wang = event[3]["王秀英"]

    confirm(db, event, [{"user_id": wang.id}])

    note = db.session.scalar(select(Notification).where(Notification.user_id == wang.id,
                                                        Notification.kind == "credited"))
    assert "获得 20 积分" in note.body and event[2].title in note.body


def test_the_confirmation_is_in_the_audit_log_with_the_list(db, event):
    _, staff, activity, people = event
    wang, zhao = people["王秀英"], people["赵大爷"]

    confirm(db, event, [{"user_id": wang.id}])

    record = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity.confirm"))
    assert (record.actor_id, record.object_type, record.object_id) == (
        staff.id, "activity", activity.id)
    assert record.before == {"status": "published"}
    assert record.after["status"] == "confirmed" and record.after["count"] == 1
    assert record.after["attendees"] == f"王秀英#{wang.id} 2h +20"
    assert record.after["excluded"] == f"赵大爷#{zhao.id}"  # checked in, unticked


def test_a_signed_up_person_ticked_by_staff_is_marked_present_and_credited(db, event):
    _, staff, activity, people = event
    li = people["李建华"]

    confirm(db, event, [{"user_id": li.id}])

    mark = db.session.scalar(select(CheckIn).where(CheckIn.user_id == li.id))
    assert (mark.method, mark.by_id) == ("staff", staff.id)
    assert balance(db, li) == 20


def one_day(db, event, hour, title):
    """An activity of the event's type on 20 Nov 2026 at ``hour`` (local), all three
    people signed up."""
    community, staff, activity, people = event
    starts_at = datetime(2026, 11, 20, hour, tzinfo=LOCAL).astimezone(timezone.utc)
    day = factories.make_activity(db.session, community, activity.activity_type,
                                  created_by=staff, starts_at=starts_at, title=title)
    for person in people.values():
        factories.make_signup(db.session, day, person)
    return day


def confirm_day(db, event, day, attendees):
    community, staff, _, _ = event
    evening = datetime(2026, 11, 20, 20, tzinfo=LOCAL).astimezone(timezone.utc)
    return attendance.confirm_attendance(db.session, actor=staff, community_id=community.id,
                                         activity_id=day.id, attendees=attendees, now=evening)


def test_the_caps_cut_the_credit_and_say_by_how_much(db, event):
    wang, zhao = event[3]["王秀英"], event[3]["赵大爷"]
    morning, afternoon = one_day(db, event, 9, "上午场"), one_day(db, event, 14, "下午场")
    confirm_day(db, event, morning, [{"user_id": wang.id, "hours": "3"}])  # 30 of the day's 40

    done = confirm_day(db, event, afternoon, [{"user_id": wang.id},
                                              {"user_id": zhao.id, "hours": "5"}])

    by_name = {line.person.name: line for line in done.lines}
    assert (by_name["王秀英"].asked, by_name["王秀英"].granted, by_name["王秀英"].cut_by) == (20, 10, 10)
    assert (by_name["赵大爷"].asked, by_name["赵大爷"].granted, by_name["赵大爷"].cut_by) == (50, 40, 10)
    assert all(line.cut_by_cap for line in done.lines)
    assert balance(db, wang) == 40 and balance(db, zhao) == 40
    note = db.session.scalars(select(Notification).where(
        Notification.user_id == zhao.id, Notification.kind == "credited")).one()
    assert "获得 40 积分" in note.body and "少记了 10 分" in note.body
    assert verify(db.session) == []


def test_an_attendee_with_no_room_left_gets_nothing_and_is_told_so(db, event):
    wang = event[3]["王秀英"]
    morning, afternoon = one_day(db, event, 9, "上午场"), one_day(db, event, 14, "下午场")
    confirm_day(db, event, morning, [{"user_id": wang.id, "hours": "4"}])  # the day's 40

    done = confirm_day(db, event, afternoon, [{"user_id": wang.id}])

    line = done.lines[0]
    assert (line.credit, line.granted, line.cut_by, line.cut_by_cap) == (None, 0, 20, True)
    assert balance(db, wang) == 40 and credits(db) == 1
    note = db.session.scalars(select(Notification).where(
        Notification.user_id == wang.id, Notification.kind == "credited")
        .order_by(Notification.id.desc())).first()
    assert "这次没有记积分" in note.body
    assert afternoon.status == "confirmed"


def test_a_second_confirmation_is_refused_and_credits_nothing_more(db, event):
    wang = event[3]["王秀英"]
    confirm(db, event, [{"user_id": wang.id}])

    with pytest.raises(ActivityConfirmedError):
        confirm(db, event, [{"user_id": wang.id}, {"user_id": event[3]["赵大爷"].id}])

    assert credits(db) == 1 and balance(db, wang) == 20
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "activity.confirm")) == 1


def test_a_per_participation_activity_credits_its_points_and_ignores_hours(db, event):
    community, staff, _, people = event
    kind = factories.make_activity_type(db.session, community, unit="participation", points="20")
    talk = factories.make_activity(db.session, community, kind, created_by=staff, points="25")
    wang = people["王秀英"]
    factories.make_signup(db.session, talk, wang)

    done = attendance.confirm_attendance(db.session, actor=staff, community_id=community.id,
                                         activity_id=talk.id,
                                         attendees=[{"user_id": wang.id, "hours": "9"}],
                                         now=utcnow())

    assert (done.lines[0].hours, done.lines[0].granted) == (None, Decimal("25"))


def test_confirming_nobody_confirms_the_activity_and_credits_nothing(db, event):
    done = confirm(db, event, [])

    assert done.lines == [] and event[2].status == "confirmed" and credits(db) == 0


def test_attendance_cannot_be_confirmed_before_the_start(db, event):
    activity, wang = event[2], event[3]["王秀英"]

    with pytest.raises(ActivityNotStartedError):
        confirm(db, event, [{"user_id": wang.id}], now=activity.starts_at - timedelta(seconds=1))
    nothing_moved(db, event)


@pytest.mark.parametrize("attendees, error", [
    (lambda p, stranger: [{"user_id": stranger.id}], NotOnTheListError),
    (lambda p, stranger: [{"user_id": 999999}], NotOnTheListError),
    (lambda p, stranger: [{"user_id": p["王秀英"].id}, {"user_id": p["王秀英"].id}],
     DuplicateAttendeeError),
    (lambda p, stranger: [{"user_id": p["王秀英"].id}, {"user_id": p["赵大爷"].id, "hours": "0"}],
     HoursError),
    (lambda p, stranger: [{"user_id": p["王秀英"].id, "hours": "25"}], HoursError),
    (lambda p, stranger: [{"user_id": p["王秀英"].id, "hours": "1.255"}], HoursError),
    (lambda p, stranger: [{"user_id": p["王秀英"].id, "hours": "两小时"}], HoursError),
])
def test_a_bad_list_is_refused_and_moves_nothing(db, event, attendees, error):
    community, _, _, people = event
    stranger = factories.make_resident(db.session, community, name="路人")

    with pytest.raises(error):
        confirm(db, event, attendees(people, stranger))
    nothing_moved(db, event)


def test_no_one_is_checked_in_or_added_after_the_confirmation(db, event):
    community, staff, activity, people = event
    confirm(db, event, [{"user_id": people["王秀英"].id}])
    late = factories.make_resident(db.session, community, name="迟到")
    code = checkin.card_of(db.session, late, now=utcnow()).code

    with pytest.raises(ActivityConfirmedError):
        checkin.check_in_member(db.session, actor=staff, community_id=community.id,
                                activity_id=activity.id, scanned=code, now=utcnow())
    with pytest.raises(ActivityConfirmedError):
        attendance.add_attendee(db.session, actor=staff, community_id=community.id,
                                activity_id=activity.id, scanned=code, now=utcnow())


def test_staff_add_someone_by_member_code_after_the_window_closed(db, event):
    community, staff, activity, _ = event
    helper = factories.make_resident(db.session, community, name="帮忙的")
    code = checkin.card_of(db.session, helper, now=utcnow()).code

    result = attendance.add_attendee(db.session, actor=staff, community_id=community.id,
                                     activity_id=activity.id, scanned=code,
                                     now=activity.checkin_closes_at + timedelta(hours=1))

    assert (result.checkin.method, result.walk_in) == ("staff", True)
    with pytest.raises(ActivityNotStartedError):
        attendance.add_attendee(db.session, actor=staff, community_id=community.id,
                                activity_id=activity.id, scanned=code,
                                now=activity.starts_at - timedelta(minutes=1))


def test_a_grid_worker_may_not_confirm_a_community_wide_activity(db, event):
    community, _, _, people = event
    worker = factories.make_user(db.session, community, "grid_worker",
                                 grids=[factories.make_grid(db.session, community)])

    with pytest.raises(ForbiddenError):
        confirm(db, event, [{"user_id": people["王秀英"].id}], actor=worker)
    nothing_moved(db, event)


@pytest.mark.slow
def test_racing_confirmations_credit_each_attendee_exactly_once(engine, session):
    """Two staff members (or one double click) confirm at the same moment, each in its
    own transaction: one wins, the other is refused, and the ledger still verifies."""
    community = factories.make_community(session)
    staff = factories.make_user(session, community, "staff")
    activity = factories.make_activity(session, community, created_by=staff)
    people = [factories.make_resident(session, community, name=f"居民{n}") for n in range(6)]
    for person in people:
        factories.make_signup(session, activity, person)
    attendees = [{"user_id": person.id} for person in people]

    def confirm(own):
        actor = own.get(type(staff), staff.id)
        return attendance.confirm_attendance(
            own, actor=actor, community_id=community.id, activity_id=activity.id,
            attendees=attendees, now=utcnow())

    outcomes = race(engine, [confirm, confirm])

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ActivityConfirmedError), outcomes
    session.rollback()  # end the read snapshot taken before the race (SQLite WAL)
    counts = dict(session.execute(select(Credit.user_id, func.count())
                                  .group_by(Credit.user_id)).all())
    assert counts == {person.id: 1 for person in people}
    assert all(wallets.wallet_balance(session, p).balance == Decimal("20") for p in people)
    assert verify(session) == []
