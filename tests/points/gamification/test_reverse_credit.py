"""``reverse_credit``: office staff of the community take a credit back with a reason; the
points leave the wallet, the credit is marked, and the person's level, badges, streak and
months are recomputed at once. Twice, spent points, anyone else or no reason: refused,
and nothing moves."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.errors import ReasonRequiredError
from ledger.models import Transfer
from ledger.verify import verify
from points.audit.models import AuditEvent
from points.earning.errors import CreditNotFoundError, CreditReversedError, CreditSpentError
from points.earning.models import Credit
from points.errors import ForbiddenError
from points.gamification import services
from points.gamification.models import MonthlyTally, Standing
from points.notifications.models import Notification
from tests import factories
from tests.points.gamification.progress_setting import (NOW, awards, badge_notices, balance, count,
                                                        credit, make_setting, reverse, snapshot,
                                                        standing_awards)

LATER = NOW + timedelta(days=2)


@pytest.fixture
def setting(db):
    return make_setting(db.session)


def fresh(db, model, key):
    return db.session.get(model, key, populate_existing=True)


def level(db, user, now=LATER):
    return services.progress_of(db.session, user, now).level


def test_a_reversal_takes_the_points_back_and_marks_the_credit(db, setting):
    kept = credit(db.session, setting.resident, "40", activity_type=setting.cleaning)
    mistaken = credit(db.session, setting.resident, "70", activity_type=setting.cleaning)

    reversed_ = reverse(db.session, setting.staff, mistaken.id, reason="  当天没有参加  ", now=LATER)

    assert reversed_.id == mistaken.id
    row = fresh(db, Credit, mistaken.id)
    assert (row.reversed, row.reversed_at, row.reversed_by_id, row.reversal_reason) == (
        True, LATER, setting.staff.id, "当天没有参加")
    back = db.session.get(Transfer, row.reversal_id)
    assert (back.kind, back.amount, back.reverses_id, back.actor_id) == (
        "reverse", Decimal(70), row.transfer_id, setting.staff.id)
    assert balance(db.session, setting.resident) == Decimal(40)
    assert fresh(db, Credit, kept.id).reversed_at is None
    assert verify(db.session) == []


def test_the_level_and_the_standing_drop_with_the_reversed_credit(db, setting):
    credit(db.session, setting.resident, "60", day=date(2026, 10, 5), activity_type=setting.cleaning)
    mistaken = credit(db.session, setting.resident, "50", activity_type=setting.cleaning)
    assert level(db, setting.resident).number == 2

    reverse(db.session, setting.staff, mistaken.id, now=LATER)

    assert (level(db, setting.resident).number, level(db, setting.resident).name) == (1, "志愿新星")
    found = fresh(db, Standing, setting.resident.id)
    assert (found.points, found.credits, found.last_month, found.current_streak) == (
        Decimal(60), 1, "2026-10", 1)
    months = db.session.scalars(select(MonthlyTally.month).where(
        MonthlyTally.user_id == setting.resident.id)).all()
    assert months == ["2026-10"]  # the month of the reversed credit holds nothing any more


def test_a_badge_that_depended_on_the_credit_is_revoked(db, setting):
    only = credit(db.session, setting.resident, activity_type=setting.cleaning)
    assert standing_awards(db.session, setting.resident) == ["first_activity"]

    reverse(db.session, setting.staff, only.id, now=LATER)

    award = awards(db.session, setting.resident)["first_activity"]
    assert award.revoked_at == LATER
    assert standing_awards(db.session, setting.resident) == []
    assert services.progress_of(db.session, setting.resident, LATER).earned == []


def test_earning_the_badge_again_restores_the_same_award_with_a_new_date(db, setting):
    only = credit(db.session, setting.resident, activity_type=setting.cleaning)
    before = awards(db.session, setting.resident)["first_activity"]
    award_id = before.id
    reverse(db.session, setting.staff, only.id, now=LATER)
    again_at = LATER + timedelta(days=1)

    again = credit(db.session, setting.resident, activity_type=setting.cleaning, now=again_at)

    [award] = awards(db.session, setting.resident).values()
    assert (award.id, award.badge, award.awarded_at, award.revoked_at, award.credit_id) == (
        award_id, "first_activity", again_at, None, again.id)
    assert badge_notices(db.session, setting.resident) == 2  # earned, then earned again


def test_a_badge_that_still_stands_names_the_credit_that_now_crosses_its_line(db, setting):
    first = credit(db.session, setting.resident, day=date(2026, 11, 1), activity_type=setting.cleaning)
    second = credit(db.session, setting.resident, day=date(2026, 11, 2), activity_type=setting.cleaning)

    reverse(db.session, setting.staff, first.id, now=LATER)

    award = awards(db.session, setting.resident)["first_activity"]
    assert (award.revoked_at, award.credit_id, award.awarded_at) == (None, second.id, NOW)
    assert badge_notices(db.session, setting.resident) == 1


def test_the_streak_badge_goes_when_a_month_of_the_run_is_reversed(db, setting):
    credit(db.session, setting.resident, day=date(2026, 8, 3), activity_type=setting.cleaning)
    middle = credit(db.session, setting.resident, day=date(2026, 9, 3), activity_type=setting.cleaning)
    credit(db.session, setting.resident, day=date(2026, 10, 3), activity_type=setting.cleaning)
    assert "streak_3" in standing_awards(db.session, setting.resident)

    reverse(db.session, setting.staff, middle.id, now=LATER)

    assert "streak_3" not in standing_awards(db.session, setting.resident)
    found = fresh(db, Standing, setting.resident.id)
    assert (found.current_streak, found.best_streak) == (1, 1)


def test_the_person_is_told_and_the_audit_log_keeps_who_and_why(db, setting):
    mistaken = credit(db.session, setting.resident, "30", activity_type=setting.cleaning)

    reverse(db.session, setting.staff, mistaken.id, reason="照片是别人的", now=LATER)

    notice = db.session.scalar(select(Notification).where(Notification.kind == "credit_reversed"))
    assert (notice.user_id, notice.title, notice.link) == (
        setting.resident.id, "积分被撤销", "/me/statement")
    assert "照片是别人的" in notice.body and "30" in notice.body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credit.reverse"))
    assert (event.actor_id, event.object_type, event.object_id, event.community_id) == (
        setting.staff.id, "credit", mistaken.id, setting.community.id)
    assert (event.before, event.after["points"], event.reason) == (
        {"points": "30"}, "0", "照片是别人的")


def test_reversing_twice_is_refused_and_moves_nothing(db, setting):
    mistaken = credit(db.session, setting.resident, "30", activity_type=setting.cleaning)
    reverse(db.session, setting.staff, mistaken.id, now=LATER)
    before = snapshot(db.session)

    with pytest.raises(CreditReversedError):
        reverse(db.session, setting.staff, mistaken.id, now=LATER + timedelta(hours=1))

    assert snapshot(db.session) == before
    assert fresh(db, Credit, mistaken.id).reversed_at == LATER
    assert balance(db.session, setting.resident) == 0


def test_points_already_spent_cannot_be_taken_back_and_nothing_moves(db, setting):
    mistaken = credit(db.session, setting.resident, "100", activity_type=setting.cleaning)
    shop = factories.make_merchant(db.session, setting.community)
    factories.make_redemption(db.session, setting.resident, shop, "60", NOW)
    before = snapshot(db.session)

    with pytest.raises(CreditSpentError) as refused:
        reverse(db.session, setting.staff, mistaken.id, now=LATER)

    assert refused.value.code == "insufficient_points"
    assert snapshot(db.session) == before
    assert fresh(db, Credit, mistaken.id).reversed_at is None
    assert balance(db.session, setting.resident) == Decimal(40)
    assert (level(db, setting.resident).number, standing_awards(db.session, setting.resident)) == (
        2, ["first_activity"])


@pytest.mark.parametrize("who", ["worker", "resident", "far_staff"])
def test_only_office_staff_of_the_community_may_reverse(db, setting, who):
    mistaken = credit(db.session, setting.neighbour, "30", activity_type=setting.cleaning)
    before = snapshot(db.session)

    with pytest.raises(ForbiddenError):
        reverse(db.session, getattr(setting, who), mistaken.id, now=LATER)

    assert snapshot(db.session) == before
    assert fresh(db, Credit, mistaken.id).reversed_at is None


def test_a_district_administrator_may_reverse(db, setting):
    district = factories.make_user(db.session, None, "district_admin", name="区管理员")
    mistaken = credit(db.session, setting.neighbour, "30", activity_type=setting.cleaning)

    reverse(db.session, district, mistaken.id, now=LATER)

    assert fresh(db, Credit, mistaken.id).reversed_by_id == district.id


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(db, setting, reason):
    mistaken = credit(db.session, setting.resident, "30", activity_type=setting.cleaning)
    before = snapshot(db.session)

    with pytest.raises(ReasonRequiredError):
        reverse(db.session, setting.staff, mistaken.id, reason=reason, now=LATER)

    assert snapshot(db.session) == before
    assert fresh(db, Credit, mistaken.id).reversed_at is None


def test_an_unknown_credit_is_not_found(db, setting):
    with pytest.raises(CreditNotFoundError):
        reverse(db.session, setting.staff, 999999, now=LATER)


def test_a_reversed_credit_no_longer_counts_against_the_caps(db, setting):
    capped = factories.make_activity_type(db.session, setting.community, points="10",
                                          unit="participation", daily_cap="20")
    mistaken = credit(db.session, setting.resident, "20", activity_type=capped)
    reverse(db.session, setting.staff, mistaken.id, now=LATER)

    again = credit(db.session, setting.resident, "20", activity_type=capped, now=LATER)

    assert again.points == Decimal(20)
    assert count(db.session, Credit, Credit.reversed_at.is_(None)) == 1
