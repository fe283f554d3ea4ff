"""Closed months' figures are stored once, equal the ledger, and are what the summary reads."""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from points import months
from points.extensions import unit_of_work
from points.reports import closed_months, figures
from points.reports.closed_months import MonthFlows
from points.timeutil import local, utcnow
from tests import factories
from tests.points.reports.conftest import two_grids
from tests.races import race

D = Decimal


@dataclass
class History:
    community: object
    grid1: object
    grid2: object
    homes: tuple
    now: object
    past: tuple  # first days of the two months before last (closed whatever today is)


def history(session):
    """Grid 1 (household 1: a), grid 2 (household 2: b; household 3: c). Three months ago:
    a 100, b 40, a redeems 30. Two months ago: b 25. This month: c 7. Another community
    has its own points in the same months."""
    now = utcnow()
    this = months.this_month(now)
    before_last = months.preceding(months.preceding(this))
    three_back = months.preceding(before_last)
    community = factories.make_community(session, name="东湖社区")
    grid1, grid2, (h1, h2, h3) = two_grids(session, community)
    a = factories.make_resident(session, community, household=h1, name="甲")
    b = factories.make_resident(session, community, household=h2, name="乙")
    c = factories.make_resident(session, community, household=h3, name="丙")
    shop = factories.make_merchant(session, community, name="东湖小店")
    early = months.moments_of(three_back)[0] + timedelta(days=2)
    factories.give_points(session, a, 100, key="closed-a", now=early)
    factories.give_points(session, b, 40, key="closed-b", now=early)
    factories.make_redemption(session, a, shop, 30, early + timedelta(hours=1))
    factories.give_points(session, b, 25, key="closed-b2",
                          now=months.moments_of(before_last)[0] + timedelta(days=5))
    factories.give_points(session, c, 7, key="open-c", now=now)
    other = factories.make_community(session, name="西湖社区")
    stranger = factories.make_resident(session, other, name="丁")
    factories.give_points(session, stranger, 500, key="closed-other", now=early)
    return History(community, grid1, grid2, (h1, h2, h3), now, (three_back, before_last))


def summarise(session, h, grid=None, day=None):
    since, until = months.moments_of(day or months.this_month(h.now))
    return figures.summary(session, community_id=h.community.id, since=since, until=until,
                           grid_id=grid.id if grid else None, now=h.now)


def stored_rows(session):
    session.rollback()
    return {(row.community_id, row.grid_id, row.month): row for row in closed_months.every_row(session)}


def test_closed_months_are_stored_once_and_equal_the_ledger(session):
    h = history(session)
    three_back, before_last = map(months.month_of, h.past)
    found = summarise(session, h)
    series = {row.month: (row.issued, row.redeemed) for row in found.series}
    assert series[three_back] == (D(140), D(30))
    assert series[before_last] == (D(25), D(0))
    assert series[months.month_of(h.now)] == (D(7), D(0))
    assert (found.issued, found.redeemed) == (D(7), D(0))
    this_year = local(h.now).year
    reached = {h.homes[2].id}
    for day, homes in zip(h.past, ({h.homes[0].id, h.homes[1].id}, {h.homes[1].id})):
        if day.year == this_year:
            reached |= homes
    assert found.households_this_year == len(reached)

    rows = stored_rows(session)
    mine = {month: row for (cid, grid, month), row in rows.items() if cid == h.community.id}
    assert set(mine) >= {three_back, before_last}
    assert months.month_of(h.now) not in mine  # the open month is never stored
    assert all(closed_months.is_closed(months.first_day(month), utcnow()) for month in mine)
    row = mine[three_back]
    assert (row.grid_id, row.issued, row.redeemed, row.expired) == (closed_months.WHOLE, D(140), D(30), D(0))
    assert sorted(row.homes) == sorted([h.homes[0].id, h.homes[1].id])
    assert figures.check_closed_months(session) == (len(rows), [])

    # Read again: the same figures, and no row added.
    assert summarise(session, h) == found
    assert len(stored_rows(session)) == len(rows)


def test_the_summary_reads_the_stored_row_and_the_check_catches_a_wrong_one(session):
    h = history(session)
    three_back = months.month_of(h.past[0])
    summarise(session, h)
    with unit_of_work(session):
        session.execute(update(MonthFlows).where(MonthFlows.community_id == h.community.id,
                                                 MonthFlows.month == three_back).values(issued=D(999)))
    found = summarise(session, h)
    assert {row.month: row.issued for row in found.series}[three_back] == D(999)
    checked, differences = figures.check_closed_months(session)
    assert [(d.community_id, d.grid_id, d.month, d.stored.issued, d.recomputed.issued)
            for d in differences] == [(h.community.id, closed_months.WHOLE, three_back, D(999), D(140))]


