"""Scoring a grid for a month: a pass credits the household account and makes it that
month's 清洁户, its members are told, the act is in the audit log; a fail credits nothing;
the same month again changes nothing."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from points.audit.models import AuditEvent
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.inspections import services
from points.inspections.errors import (DuplicateHouseholdError, FutureMonthError,
                                       HouseholdNotInGridError, InvalidMonthError,
                                       NoScoresError, ScoreOutOfRangeError)
from points.inspections.models import Inspection, InspectionPolicy, InspectionScore
from points.notifications.models import Notification
from tests import factories
from tests.points.inspections.conftest import FAIL, MONTH, NOW, PASS, score


def household_points(db, household):
    return services.household_standing(db.session, household).points


def count(db, model, **where):
    stmt = select(func.count()).select_from(model).filter_by(**where)
    return db.session.scalar(stmt)


def nothing_moved(db):
    assert (count(db, Transfer), count(db, InspectionScore), count(db, Notification),
            count(db, AuditEvent)) == (0, 0, 0, 0)


def test_a_pass_credits_the_household_and_makes_it_a_clean_household(db, town):
    scored = score(db, town, [(town.homes[0], PASS)])

    [result] = scored.results
    assert (result.passed, result.points, result.revision, result.total) == (
        True, Decimal("20"), 1, 24)
    assert scored.created_ids == {result.id}
    assert household_points(db, town.homes[0]) == Decimal("20")
    posted = db.session.get(Transfer, result.transfer_id)
    assert (posted.kind, posted.key, posted.amount, posted.actor_id, posted.reason) == (
        "earn", f"inspection:{town.homes[0].id}:{MONTH}:r1", Decimal("20"), town.admin.id,
        "文明积分：2026-11 清洁户")
    assert [row.household.address for row in services.clean_households(
        db.session, town.community.id, MONTH)] == ["1栋101"]
    assert verify(db.session) == []


def test_the_personal_wallets_of_the_members_are_untouched(db, town):
    from points import wallets

    score(db, town, [(town.homes[0], PASS)])

    assert [wallets.wallet_balance(db.session, member).balance for member in town.members] == [
        Decimal("0"), Decimal("0")]


def test_every_member_of_a_credited_household_is_told(db, town):
    score(db, town, [(town.homes[0], PASS), (town.homes[1], FAIL)])

    notes = list(db.session.scalars(select(Notification).order_by(Notification.user_id)))
    assert [note.user_id for note in notes] == [member.id for member in town.members]
    assert {note.kind for note in notes} == {"household_credited"}
    assert notes[0].title == "本户获得文明积分"
    assert notes[0].body == "2026-11 卫生评比，1栋101 评为清洁户，本户文明积分 +20。"
    assert notes[0].link == "/home"


def test_a_fail_credits_nothing_and_tells_nobody(db, town):
    scored = score(db, town, [(town.homes[1], FAIL)])

    assert (scored.results[0].passed, scored.results[0].points,
            scored.results[0].transfer_id) == (False, None, None)
    assert household_points(db, town.homes[1]) == 0
    assert count(db, Transfer) == 0 and count(db, Notification) == 0
    assert services.clean_households(db.session, town.community.id, MONTH) == []


def test_each_new_score_is_in_the_audit_log(db, town):
    scored = score(db, town, [(town.homes[0], PASS), (town.homes[1], FAIL)])

    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.action, e.object_type, e.object_id, e.actor_id) for e in events] == [
        ("inspection.create", "inspection_score", s.id, town.admin.id) for s in scored.results]
    assert events[0].after == {"household_id": town.homes[0].id, "address": "1栋101",
                               "month": MONTH, "personal": 8, "home": 8, "public": 8,
                               "result": "clean", "points": "20", "revision": 1}
    assert events[1].after["result"] == "not_clean" and events[1].after["points"] is None


def test_entering_the_same_month_again_changes_nothing(db, town):
    first = score(db, town, [(town.homes[0], PASS), (town.homes[1], FAIL)])

    again = score(db, town, [(town.homes[0], FAIL), (town.homes[1], PASS)])

    assert again.created_ids == set()
    assert [(s.id, s.passed) for s in again.results] == [(s.id, s.passed) for s in first.results]
    assert household_points(db, town.homes[0]) == Decimal("20")
    assert household_points(db, town.homes[1]) == 0
    assert (count(db, Transfer), count(db, Notification), count(db, AuditEvent),
            count(db, Inspection)) == (1, 2, 2, 1)


def test_households_left_out_can_be_scored_later_in_the_month(db, town):
    score(db, town, [(town.homes[0], PASS)])

    later = score(db, town, [(town.homes[0], FAIL), (town.homes[2], PASS)], actor=town.worker)

    assert [s.household_id for s in later.created] == [town.homes[2].id]
    assert household_points(db, town.homes[2]) == Decimal("20")
    assert count(db, Inspection) == 1
    sheet = services.grid_sheet(db.session, actor=town.admin, community=town.community,
                                grid_id=town.red.id, month=MONTH, now=NOW)
    assert [(row.household.address, row.score is not None) for row in sheet.rows] == [
        ("1栋101", True), ("1栋102", False), ("1栋103", True)]


def test_a_new_month_is_a_new_inspection(db, town):
    score(db, town, [(town.homes[0], PASS)], month="2026-10")

    score(db, town, [(town.homes[0], PASS)])

    assert household_points(db, town.homes[0]) == Decimal("40")
    assert services.household_standing(db.session, town.homes[0]).last_clean_month == MONTH


def test_a_grid_worker_scores_their_own_grid_only(db, town):
    score(db, town, [(town.homes[0], PASS)], actor=town.worker)

    with pytest.raises(NotFoundError):
        score(db, town, [(town.east_home, PASS)], actor=town.worker, grid=town.east)

    assert household_points(db, town.east_home) == 0
    assert count(db, InspectionScore) == 1


def test_a_household_of_another_grid_is_refused_and_nothing_moves(db, town):
    with pytest.raises(HouseholdNotInGridError):
        score(db, town, [(town.homes[0], PASS), (town.east_home, PASS)])

    nothing_moved(db)
    assert count(db, Inspection) == 0


def test_another_communitys_grid_is_not_found(db, town):
    other = factories.make_community(db.session, name="北新社区")
    their_grid = factories.make_grid(db.session, other)
    their_home = factories.make_household(db.session, other, their_grid)

    with pytest.raises(NotFoundError):
        services.score_grid(db.session, actor=town.admin, community=town.community,
                            grid_id=their_grid.id, month=MONTH, now=NOW,
                            entries=[{"household_id": their_home.id, **PASS}])
    stranger = factories.make_user(db.session, other, "admin")
    with pytest.raises(NotFoundError):
        score(db, town, [(town.homes[0], PASS)], actor=stranger)

    nothing_moved(db)


@pytest.mark.parametrize("role", ["resident", "merchant_owner"])
def test_residents_and_shops_do_not_score(db, town, role):
    merchant = factories.make_merchant(db.session, town.community) if role != "resident" else None
    someone = factories.make_user(db.session, town.community, role, merchant=merchant)

    with pytest.raises(ForbiddenError):
        score(db, town, [(town.homes[0], PASS)], actor=someone)

    nothing_moved(db)


@pytest.mark.parametrize("month, error", [
    ("2026-12", FutureMonthError), ("2026-13", InvalidMonthError), ("11/2026", InvalidMonthError),
])
def test_a_future_or_malformed_month_is_refused(db, town, month, error):
    with pytest.raises(error):
        score(db, town, [(town.homes[0], PASS)], month=month)

    nothing_moved(db)


def test_the_current_month_is_the_local_one(db, town):
    # 1 December 01:00 in Chengdu is still 30 November in UTC: December may be scored.
    now = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)

    score(db, town, [(town.homes[0], PASS)], month="2026-12", now=now)

    assert household_points(db, town.homes[0]) == Decimal("20")


@pytest.mark.parametrize("entries, error", [
    ([], NoScoresError),
    ([("home0", {"personal": 11, "home": 8, "public": 8})], ScoreOutOfRangeError),
    ([("home0", PASS), ("home0", FAIL)], DuplicateHouseholdError),
])
def test_bad_scores_are_refused_and_nothing_moves(db, town, entries, error):
    entries = [(town.homes[0], values) for _, values in entries]

    with pytest.raises(error):
        score(db, town, entries)

    nothing_moved(db)


def test_a_community_may_keep_its_own_pass_rule_and_award(db, town):
    with unit_of_work(db.session):
        db.session.add(InspectionPolicy(community_id=town.community.id, item_min=7,
                                        total_min=27, points=Decimal("30")))

    scored = score(db, town, [(town.homes[0], PASS), (town.homes[1],
                                                      {"personal": 9, "home": 9, "public": 9})])

    assert [(s.passed, s.points) for s in scored.results] == [(False, None),
                                                               (True, Decimal("30"))]
    assert household_points(db, town.homes[1]) == Decimal("30")


def test_the_clean_list_is_by_grid_and_address(db, town):
    score(db, town, [(town.homes[2], PASS), (town.homes[0], PASS), (town.homes[1], FAIL)])
    score(db, town, [(town.east_home, PASS)], grid=town.east)

    rows = services.clean_households(db.session, town.community.id, MONTH)

    assert [(row.grid.name, row.household.address) for row in rows] == [
        ("东街网格", "9栋901"), ("红星网格", "1栋101"), ("红星网格", "1栋103")]
    assert services.clean_households(db.session, town.community.id, "2026-10") == []
    mine = services.clean_households_in_reach(db.session, actor=town.worker,
                                              community=town.community, month=MONTH, now=NOW)
    assert [row.grid.name for row in mine] == ["红星网格", "红星网格"]


def test_a_household_never_credited_has_no_points_and_no_clean_month(db, town):
    standing = services.household_standing(db.session, town.homes[2])

    assert (standing.points, standing.last_clean_month) == (0, None)
    assert services.household_standing(db.session, None) is None
