"""Keeping each person's standing, monthly tallies and badges equal to the credits that
stand: refreshed inside every credit, after inspection scores, and by the nightly
``refresh_community`` (idempotent, resumable); levels read from the community's ladder."""
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

import ledger
from ledger.verify import verify
from points import wallets
from points.auth.models import User
from points.earning import services as earning
from points.earning.models import ActivityType
from points.extensions import unit_of_work
from points.gamification import checks, services
from points.gamification.models import BadgeAward, Level, MonthlyTally, Standing
from points.inspections import services as inspections
from points.notifications.models import Notification
from tests import factories, races
from tests.points.gamification.progress_setting import (NOW, TODAY, awards, badge_notices, count,
                                                        credit, make_setting, standing_awards)

PASS = {"personal": 8, "home": 8, "public": 8}
FAIL = {"personal": 9, "home": 9, "public": 5}


@pytest.fixture
def setting(db):
    return make_setting(db.session)


def standing(db, user):
    return db.session.scalar(select(Standing).where(Standing.user_id == user.id)
                             .execution_options(populate_existing=True))


def tallies(db, user):
    rows = db.session.scalars(select(MonthlyTally).where(MonthlyTally.user_id == user.id)
                              .order_by(MonthlyTally.month)
                              .execution_options(populate_existing=True))
    return [(row.month, row.points, row.credits) for row in rows]


def progress(db, user, now=NOW):
    return services.progress_of(db.session, user, now)


def refresh(db, community, **kwargs):
    return services.refresh_community(db.session, community.id, now=kwargs.pop("now", NOW),
                                      **kwargs)


# --- after each credit ------------------------------------------------------------------

def test_a_credit_writes_the_standing_and_the_months_equal_to_the_credits(db, setting):
    cleaning = setting.cleaning
    credit(db.session, setting.resident, "20", day=date(2026, 10, 3), activity_type=cleaning,
           hours="2")
    credit(db.session, setting.resident, "15", day=date(2026, 11, 1), activity_type=cleaning,
           hours="1.5")
    credit(db.session, setting.resident, "5", day=date(2026, 11, 19), activity_type=cleaning)

    found = standing(db, setting.resident)
    assert (found.points, found.expired, found.score, found.credits, found.hours) == (
        Decimal(40), Decimal(0), Decimal(40), 3, Decimal("3.5"))
    assert (found.current_streak, found.best_streak, found.last_month) == (2, 2, "2026-11")
    assert (found.community_id, found.grid_id, found.refreshed_at) == (
        setting.community.id, setting.grid.id, NOW)
    assert tallies(db, setting.resident) == [("2026-10", Decimal(20), 1),
                                             ("2026-11", Decimal(20), 2)]
    assert standing(db, setting.spouse) is None


def test_the_level_is_reached_by_the_credit_that_reaches_the_threshold(db, setting):
    credit(db.session, setting.resident, "99", activity_type=setting.cleaning)
    assert (progress(db, setting.resident).level.number,
            progress(db, setting.resident).level.name) == (1, "志愿新星")

    credit(db.session, setting.resident, "1", activity_type=setting.cleaning)

    level = progress(db, setting.resident).level
    assert (level.number, level.name, level.points, level.next_name, level.to_next) == (
        2, "志愿能手", Decimal(100), "志愿达人", Decimal(400))


def test_a_community_ladder_replaces_the_default_one(db, setting):
    with unit_of_work(db.session):
        for threshold, name in ((0, "一星"), (30, "二星"), (60, "三星")):
            db.session.add(Level(community_id=setting.community.id, threshold=Decimal(threshold),
                                 name=name))
    credit(db.session, setting.resident, "30", activity_type=setting.cleaning)

    level = progress(db, setting.resident).level
    assert (level.number, level.name, level.next_threshold, level.percent) == (2, "二星", 60, 0)
    assert progress(db, setting.neighbour).level.name == "一星"


