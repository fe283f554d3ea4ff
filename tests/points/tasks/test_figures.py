"""Figures: time to publish, to claim and to close (median minutes and count), overall,
per category and per grid, of the requests received in a window."""
from datetime import timedelta

from points.residents.acting import acting_as_self
from points.tasks import services, staff
from points.tasks.figures import figures
from tests.points.tasks.conftest import NOW, claim, confirm, file, finish, publish


def at(minutes):
    return NOW + timedelta(minutes=minutes)


def walk(db, upload_dir, world, *, start, publish_after, claim_after=None, close_after=None,
         category="escort", who=None):
    """A request received at ``start``, published, claimed and closed after the minutes given."""
    request = file(db, upload_dir, world, category=category, now=at(start),
                   acting=acting_as_self(who or world.requester))
    task = publish(db, world, request, now=at(start + publish_after),
                   deadline=at(start + 60 * 24 * 10))
    if claim_after is not None:
        claim(db, world.volunteer if who is None else world.second, task,
              now=at(start + publish_after + claim_after))
        if close_after is not None:
            finish(db, world.volunteer if who is None else world.second, task,
                   now=at(start + close_after - 1))
            confirm(db, world, request, acting=acting_as_self(who or world.requester),
                    now=at(start + close_after))
    return request, task


def test_medians_and_counts_overall_per_category_and_per_grid(db, world, upload_dir):
    walk(db, upload_dir, world, start=0, publish_after=30, claim_after=10, close_after=200)
    walk(db, upload_dir, world, start=5, publish_after=90, claim_after=50, close_after=400)
    walk(db, upload_dir, world, start=10, publish_after=60, category="repair",
         who=world.far_volunteer)
    declined = file(db, upload_dir, world, category="repair", now=at(15))
    staff.decline_request(db.session, actor=world.staff, community=world.community,
                          request_id=declined.id, reason="物业负责", now=at(20))
    _, cancelled = walk(db, upload_dir, world, start=20, publish_after=10, claim_after=5)
    staff.cancel_task(db.session, actor=world.staff, community=world.community,
                      task_id=cancelled.id, reason="家属陪同", now=at(100))
    file(db, upload_dir, world, now=at(-60 * 24))  # before the window
    file(db, upload_dir, world, acting=acting_as_self(world.stranger), now=at(1))  # elsewhere

    found = figures(db.session, community_id=world.community.id, since=at(0), until=at(60))

    overall = found.overall
    assert overall.received == 5
    assert (overall.to_publish.median_minutes, overall.to_publish.count) == (45, 4)  # 30 60 90 10
    assert (overall.to_claim.median_minutes, overall.to_claim.count) == (10, 3)  # 10 50 5
    assert (overall.to_close.median_minutes, overall.to_close.count) == (300, 2)  # 200 400
    by_category = {row.key: row for row in found.by_category}
    assert list(by_category)[:2] == ["escort", "meals"]  # every category, in order
    assert (by_category["escort"].received, by_category["escort"].to_publish.median_minutes) == (3, 30)
    assert (by_category["repair"].received, by_category["repair"].to_publish.count) == (2, 1)
    assert by_category["meals"].received == 0 and by_category["meals"].to_close.median_minutes is None
    by_grid = {row.key: row for row in found.by_grid}
    assert [row.label for row in found.by_grid] == ["荔东网格", "西郊网格"]
    assert by_grid[world.far_grid.id].received == 1
    assert by_grid[world.grid.id].to_close.count == 2


def test_requests_without_a_grid_come_last(db, world, upload_dir):
    file(db, upload_dir, world, acting=acting_as_self(world.clerk), now=at(1))
    file(db, upload_dir, world, now=at(2))

    found = services.figures(db.session, community_id=world.community.id, since=at(0),
                             until=at(10))

    assert [(row.key, row.received) for row in found.by_grid] == [(world.grid.id, 1), (None, 1)]


def test_an_empty_window_has_no_medians(db, world):
    found = figures(db.session, community_id=world.community.id, since=at(0), until=at(10))

    assert found.overall.received == 0 and found.overall.to_publish.median_minutes is None
    assert found.by_grid == []
