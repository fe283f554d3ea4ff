"""Two (or eight) people saving the same grid and month at once: the inspection row's lock
makes them take turns, so each household is scored and credited once. Run on PostgreSQL
(row locks, READ COMMITTED) and SQLite (one writer)."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from points.auth.models import User
from points.communities.models import Community
from points.inspections import services
from points.inspections.models import Inspection, InspectionScore
from points.notifications.models import Notification
from tests.points.inspections.conftest import FAIL, MONTH, NOW, PASS
from tests import races

THREADS = 8


def race(engine, action):
    """``action(session, i)`` in ``THREADS`` threads and Sessions, started together."""
    return races.race(engine, [lambda session, i=i: action(session, i) for i in range(THREADS)])


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.slow
def test_racing_saves_of_one_grid_month_credit_each_household_once(db, town):
    ids = dict(community=town.community.id, grid=town.red.id,
               actors=[town.admin.id, town.worker.id], homes=[h.id for h in town.homes])

    def save(session, i):
        scored = services.score_grid(
            session, actor=session.get(User, ids["actors"][i % 2]), grid_id=ids["grid"],
            community=session.get(Community, ids["community"]), month=MONTH, now=NOW,
            entries=[{"household_id": home, **(PASS if n != 1 else FAIL)}
                     for n, home in enumerate(ids["homes"])])
        return len(scored.created_ids)

    results = race(db.engine, save)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(results) == [0] * (THREADS - 1) + [3]
    db.session.rollback()  # end the read snapshot taken before the race
    assert (count(db.session, Inspection), count(db.session, InspectionScore),
            count(db.session, Transfer)) == (1, 3, 2)
    assert count(db.session, Notification) == 2  # the two members of the first household
    assert [services.household_standing(db.session, home).points for home in town.homes] == [
        Decimal("20"), Decimal("0"), Decimal("20")]
    assert verify(db.session) == []


@pytest.mark.slow
def test_racing_corrections_of_one_score_apply_one_after_another(db, town):
    [first] = services.score_grid(
        db.session, actor=town.admin, community=town.community, grid_id=town.red.id,
        month=MONTH, now=NOW, entries=[{"household_id": town.homes[0].id, **PASS}]).results
    ids = dict(community=town.community.id, admin=town.admin.id, score=first.id)

    def fix(session, i):
        return services.correct_score(
            session, actor=session.get(User, ids["admin"]), score_id=ids["score"],
            community=session.get(Community, ids["community"]), reason=f"复查 {i}",
            values=FAIL if i % 2 else {"personal": 10, "home": 10, "public": 10 - i // 2},
            expected_revision=1, now=NOW).revision

    results = race(db.engine, fix)

    assert [r for r in results if not isinstance(r, Exception)] == [2]
    assert {type(r).__name__ for r in results if isinstance(r, Exception)} == {
        "StaleCorrectionError"}
    db.session.rollback()
    final = db.session.get(InspectionScore, first.id)
    assert final.revision == 2
    assert services.household_standing(db.session, town.homes[0]).points == (
        Decimal("20") if final.passed else Decimal("0"))
    assert verify(db.session) == []


def test_scoring_locks_the_grid_months_inspection_row_on_postgresql(db, town):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: its write transaction takes the one write lock")
    from tests.races import sql_sent

    with sql_sent(db.engine) as statements:
        services.score_grid(db.session, actor=town.admin, community=town.community,
                            grid_id=town.red.id, month=MONTH, now=NOW,
                            entries=[{"household_id": town.homes[0].id, **PASS}])

    locks = [s for s in statements if "FROM inspections" in s and "FOR UPDATE" in s]
    assert len(locks) == 1
