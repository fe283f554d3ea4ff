"""``credit_work``: the one way work becomes points. Each piece of work is credited once,
the caps per person per day and per month either refuse or cut, and a credit keeps the
rate it was made with."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.models import Transfer
from ledger.verify import verify
from points import wallets
from points.earning import services
from points.earning.errors import DailyCapReachedError, MonthlyCapReachedError
from points.earning.models import Credit
from points.extensions import unit_of_work
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 20)


@pytest.fixture
def setting(db):
    community = factories.make_community(db.session)
    resident = factories.make_resident(db.session, community)
    staff = factories.make_user(db.session, community, "staff", name="李干事")
    cleaning = factories.make_activity_type(db.session, community, name="环境卫生", points="10",
                                            daily_cap="40", monthly_cap="100")
    return community, resident, staff, cleaning


def credit(db, user, activity_type, source_id, points, *, day=DAY, over_cap="refuse",
           source="claim", **kwargs):
    with unit_of_work(db.session):
        return services.credit_work(db.session, user=user, activity_type=activity_type,
                                    source=source, source_id=source_id, work_day=day,
                                    points=Decimal(points), over_cap=over_cap, now=NOW, **kwargs)


def balance(db, user):
    return wallets.wallet_balance(db.session, user).balance


def credits(db):
    return db.session.scalar(select(func.count()).select_from(Credit))


def transfers(db):
    return db.session.scalar(select(func.count()).select_from(Transfer))


def test_work_is_credited_to_the_wallet_from_the_community_issuance(db, setting):
    _, resident, staff, cleaning = setting

    earned = credit(db, resident, cleaning, 1, "20", hours=Decimal("2"), approved_by=staff)

    assert earned.created and not earned.cut_by_cap
    assert balance(db, resident) == Decimal("20")
    row = earned.credit
    assert (row.points, row.rate, row.unit, row.hours, row.approved_by_id) == (
        Decimal("20"), Decimal("10"), "hour", Decimal("2"), staff.id)
    posted = db.session.get(Transfer, row.transfer_id)
    assert (posted.kind, posted.key, posted.reason, posted.actor_id) == (
        "earn", f"claim:1:{resident.id}", "环境卫生", staff.id)
    assert verify(db.session) == []


def test_the_same_work_is_credited_exactly_once(db, setting):
    _, resident, _, cleaning = setting
    first = credit(db, resident, cleaning, 7, "20")

    again = credit(db, resident, cleaning, 7, "20")

    assert not again.created and again.credit.id == first.credit.id
    assert balance(db, resident) == Decimal("20")
    assert (credits(db), transfers(db)) == (1, 1)


def test_the_same_source_id_of_another_source_or_person_is_other_work(db, setting):
    community, resident, _, cleaning = setting
    neighbour = factories.make_resident(db.session, community)

    credit(db, resident, cleaning, 7, "10")
    credit(db, resident, cleaning, 7, "10", source="activity")
    credit(db, neighbour, cleaning, 7, "10")

    assert credits(db) == 3
    assert (balance(db, resident), balance(db, neighbour)) == (Decimal("20"), Decimal("10"))


def test_a_claim_over_the_daily_cap_is_refused_naming_what_is_left_and_moves_nothing(db, setting):
    _, resident, _, cleaning = setting
    credit(db, resident, cleaning, 1, "30")

    with pytest.raises(DailyCapReachedError) as refused:
        credit(db, resident, cleaning, 2, "20")

    assert refused.value.params == {"type": "环境卫生", "remaining": "10"}
    assert balance(db, resident) == Decimal("30")
    assert (credits(db), transfers(db)) == (1, 1)


def test_the_daily_cap_counts_the_day_the_work_was_done(db, setting):
    _, resident, _, cleaning = setting
    credit(db, resident, cleaning, 1, "40")

    credit(db, resident, cleaning, 2, "40", day=date(2026, 11, 21))

    assert balance(db, resident) == Decimal("80")


def test_a_claim_over_the_monthly_cap_is_refused_and_moves_nothing(db, setting):
    _, resident, _, cleaning = setting
    for day, source_id in ((1, 1), (2, 2)):
        credit(db, resident, cleaning, source_id, "40", day=date(2026, 11, day))

    with pytest.raises(MonthlyCapReachedError) as refused:
        credit(db, resident, cleaning, 3, "30", day=date(2026, 11, 3))

    assert refused.value.params["remaining"] == "20"
    assert balance(db, resident) == Decimal("80")
    assert credits(db) == 2


def test_the_monthly_cap_starts_again_next_month(db, setting):
    _, resident, _, cleaning = setting
    for day, points in ((1, "40"), (2, "40"), (3, "20")):  # November's 100 used up
        credit(db, resident, cleaning, day, points, day=date(2026, 11, day))

    credit(db, resident, cleaning, 4, "40", day=date(2026, 12, 1))

    assert balance(db, resident) == Decimal("140")


def test_caps_count_each_type_apart(db, setting):
    community, resident, _, cleaning = setting
    greening = factories.make_activity_type(db.session, community, name="绿化美化",
                                            daily_cap="40")
    credit(db, resident, cleaning, 1, "40")

    credit(db, resident, greening, 2, "40")

    assert balance(db, resident) == Decimal("80")


def test_attendance_over_the_cap_is_cut_to_what_is_left(db, setting):
    _, resident, _, cleaning = setting
    credit(db, resident, cleaning, 1, "30")

    earned = credit(db, resident, cleaning, 2, "30", over_cap="cut", source="activity")

    assert earned.created and earned.cut_by_cap
    assert (earned.credit.points, earned.credit.points_before_cap) == (Decimal("10"),
                                                                      Decimal("30"))
    assert balance(db, resident) == Decimal("40")


def test_attendance_with_no_room_left_credits_nothing(db, setting):
    _, resident, _, cleaning = setting
    credit(db, resident, cleaning, 1, "40")

    earned = credit(db, resident, cleaning, 2, "20", over_cap="cut", source="activity")

    assert (earned.credit, earned.created, earned.cut_by_cap) == (None, False, True)
    assert balance(db, resident) == Decimal("40")
    assert (credits(db), transfers(db)) == (1, 1)


def test_a_type_without_caps_is_not_limited(db, setting):
    community, resident, _, _ = setting
    mediation = factories.make_activity_type(db.session, community, name="矛盾调解",
                                             unit="participation", points="20")

    credit(db, resident, mediation, 1, "500")

    assert balance(db, resident) == Decimal("500")


def test_changing_a_type_applies_to_new_credits_only(db, setting):
    community, resident, staff, cleaning = setting
    admin = factories.make_user(db.session, community, "admin")
    first = credit(db, resident, cleaning, 1, "10", hours=Decimal("1"))

    values = {**services.type_values(cleaning), "points": Decimal("15"), "unit": "participation"}
    services.save_type(db.session, actor=admin, community_id=community.id, values=values,
                       type_id=cleaning.id, now=NOW)
    second = credit(db, resident, cleaning, 2, "15")

    db.session.expire_all()
    old = db.session.get(Credit, first.credit.id)
    assert (old.rate, old.unit, old.points) == (Decimal("10"), "hour", Decimal("10"))
    assert (second.credit.rate, second.credit.unit) == (Decimal("15"), "participation")
    assert balance(db, resident) == Decimal("25")


def test_an_activity_rate_is_kept_on_the_credit(db, setting):
    _, resident, _, cleaning = setting

    earned = credit(db, resident, cleaning, 1, "24", hours=Decimal("2"), rate=Decimal("12"),
                    source="activity")

    assert earned.credit.rate == Decimal("12")


def test_credit_work_runs_only_inside_the_callers_transaction(db, setting):
    _, resident, _, cleaning = setting

    with pytest.raises(ledger.errors.NotInTransactionError):
        services.credit_work(db.session, user=resident, activity_type=cleaning, source="claim",
                             source_id=1, work_day=DAY, points=Decimal("10"), now=NOW)