def test_spending_and_expiry_never_lower_the_level(db, setting):
    credit(db.session, setting.resident, "150", activity_type=setting.cleaning)
    shop = factories.make_merchant(db.session, setting.community)
    factories.make_redemption(db.session, setting.resident, shop, "100", NOW)
    with unit_of_work(db.session):
        ledger.transfer(db.session, debit=wallets.wallet_id(db.session, setting.resident),
                        credit=ledger.system_account(db.session, setting.community.id,
                                                     ledger.POINTS, "expired"),
                        amount=Decimal(30), key="expire:test", kind="expire")

    refresh(db, setting.community)

    assert wallets.wallet_balance(db.session, setting.resident).balance == Decimal(20)
    found = standing(db, setting.resident)
    assert (found.points, found.expired, found.score) == (Decimal(150), Decimal(30), Decimal(120))
    assert progress(db, setting.resident).level.number == 2
    assert verify(db.session) == []


def test_a_badge_is_awarded_once_and_told_once(db, setting):
    first = credit(db.session, setting.resident, activity_type=setting.cleaning)
    credit(db.session, setting.resident, activity_type=setting.cleaning)
    with unit_of_work(db.session):
        again = services.refresh_person(db.session, setting.resident, now=NOW)
    refresh(db, setting.community)

    assert again == []
    assert standing_awards(db.session, setting.resident) == ["first_activity"]
    award = awards(db.session, setting.resident)["first_activity"]
    assert (award.credit_id, award.month, award.awarded_at, award.revoked_at) == (
        first.id, None, NOW, None)
    assert badge_notices(db.session, setting.resident) == 1
    notice = db.session.scalar(select(Notification).where(Notification.kind == "badge"))
    assert (notice.title, notice.link) == ("获得新徽章", "/me/badges")
    assert "初次参与" in notice.body


def test_the_tenth_credit_of_a_category_makes_a_specialist(db, setting):
    for day in range(1, 10):
        credit(db.session, setting.resident, day=date(2026, 11, day), activity_type=setting.greening)
    credit(db.session, setting.resident, day=date(2026, 11, 10), activity_type=setting.cleaning)
    assert "specialist_greening" not in standing_awards(db.session, setting.resident)

    tenth = credit(db.session, setting.resident, day=date(2026, 11, 11),
                   activity_type=setting.greening)

    found = awards(db.session, setting.resident)
    assert found["specialist_greening"].credit_id == tenth.id
    assert found["activities_10"].credit_id == tenth.id - 1  # the tenth credit of any kind
    assert "specialist_environment" not in found


def test_three_months_of_work_earn_the_streak_badge_with_the_third_month(db, setting):
    for day in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 10, 31)):
        credit(db.session, setting.resident, day=day, activity_type=setting.cleaning)

    award = awards(db.session, setting.resident)["streak_3"]
    assert (award.month, award.credit_id) == ("2026-10", None)
    found = standing(db, setting.resident)
    assert (found.current_streak, found.best_streak) == (3, 3)


def test_a_month_without_work_ends_the_current_streak_at_the_nightly_refresh(db, setting):
    for day in (date(2026, 8, 3), date(2026, 9, 3)):
        credit(db.session, setting.resident, day=day, activity_type=setting.cleaning,
               now=datetime(2026, 9, 4, tzinfo=timezone.utc))
    assert standing(db, setting.resident).current_streak == 2

    refresh(db, setting.community, now=NOW)  # October passed without work

    found = standing(db, setting.resident)
    assert (found.current_streak, found.best_streak) == (0, 2)
    assert progress(db, setting.resident).current_streak == 0


# --- the nightly refresh ----------------------------------------------------------------

def test_refreshing_a_community_twice_changes_nothing_the_second_time(db, setting):
    for user in (setting.resident, setting.spouse, setting.neighbour):
        credit(db.session, user, "120", activity_type=setting.cleaning)
    with unit_of_work(db.session):
        db.session.execute(delete(BadgeAward))
        db.session.execute(delete(MonthlyTally))
        db.session.execute(delete(Standing))

    first = refresh(db, setting.community)
    pictures = [(row.user_id, row.points, row.credits) for row in db.session.scalars(
        select(Standing).order_by(Standing.user_id))]
    notices = count(db.session, Notification)
    second = refresh(db, setting.community, now=NOW + timedelta(hours=1))

    assert first == (3, 3) and second == (3, 0)
    assert [(row.user_id, row.points, row.credits) for row in db.session.scalars(
        select(Standing).order_by(Standing.user_id).execution_options(populate_existing=True))] \
        == pictures == [(user.id, Decimal(120), 1)
                        for user in (setting.resident, setting.spouse, setting.neighbour)]
    assert count(db.session, Notification) == notices
    assert count(db.session, BadgeAward) == 3
    assert tallies(db, setting.spouse) == [("2026-11", Decimal(120), 1)]