def test_a_past_month_is_read_from_its_row_and_other_periods_from_the_ledger(session):
    h = history(session)
    found = summarise(session, h, day=h.past[0])
    assert (found.issued, found.redeemed, found.expired) == (D(140), D(30), D(0))
    assert (h.community.id, closed_months.WHOLE, months.month_of(h.past[0])) in stored_rows(session)
    # Days that are not one whole month: counted from the ledger.
    start = months.moments_of(h.past[0])[0]
    part = figures.summary(session, community_id=h.community.id, since=start + timedelta(days=3),
                           until=start + timedelta(days=20), now=h.now)
    assert (part.issued, part.redeemed) == (D(0), D(0))
    whole_two = figures.summary(session, community_id=h.community.id, since=start,
                                until=months.moments_of(h.past[1])[1], now=h.now)
    assert (whole_two.issued, whole_two.redeemed) == (D(165), D(30))


def test_a_grid_has_its_own_rows(session):
    h = history(session)
    one, two = summarise(session, h, grid=h.grid1), summarise(session, h, grid=h.grid2)
    three_back = months.month_of(h.past[0])
    assert {r.month: r.issued for r in one.series}[three_back] == D(100)
    assert {r.month: r.issued for r in two.series}[three_back] == D(40)
    rows = stored_rows(session)
    assert rows[(h.community.id, h.grid1.id, three_back)].homes == [h.homes[0].id]
    assert rows[(h.community.id, h.grid2.id, three_back)].homes == [h.homes[1].id]
    assert figures.check_closed_months(session)[1] == []


def test_the_check_command_tells_a_move_from_a_fault(db, app):
    session = db.session
    h = history(session)
    summarise(session, h, grid=h.grid1)
    summarise(session, h)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "check-months"])
    assert result.exit_code == 0, result.output
    assert " 0 differ" in result.output

    with unit_of_work(session):  # household 1 moves to grid 2: grid 1's stored months keep it
        h.homes[0].grid_id = h.grid2.id
    result = runner.invoke(args=["reports", "check-months"])
    assert result.exit_code == 0, result.output
    assert f"moved: community {h.community.id} grid {h.grid1.id}" in result.output

    with unit_of_work(session):
        session.execute(update(MonthFlows).where(MonthFlows.grid_id == closed_months.WHOLE,
                                                 MonthFlows.community_id == h.community.id)
                        .values(redeemed=D(1)))
    result = runner.invoke(args=["reports", "check-months"])
    assert result.exit_code == 1
    assert f"DIFFERS: community {h.community.id} grid 0" in result.output


def test_readers_racing_to_store_a_month_store_it_once(session, engine):
    h = history(session)
    session.commit()
    community_id, now = h.community.id, h.now
    since, until = months.moments_of(months.this_month(now))

    def read(other):
        return figures.summary(other, community_id=community_id, since=since, until=until, now=now)

    results = race(engine, [read] * 6)
    assert all(isinstance(found, figures.Summary) for found in results), results
    assert all(found == results[0] for found in results)
    session.rollback()  # SQLite: a fresh snapshot, after the readers' writes
    count = session.scalar(select(func.count(MonthFlows.id)).where(MonthFlows.community_id == community_id))
    year = local(now).year
    labels = {row.month for row in results[0].series} | {f"{year}-{month:02d}" for month in range(1, 13)}
    closed = [label for label in labels if closed_months.is_closed(months.first_day(label), utcnow())]
    assert count == len(closed)
    assert figures.check_closed_months(session)[1] == []


def test_a_month_closes_a_day_after_its_end():
    day = months.first_day("2026-03")
    end = months.moments_of(day)[1]
    assert not closed_months.is_closed(day, end)
    assert not closed_months.is_closed(day, end + timedelta(hours=23, minutes=59))
    assert closed_months.is_closed(day, end + timedelta(days=1))


def test_the_refresh_job_stores_every_community_and_grid_once(db, app):
    session = db.session
    h = history(session)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reports", "refresh"])
    assert first.exit_code == 0, first.output
    rows = stored_rows(session)
    two_back = months.month_of(h.past[1])
    for grid_id in (closed_months.WHOLE, h.grid1.id, h.grid2.id):
        assert (h.community.id, grid_id, two_back) in rows
    assert rows[(h.community.id, h.grid2.id, two_back)].issued == D(25)
    assert f"{len(rows)} new" in first.output
    again = runner.invoke(args=["reports", "refresh"])
    assert "closed months stored for the communities and grids: 0 new" in again.output
    assert len(stored_rows(session)) == len(rows)
    # A page view after the job computes nothing more.
    summarise(session, h, grid=h.grid1)
    assert len(stored_rows(session)) == len(rows)
