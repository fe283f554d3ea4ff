"""The district's stored figures: equal to ``district_summary`` when computed, read by the
district's dashboard and API with the moment they were computed."""
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner

from points import months
from points.reports import snapshots
from points.reports.district import district_summary
from points.timeutil import utcnow
from tests import factories
from tests.points.reports.conftest import seed


def test_a_refresh_stores_exactly_the_district_summary(session):
    s = seed(session)
    live = district_summary(session, since=s.since, until=s.until, now=s.now)
    stored = snapshots.refresh(session, since=s.since, until=s.until, now=s.now)
    assert stored == live
    read = snapshots.district_figures(session, since=s.since, until=s.until, now=s.now)
    assert read.computed_at is not None
    assert replace(read, computed_at=None) == live
    # Refreshing again replaces the copy (one row per period).
    later = s.now + timedelta(minutes=15)
    snapshots.refresh(session, since=s.since, until=s.until, now=later)
    assert session.query(snapshots.ReportSnapshot).count() == 1
    assert snapshots.district_figures(session, since=s.since, until=s.until, now=later).computed_at == later


def test_a_period_without_a_copy_is_computed_now(session):
    s = seed(session)
    found = snapshots.district_figures(session, since=s.since, until=s.until, now=s.now)
    assert found.computed_at is None
    assert found == district_summary(session, since=s.since, until=s.until, now=s.now)


def test_the_district_page_and_api_read_the_stored_copy(app, db, client):
    s = seed(db.session)
    admin = factories.make_user(db.session, None, "district_admin")
    result = CliRunner().invoke(app.cli, ["reports", "refresh"], catch_exceptions=False)
    assert result.exit_code == 0 and months.month_of(s.now) in result.output
    stored = snapshots.district_figures(db.session, since=s.since, until=s.until, now=utcnow())
    assert stored.computed_at is not None

    api = client.get("/api/v1/reports/summary", headers=factories.bearer(client, admin)).get_json()
    assert api["computed_at"] is not None
    assert api["points"]["issued"] == str(stored.issued)
    # One community's figures stay live.
    one = client.get(f"/api/v1/reports/summary?community={s.community.code}",
                     headers=factories.bearer(client, admin)).get_json()
    assert one["computed_at"] is None
    factories.sign_in(client, admin)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'data-test="computed-at"' in page


def test_refresh_keeps_a_year_of_months_and_recomputes_only_the_last_two(app, db):
    seed(db.session)
    runner = CliRunner()
    first = runner.invoke(app.cli, ["reports", "refresh"], catch_exceptions=False)
    stored = {(row.since, row.computed_at) for row in db.session.query(snapshots.ReportSnapshot)}
    again = runner.invoke(app.cli, ["reports", "refresh"], catch_exceptions=False)
    db.session.expire_all()
    after = {row.since: row.computed_at for row in db.session.query(snapshots.ReportSnapshot)}

    assert first.exit_code == again.exit_code == 0
    assert len(stored) == len(after) == 13
    lines = again.output.splitlines()
    assert len(lines) == 3  # this month and last month only, then the closed months: none new
    assert lines[-1] == "closed months stored for the communities and grids: 0 new"
    older = sorted(after)[:-2]
    assert all(after[since] == computed for since, computed in stored if since in older)