def test_a_refresh_resumes_after_the_last_id_it_printed(db, setting):
    people = [setting.resident, setting.spouse, setting.neighbour]
    for user in people:
        credit(db.session, user, activity_type=setting.cleaning)
    with unit_of_work(db.session):  # as if the credits came before the game's tables
        for model in (BadgeAward, MonthlyTally, Standing):
            db.session.execute(delete(model))
    seen = []
    later = NOW + timedelta(days=1)

    done = refresh(db, setting.community, now=later, after_id=people[0].id, batch=1,
                   progress=lambda count_, last_id: seen.append((count_, last_id)))

    assert done == (2, 2)
    assert seen == [(1, people[1].id), (2, people[2].id)]
    assert [standing(db, user) and standing(db, user).refreshed_at for user in people] == [
        None, later, later]


def test_a_second_refresh_writes_nothing_and_keeps_the_date_of_the_last_change(db, setting):
    credit(db.session, setting.resident, "20", activity_type=setting.cleaning)
    later = NOW + timedelta(days=1)
    with races.sql_sent(db.engine) as statements:
        assert refresh(db, setting.community, now=later) == (1, 0)

    written = [sql for sql in statements if sql.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert written == []
    assert standing(db, setting.resident).refreshed_at == NOW


def test_a_refresh_counts_only_its_own_community(db, setting):
    far_type = factories.make_activity_type(db.session, setting.far_staff.community)
    far_resident = factories.make_resident(db.session, setting.far_staff.community)
    credit(db.session, far_resident, activity_type=far_type)
    credit(db.session, setting.resident, activity_type=setting.cleaning)

    assert services.people_to_refresh(db.session, setting.community.id) == [setting.resident.id]
    assert refresh(db, setting.community) == (1, 0)


def test_the_nightly_refresh_awards_the_clean_home_from_three_passed_months(db, setting):
    for month in ("2026-08", "2026-09", "2026-10"):
        score_month(db, setting, month, PASS)
    with unit_of_work(db.session):  # as before the scores refreshed anyone
        db.session.execute(delete(BadgeAward))
        db.session.execute(delete(Standing))

    assert services.people_to_refresh(db.session, setting.community.id) == [
        setting.resident.id, setting.spouse.id]
    assert refresh(db, setting.community) == (2, 2)

    for member in (setting.resident, setting.spouse):
        award = awards(db.session, member)["clean_3"]
        assert (award.month, award.credit_id, award.revoked_at) == ("2026-10", None, None)
    assert awards(db.session, setting.neighbour) == {}


# --- after inspection scores (the hook) ---------------------------------------------------

def score_month(db, setting, month, values, now=NOW):
    return inspections.score_grid(db.session, actor=setting.staff, community=setting.community,
                                  grid_id=setting.grid.id, month=month, now=now,
                                  entries=[{"household_id": setting.home.id, **values}])


def test_the_third_clean_month_gives_every_member_the_clean_home_at_once(db, setting):
    score_month(db, setting, "2026-08", PASS)
    score_month(db, setting, "2026-09", PASS)
    assert standing_awards(db.session, setting.resident) == []

    score_month(db, setting, "2026-10", PASS)

    for member in (setting.resident, setting.spouse):
        assert standing_awards(db.session, member) == ["clean_3"]
        assert awards(db.session, member)["clean_3"].month == "2026-10"
        assert badge_notices(db.session, member) == 1
    assert standing(db, setting.resident).points == 0  # the household's points are not theirs


def test_a_failed_month_between_passes_gives_no_clean_home(db, setting):
    for month, values in (("2026-08", PASS), ("2026-09", FAIL), ("2026-10", PASS)):
        score_month(db, setting, month, values)

    assert awards(db.session, setting.resident) == {}


def test_correcting_the_third_month_to_a_fail_takes_the_clean_home_back(db, setting):
    for month in ("2026-08", "2026-09"):
        score_month(db, setting, month, PASS)
    [third] = score_month(db, setting, "2026-10", PASS).results

    inspections.correct_score(db.session, actor=setting.staff, community=setting.community,
                              score_id=third.id, values=FAIL, reason="复查发现公共区域没打扫",
                              now=NOW + timedelta(hours=1))

    award = awards(db.session, setting.resident)["clean_3"]
    assert award.revoked_at == NOW + timedelta(hours=1)
    assert standing_awards(db.session, setting.spouse) == []


def test_correcting_a_fail_to_a_pass_completes_the_clean_home(db, setting):
    score_month(db, setting, "2026-08", PASS)
    [failed] = score_month(db, setting, "2026-09", FAIL).results
    score_month(db, setting, "2026-10", PASS)

    inspections.correct_score(db.session, actor=setting.staff, community=setting.community,
                              score_id=failed.id, values=PASS, reason="当时评错了", now=NOW)

    assert standing_awards(db.session, setting.spouse) == ["clean_3"]
    assert awards(db.session, setting.spouse)["clean_3"].month == "2026-10"


# --- a race -------------------------------------------------------------------------------

THREADS = 8


@pytest.mark.slow
def test_racing_credits_to_one_person_add_up_and_award_each_badge_once(db, setting):
    user_id, type_id = setting.resident.id, setting.cleaning.id

    def credit_one(session, i):
        return earning.credit_work(session, user=session.get(User, user_id),
                                   activity_type=session.get(ActivityType, type_id),
                                   source="race", source_id=i, work_day=date(2026, 11, 1 + i),
                                   points=Decimal(10 + i), now=NOW)

    results = races.race(db.engine, [races.in_transaction(credit_one, i) for i in range(THREADS)])

    assert [error for error in results if isinstance(error, Exception)] == []
    db.session.rollback()  # end the read snapshot taken before the race
    found = standing(db, setting.resident)
    assert (found.points, found.credits) == (Decimal(sum(10 + i for i in range(THREADS))), THREADS)
    assert tallies(db, setting.resident) == [("2026-11", found.points, THREADS)]
    assert standing_awards(db.session, setting.resident) == ["first_activity"]
    assert badge_notices(db.session, setting.resident) == 1
    assert wallets.wallet_balance(db.session, setting.resident).balance == found.points
    assert verify(db.session) == []


@pytest.mark.slow
def test_the_nightly_refresh_racing_credits_leaves_every_standing_equal_to_the_credits(db, setting):
    people = [setting.resident, setting.spouse, setting.neighbour]
    for user in people:
        credit(db.session, user, activity_type=setting.cleaning, day=date(2026, 10, 1))
    community_id, type_id = setting.community.id, setting.cleaning.id
    ids = [user.id for user in people]

    def credit_one(session, i):
        return earning.credit_work(session, user=session.get(User, ids[i % 3]),
                                   activity_type=session.get(ActivityType, type_id),
                                   source="race", source_id=i, work_day=date(2026, 11, 1 + i),
                                   points=Decimal(10 + i), now=NOW)

    def refresh_all(session):
        return services.refresh_community(session, community_id, now=NOW, batch=2)

    actions = [races.in_transaction(credit_one, i) for i in range(6)] + [refresh_all] * 2
    results = races.race(db.engine, actions)

    assert [error for error in results if isinstance(error, Exception)] == []
    db.session.rollback()
    assert checks.check_community(db.session, community_id, NOW) == []
    for user in people:
        found = standing(db, user)
        assert (found.credits, found.current_streak) == (3, 2)
        assert standing_awards(db.session, user) == ["first_activity"]
        assert badge_notices(db.session, user) == 1
        assert wallets.wallet_balance(db.session, user).balance == found.points
    assert verify(db.session) == []


def test_a_credit_made_while_the_refresh_counts_waits_for_its_batch(db, setting, monkeypatch):
    """The refresh has read the person's facts when their new credit comes: the credit
    waits for the batch's wallet lock, so the batch cannot write a standing without it."""
    credit(db.session, setting.resident, activity_type=setting.cleaning, day=date(2026, 10, 1))
    community_id, type_id, user_id = setting.community.id, setting.cleaning.id, setting.resident.id
    counted, credited, refreshing = threading.Event(), threading.Event(), threading.local()
    real = services.expired_of

    def expired_then_pause(session, wallet_ids):
        found = real(session, wallet_ids)
        if getattr(refreshing, "now", False):
            counted.set()
            credited.wait(timeout=1)  # without the lock the credit commits meanwhile
        return found

    def refresh_all(session):
        refreshing.now = True
        return services.refresh_community(session, community_id, now=NOW)

    def credit_late(session):
        assert counted.wait(timeout=10)
        with ledger.write_transaction(session):
            earning.credit_work(session, user=session.get(User, user_id),
                                activity_type=session.get(ActivityType, type_id), source="late",
                                source_id=1, work_day=TODAY, points=Decimal(30), now=NOW)
        credited.set()

    monkeypatch.setattr(services, "expired_of", expired_then_pause)
    results = races.race(db.engine, [refresh_all, credit_late])

    assert [error for error in results if isinstance(error, Exception)] == []
    db.session.rollback()
    assert checks.check_community(db.session, community_id, NOW) == []
    found = standing(db, setting.resident)
    assert (found.points, found.credits, found.current_streak) == (Decimal(40), 2, 2)


# --- flask gamification refresh -------------------------------------------------------------

def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["gamification", "refresh", *args])


