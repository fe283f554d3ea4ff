"""``flask --app wsgi gamification check``: every standing and monthly tally compared with
the credits that stand; a tampered or missing row is a fault (exit 1), expiry and a
month without work are only behind until the nightly refresh."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, update

import ledger
from points import wallets
from points.extensions import unit_of_work
from points.gamification import checks, services
from points.gamification.models import MonthlyTally, Standing
from tests.points.gamification.progress_setting import NOW, credit, make_setting, reverse


@pytest.fixture
def setting(db):
    made = make_setting(db.session)
    for day, points in ((date(2026, 9, 3), "20"), (date(2026, 10, 3), "15"), (date(2026, 11, 1), "5")):
        credit(db.session, made.resident, points, day=day, activity_type=made.cleaning, hours="1.5")
    taken_back = credit(db.session, made.spouse, "30", day=date(2026, 11, 2), activity_type=made.greening)
    reverse(db.session, made.staff, taken_back.id)
    return made


def check(db, setting, now=NOW):
    return checks.check_community(db.session, setting.community.id, now)


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["gamification", "check", *args])


def tamper(db, statement):
    with unit_of_work(db.session):
        db.session.execute(statement)


def test_rows_kept_with_every_credit_and_reversal_equal_the_credits(db, setting):
    assert check(db, setting) == []
    result = checks.check_community(db.session, setting.far_staff.community_id, NOW)
    assert result == []


def test_a_tampered_standing_is_a_fault_with_both_figures(db, setting):
    tamper(db, update(Standing).where(Standing.user_id == setting.resident.id)
           .values(points=Decimal(41), score=Decimal(41)))

    found = check(db, setting)

    assert [(d.user_id, d.what, d.fault) for d in found] == [(setting.resident.id, "standing", True)]
    assert found[0].stored[0] == Decimal(41) and found[0].counted[:4] == (
        Decimal(40), 3, Decimal("4.5"), "2026-11")


def test_a_score_that_is_not_points_less_expired_is_a_fault(db, setting):
    tamper(db, update(Standing).where(Standing.user_id == setting.resident.id).values(score=Decimal(1)))
    assert [d.what for d in check(db, setting)] == ["standing"]


def test_a_missing_standing_and_a_wrong_or_missing_tally_are_faults(db, setting):
    tamper(db, delete(Standing).where(Standing.user_id == setting.resident.id))
    tamper(db, update(MonthlyTally).where(MonthlyTally.user_id == setting.resident.id,
                                          MonthlyTally.month == "2026-10").values(credits=2))
    tamper(db, delete(MonthlyTally).where(MonthlyTally.user_id == setting.resident.id,
                                          MonthlyTally.month == "2026-09"))

    found = check(db, setting)

    assert sorted((d.what, d.stored, d.counted) for d in found) == [
        ("standing", None, (Decimal(40), 3, Decimal("4.5"), "2026-11", 3)),
        ("tally 2026-09", None, (Decimal(20), 1)),
        ("tally 2026-10", (Decimal(15), 2), (Decimal(15), 1))]


def test_a_tally_of_a_reversed_credit_left_behind_is_a_fault(db, setting):
    with unit_of_work(db.session):
        db.session.add(MonthlyTally(community_id=setting.community.id, user_id=setting.spouse.id,
                                    month="2026-11", points=Decimal(30), credits=1))
    assert [(d.user_id, d.what, d.counted) for d in check(db, setting)] == [
        (setting.spouse.id, "tally 2026-11", (Decimal(0), 0))]


def test_expiry_and_a_month_without_work_are_behind_until_the_nightly_refresh(app, db, setting):
    with unit_of_work(db.session):
        ledger.transfer(db.session, debit=wallets.wallet_id(db.session, setting.resident),
                        credit=ledger.system_account(db.session, setting.community.id,
                                                     ledger.POINTS, "expired"),
                        amount=Decimal(10), key="expire:check", kind="expire")
    january = datetime(2027, 1, 5, tzinfo=timezone.utc)  # December passed without work

    found = check(db, setting, january)

    assert [(d.what, d.fault, d.stored, d.counted) for d in found] == [
        ("behind", False, (Decimal(0), 3), (Decimal(10), 0))]
    services.refresh_community(db.session, setting.community.id, now=january)
    assert check(db, setting, january) == []


def test_the_command_exits_1_on_a_fault_and_names_it(app, db, setting):
    clean = run_cli(app)
    tamper(db, update(MonthlyTally).where(MonthlyTally.user_id == setting.resident.id,
                                          MonthlyTally.month == "2026-11").values(points=Decimal(6)))
    faulty = run_cli(app, "--community", "beixin")

    assert clean.exit_code == 0, clean.output
    assert clean.output.splitlines()[-1] == (
        "2 个社区已核对：0 处与积分记录不符，0 人的过期积分或连续月数待夜间更新")
    assert faulty.exit_code == 1
    assert faulty.output.splitlines() == [
        f"DIFFERS: 北新社区 (beixin) user {setting.resident.id} tally 2026-11: stored "
        "(6, 1), credits (5, 1)",
        "gamification check: 1/1 communities, 1 differ",
        "1 个社区已核对：1 处与积分记录不符，0 人的过期积分或连续月数待夜间更新"]


def test_the_command_refuses_an_unknown_community_and_reads_nothing(app, db, setting):
    result = run_cli(app, "--community", "nowhere")

    assert result.exit_code == 2 and "没有代码为 nowhere 的社区" in result.output
    assert "已核对" not in result.output
