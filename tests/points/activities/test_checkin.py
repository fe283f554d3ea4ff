"""Check-in by member code (staff scan or type it) and by the activity's rotating QR
(the resident opens it): every rule and refusal, and that a refusal changes nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.activities import checkin, checkin_rules
from points.activities.checkin_errors import (
    ActivityConfirmedError, ActivityNotPublishedError, AlreadyCheckedInError,
    CheckinActivityCancelledError, CheckinClosedError, CheckinNotOpenError,
    MemberCardNotFoundError, MemberCodeCheckError, MemberCodeLengthError, NotAMemberCodeError,
    NotAVolunteerError, RotatingCodeExpiredError,
)
from points.activities.errors import ActivityNotFoundError
from points.activities.models import CheckIn
from points.codes import check_char, display
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.timeutil import utcnow
from tests import factories


@pytest.fixture
def place(db):
    """A community with an office worker, a published activity open for check-in, and a
    resident with a member card who signed up."""
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    activity = factories.make_activity(db.session, community, created_by=staff)
    resident = factories.make_resident(db.session, community, name="王秀英")
    factories.make_signup(db.session, activity, resident)
    card = checkin.card_of(db.session, resident, now=utcnow())
    return community, staff, activity, resident, card


def checkins(db):
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def notifications(db, user, kind="checked_in"):
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind))


def scan(db, place, text, now=None, activity=None, actor=None):
    community, staff, default_activity, _, _ = place
    return checkin.check_in_member(db.session, actor=actor or staff, community_id=community.id,
                                   activity_id=(activity or default_activity).id, scanned=text,
                                   now=now or utcnow())


def rotating(db, activity, person, now, token=None, seen_at=None):
    if token is None:
        token = checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                             checkin_rules.slot_of(now))
    return checkin.check_in_rotating(db.session, person=person, activity_id=activity.id,
                                     token=token, now=now, seen_at=seen_at)


# --- by member code -------------------------------------------------------------------

def test_staff_check_a_signed_up_resident_in_by_the_typed_code(db, place):
    _, staff, activity, resident, card = place

    result = scan(db, place, display(card.code).lower())

    assert result.person.id == resident.id and not result.walk_in
    assert (result.checkin.method, result.checkin.by_id) == ("member", staff.id)
    assert result.checkin.activity_id == activity.id
    assert checkins(db) == 1 and notifications(db, resident) == 1


def test_the_scanned_member_qr_text_checks_in_too(db, place):
    _, _, _, resident, card = place

    result = scan(db, place, checkin_rules.member_qr_text(card.code))

    assert result.person.id == resident.id


def test_someone_who_did_not_sign_up_is_checked_in_as_a_walk_in(db, place):
    community = place[0]
    neighbour = factories.make_resident(db.session, community, name="李建华")

    result = scan(db, place, checkin.card_of(db.session, neighbour, now=utcnow()).code)

    assert result.walk_in and result.person.id == neighbour.id


def test_a_waitlisted_person_counts_as_not_signed_up(db, place):
    community, _, activity, _, _ = place
    waiting = factories.make_resident(db.session, community, name="候补人")
    factories.make_signup(db.session, activity, waiting, status="waitlisted")

    assert scan(db, place, checkin.card_of(db.session, waiting, now=utcnow()).code).walk_in


def test_a_second_check_in_is_refused_and_changes_nothing(db, place):
    _, _, _, resident, card = place
    scan(db, place, card.code)

    with pytest.raises(AlreadyCheckedInError) as refused:
        scan(db, place, checkin_rules.member_qr_text(card.code))

    assert refused.value.person.id == resident.id
    assert checkins(db) == 1 and notifications(db, resident) == 1


@pytest.mark.parametrize("text, error", [
    ("K7QM2XHD4", MemberCodeCheckError),      # one character off: the check fails
    ("K7QM-2XHD", MemberCodeLengthError),
    ("K7QM2XHD55", MemberCodeLengthError),
    ("http://shop/v/abc.def", NotAMemberCodeError),  # a voucher's QR
    ("王秀英", NotAMemberCodeError),
    ("", NotAMemberCodeError),
])
def test_a_code_that_cannot_be_a_member_code_is_refused_before_any_lookup(db, place, text, error):
    community, staff, _, _, _ = place

    # An activity id that exists nowhere: the code is refused before it is looked up.
    with pytest.raises(error):
        checkin.check_in_member(db.session, actor=staff, community_id=community.id,
                                activity_id=999999, scanned=text, now=utcnow())

    assert checkins(db) == 0


def test_a_mistyped_check_character_of_a_real_card_is_caught(db, place):
    card = place[4]
    wrong = card.code[:-1] + ("0" if card.code[-1] != "0" else "1")

    with pytest.raises(MemberCodeCheckError):
        scan(db, place, wrong)
    assert checkins(db) == 0


def test_an_unknown_or_other_communitys_code_is_not_found(db, place):
    other = factories.make_community(db.session, name="别的社区")
    stranger = factories.make_resident(db.session, other, name="外人")
    stranger_code = checkin.card_of(db.session, stranger, now=utcnow()).code
    unknown = "ABCDEFGH" + check_char("ABCDEFGH")

    for code in (stranger_code, unknown):
        with pytest.raises(MemberCardNotFoundError):
            scan(db, place, code)
    assert checkins(db) == 0


def test_a_deactivated_persons_card_no_longer_works(db, place):
    _, _, _, resident, card = place
    from points.extensions import unit_of_work
    with unit_of_work(db.session):
        db.session.merge(resident).active = False

    with pytest.raises(MemberCardNotFoundError):
        scan(db, place, card.code)


@pytest.mark.parametrize("when, error", [
    (lambda a: a.checkin_opens_at - timedelta(seconds=1), CheckinNotOpenError),
    (lambda a: a.checkin_closes_at, CheckinClosedError),
    (lambda a: a.checkin_closes_at + timedelta(hours=5), CheckinClosedError),
])
def test_check_in_outside_the_window_is_refused(db, place, when, error):
    activity, card = place[2], place[4]

    with pytest.raises(error) as refused:
        scan(db, place, card.code, now=when(activity))

    assert refused.value.params  # the message names the time
    assert checkins(db) == 0


def test_the_window_edges_are_inclusive_at_the_opening(db, place):
    activity, card = place[2], place[4]

    assert scan(db, place, card.code, now=activity.checkin_opens_at).checkin


@pytest.mark.parametrize("status, error", [
    ("draft", ActivityNotPublishedError),
    ("cancelled", CheckinActivityCancelledError),
    ("confirmed", ActivityConfirmedError),
])
def test_only_a_published_unconfirmed_activity_takes_check_ins(db, place, status, error):
    community, staff, _, _, card = place
    activity = factories.make_activity(db.session, community, created_by=staff, status=status)

    with pytest.raises(error):
        scan(db, place, card.code, activity=activity)
    assert checkins(db) == 0


def test_another_communitys_activity_is_not_found(db, place):
    other = factories.make_community(db.session, name="别的社区")
    elsewhere = factories.make_activity(db.session, other)

    with pytest.raises(ActivityNotFoundError):
        scan(db, place, place[4].code, activity=elsewhere)


def test_a_grid_worker_checks_in_at_community_wide_and_own_grid_activities_only(db, place):
    community, staff, _, _, card = place
    own = factories.make_grid(db.session, community)
    other = factories.make_grid(db.session, community)
    worker = factories.make_user(db.session, community, "grid_worker", grids=[own])
    theirs = factories.make_activity(db.session, community, created_by=staff, grid_id=other.id)

    with pytest.raises(ActivityNotFoundError):
        scan(db, place, card.code, activity=theirs, actor=worker)
    assert scan(db, place, card.code, actor=worker).checkin.by_id == worker.id


def test_a_resident_cannot_check_others_in(db, place):
    community, _, _, _, card = place
    other = factories.make_resident(db.session, community)

    with pytest.raises(ForbiddenError):
        scan(db, place, card.code, actor=other)
    assert checkins(db) == 0


# --- by the rotating QR ---------------------------------------------------------------

def test_opening_the_current_rotating_code_checks_the_resident_in(db, place):
    _, _, activity, resident, _ = place

    result = rotating(db, activity, resident, utcnow())

    assert (result.checkin.method, result.checkin.by_id) == ("rotating", None)
    assert notifications(db, resident) == 1


def test_the_previous_slots_code_is_accepted_for_the_grace_seconds_only(db, place):
    _, _, activity, resident, _ = place
    slot = checkin_rules.slot_of(utcnow())
    token = checkin_rules.rotating_token(activity.rotation_secret, activity.id, slot)
    next_slot_starts = checkin_rules.slot_start(slot + 1)

    late = next_slot_starts + timedelta(seconds=checkin_rules.GRACE_SECONDS)
    with pytest.raises(RotatingCodeExpiredError):
        rotating(db, activity, resident, late, token=token)
    in_grace = late - timedelta(milliseconds=1)
    assert rotating(db, activity, resident, in_grace, token=token).checkin


def test_a_forwarded_photo_of_the_code_is_useless_half_a_minute_later(db, place):
    community, _, activity, resident, _ = place
    friend = factories.make_resident(db.session, community, name="朋友")
    shown_at = utcnow()
    token = checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                         checkin_rules.slot_of(shown_at))
    rotating(db, activity, resident, shown_at, token=token)

    with pytest.raises(RotatingCodeExpiredError):
        rotating(db, activity, friend, shown_at + timedelta(seconds=36), token=token)
    assert checkins(db) == 1


@pytest.mark.parametrize("token", [
    "", "abc", "123-xyz", "99999999999999999-" + "0" * 20,
])
def test_a_malformed_token_is_refused(db, place, token):
    _, _, activity, resident, _ = place

    with pytest.raises(RotatingCodeExpiredError):
        rotating(db, activity, resident, utcnow(), token=token)
    assert checkins(db) == 0


def test_a_code_of_another_activity_or_a_future_slot_is_refused(db, place):
    community, staff, activity, resident, _ = place
    other = factories.make_activity(db.session, community, created_by=staff, title="别的活动")
    now = utcnow()
    slot = checkin_rules.slot_of(now)

    for token in (checkin_rules.rotating_token(other.rotation_secret, other.id, slot),
                  checkin_rules.rotating_token(activity.rotation_secret, other.id, slot),
                  checkin_rules.rotating_token(activity.rotation_secret, activity.id, slot + 1)):
        with pytest.raises(RotatingCodeExpiredError):
            rotating(db, activity, resident, now, token=token)
    assert checkins(db) == 0


def test_the_rotating_code_also_keeps_to_the_window_and_to_once(db, place):
    _, _, activity, resident, _ = place
    early = activity.checkin_opens_at - timedelta(minutes=1)

    with pytest.raises(CheckinNotOpenError):
        rotating(db, activity, resident, early)
    rotating(db, activity, resident, utcnow())
    with pytest.raises(AlreadyCheckedInError):
        rotating(db, activity, resident, utcnow())
    assert checkins(db) == 1


def test_staff_cannot_check_themselves_in_with_the_rotating_code(db, place):
    _, staff, activity, _, _ = place

    with pytest.raises(NotAVolunteerError):
        rotating(db, activity, staff, utcnow())


def test_a_resident_of_another_community_cannot_use_the_code(db, place):
    activity = place[2]
    other = factories.make_community(db.session, name="别的社区")
    stranger = factories.make_resident(db.session, other)

    with pytest.raises(ActivityNotFoundError):
        rotating(db, activity, stranger, utcnow())


def test_a_code_seen_before_signing_in_counts_for_ten_minutes(db, place):
    community, _, activity, resident, _ = place
    seen_at = utcnow() - timedelta(minutes=3)
    token = checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                         checkin_rules.slot_of(seen_at))

    assert rotating(db, activity, resident, utcnow(), token=token, seen_at=seen_at).checkin
    slow = factories.make_resident(db.session, community, name="慢慢")
    with pytest.raises(RotatingCodeExpiredError):
        rotating(db, activity, slow, seen_at + checkin_rules.SIGN_IN_GRACE + timedelta(seconds=1),
                 token=token, seen_at=seen_at)


def test_verify_scan_checks_the_code_without_writing(db, place):
    activity = place[2]
    now = utcnow()
    token = checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                         checkin_rules.slot_of(now))

    found = checkin.verify_scan(db.session, activity_id=activity.id, token=token, now=now)
    assert found.id == activity.id
    with pytest.raises(RotatingCodeExpiredError):
        checkin.verify_scan(db.session, activity_id=activity.id, token=token,
                            now=now + timedelta(seconds=40))
    with pytest.raises(ActivityNotFoundError):
        checkin.verify_scan(db.session, activity_id=999999, token=token, now=now)
    assert checkins(db) == 0