def test_the_command_refreshes_every_community_and_sums_up(app, db, setting):
    far = setting.far_staff.community
    far_resident = factories.make_resident(db.session, far, name="周大爷")
    credit(db.session, far_resident, activity_type=factories.make_activity_type(db.session, far))
    for user in (setting.resident, setting.spouse):
        credit(db.session, user, activity_type=setting.cleaning)
    with unit_of_work(db.session):
        db.session.execute(delete(BadgeAward))

    first = run_cli(app, "--batch", "1")
    notices = count(db.session, Notification)
    again = run_cli(app)

    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines == [f"北新社区 (beixin): 已更新 1 人，最后编号 {setting.resident.id}",
                     f"北新社区 (beixin): 已更新 2 人，最后编号 {setting.spouse.id}",
                     "北新社区 (beixin): 共 2 人，新徽章 2 枚",
                     "gamification: 1/2 communities, 2 people, 2 new badges",
                     f"城口社区 (chengkou): 已更新 1 人，最后编号 {far_resident.id}",
                     "城口社区 (chengkou): 共 1 人，新徽章 1 枚",
                     "gamification: 2/2 communities, 3 people, 3 new badges",
                     "完成：共更新 3 人，新徽章 3 枚"]
    assert again.exit_code == 0 and again.output.splitlines()[-1] == "完成：共更新 3 人，新徽章 0 枚"
    assert count(db.session, BadgeAward) == 3
    assert count(db.session, Notification) == notices  # the second run told nobody again


def test_the_command_resumes_one_community_after_an_id(app, db, setting):
    for user in (setting.resident, setting.spouse, setting.neighbour):
        credit(db.session, user, activity_type=setting.cleaning)

    result = run_cli(app, "--community", "beixin", "--after-id", str(setting.resident.id))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"北新社区 (beixin): 已更新 2 人，最后编号 {setting.neighbour.id}",
        "北新社区 (beixin): 共 2 人，新徽章 0 枚",
        "gamification: 1/1 communities, 2 people, 0 new badges", "完成：共更新 2 人，新徽章 0 枚"]


@pytest.mark.parametrize(("args", "message"), [
    (["--community", "nowhere"], "没有代码为 nowhere 的社区"),
    (["--after-id", "5"], "--after-id 只能和 --community 一起用"),
    (["--after-id", "-1", "--community", "beixin"], "-1"),
])
def test_the_command_refuses_what_it_cannot_do(app, db, setting, args, message):
    credit(db.session, setting.resident, activity_type=setting.cleaning)
    with unit_of_work(db.session):
        db.session.execute(delete(Standing))

    result = run_cli(app, *args)

    assert result.exit_code == 2 and message in result.output
    assert count(db.session, Standing) == 0


def test_a_batch_finds_its_wallets_and_opens_the_missing_ones_in_its_community(db, setting):
    credit(db.session, setting.resident, activity_type=setting.cleaning)
    with unit_of_work(db.session):  # an old account from another community, same owner id
        far = ledger.open_account(db.session, community_id=setting.far_staff.community_id,
                                  owner_type=wallets.RESIDENT, owner_id=setting.spouse.id)
    own = wallets.find_wallet(db.session, setting.resident)
    db.session.rollback()

    with unit_of_work(db.session):
        found = wallets.wallet_ids(db.session, [setting.resident, setting.spouse])

    spouse = wallets.find_wallet(db.session, setting.spouse)
    assert found == {setting.resident.id: own, setting.spouse.id: spouse}
    assert spouse not in (None, far)
