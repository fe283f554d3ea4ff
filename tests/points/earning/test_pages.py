"""The pages of activity types over HTTP: office staff edit, grid workers read, others are
refused; a community's first visit gives it the usual types."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from points.audit.models import AuditEvent
from points.earning.models import ActivityType
from tests import factories
from tests.factories import sign_in

URL = "/staff/activity-types"
FORM = {"name": "楼道清扫", "category": "environment", "unit": "hour", "points": "10",
        "daily_cap": "40", "monthly_cap": "300", "second_approval_above": "100",
        "photo_required": "y"}


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    grid = factories.make_grid(db.session, community)
    admin = factories.make_user(db.session, community, "admin", name="陈主任")
    worker = factories.make_user(db.session, community, "grid_worker", grids=[grid])
    return community, admin, worker


def text(response):
    return response.get_data(as_text=True)


def types(db):
    return list(db.session.scalars(select(ActivityType).order_by(ActivityType.id)))


def test_the_office_sees_the_usual_types_with_their_rules_in_plain_words(client, db, office):
    _, admin, _ = office
    sign_in(client, admin)

    response = client.get(URL)

    html = text(response)
    assert response.status_code == 200
    assert "环境卫生" in html and "安全隐患上报" in html
    assert "每小时 10 分，每天最多 40 分，每月最多 300 分，需要照片，超过 100 分需第二人复核" in html
    assert 'data-test="new-type"' in html and 'data-test="edit"' in html
    assert len(types(db)) == 6


def test_grid_workers_read_the_rules_but_cannot_change_them(client, db, office):
    _, _, worker = office
    sign_in(client, worker)

    html = text(client.get(URL))
    refused_new = client.post(f"{URL}/new", data=FORM)
    refused_stop = client.post(f"{URL}/{types(db)[0].id}/deactivate")

    assert "环境卫生" in html and 'data-test="read-only"' in html
    assert 'data-test="edit"' not in html and 'data-test="new-type"' not in html
    assert (refused_new.status_code, refused_stop.status_code) == (403, 403)
    assert len(types(db)) == 6 and all(t.active for t in types(db))


@pytest.mark.parametrize("role", ["resident", "merchant_clerk"])
def test_residents_and_shops_are_refused(client, db, office, role):
    community, _, _ = office
    merchant = factories.make_merchant(db.session, community) if role == "merchant_clerk" else None
    someone = factories.make_user(db.session, community, role, merchant=merchant)
    sign_in(client, someone)

    assert client.get(URL).status_code == 403


def test_the_office_creates_a_type(client, db, office):
    _, admin, _ = office
    sign_in(client, admin)

    response = client.post(f"{URL}/new", data=FORM, follow_redirects=True)

    assert response.status_code == 200 and "已保存“楼道清扫”" in text(response)
    created = [t for t in types(db) if t.name == "楼道清扫"][0]
    assert (created.points, created.daily_cap, created.photo_required,
            created.location_required) == (Decimal("10"), Decimal("40"), True, False)


@pytest.mark.parametrize("changes, message", [
    ({"points": "ten"}, "请填写整数"),
    ({"points": ""}, "请填写积分"),
    ({"daily_cap": "400"}, "每日上限不能大于每月上限"),
    ({"name": ""}, "请填写名称"),
])
def test_a_bad_form_is_shown_again_with_what_was_typed_and_nothing_saved(client, db, office,
                                                                         changes, message):
    _, admin, _ = office
    sign_in(client, admin)

    response = client.post(f"{URL}/new", data={**FORM, **changes})

    assert response.status_code == 200
    assert message in text(response)
    assert 'value="300"' in text(response)
    assert types(db) == []


def test_the_edit_page_says_changes_apply_to_new_credits_only(client, db, office):
    community, admin, _ = office
    cleaning = factories.make_activity_type(db.session, community, name="环境卫生",
                                            daily_cap="40")
    sign_in(client, admin)

    html = text(client.get(f"{URL}/{cleaning.id}"))

    assert 'data-test="new-credits-only"' in html and "已经记入的积分" in html
    assert re.search(r'name="daily_cap"[^>]*value="40"', html)


def test_the_office_changes_a_type_and_the_log_keeps_before_and_after(client, db, office):
    community, admin, _ = office
    cleaning = factories.make_activity_type(db.session, community, name="环境卫生")
    sign_in(client, admin)

    client.post(f"{URL}/{cleaning.id}", data={**FORM, "name": "环境卫生", "points": "12"})

    db.session.expire_all()
    assert db.session.get(ActivityType, cleaning.id).points == Decimal("12")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activity_type.save"))
    assert (event.before["points"], event.after["points"]) == ("10", "12")


def test_the_office_stops_and_restarts_a_type(client, db, office):
    community, admin, _ = office
    cleaning = factories.make_activity_type(db.session, community, name="环境卫生")
    sign_in(client, admin)

    stopped = client.post(f"{URL}/{cleaning.id}/deactivate", follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(ActivityType, cleaning.id).active is False
    assert "已停用“环境卫生”" in text(stopped) and 'data-test="inactive"' in text(stopped)

    client.post(f"{URL}/{cleaning.id}/activate")
    db.session.expire_all()
    assert db.session.get(ActivityType, cleaning.id).active is True


def test_another_communitys_type_is_not_found(client, db, office):
    _, admin, _ = office
    other = factories.make_community(db.session, name="城口社区")
    theirs = factories.make_activity_type(db.session, other, name="环境卫生")
    sign_in(client, admin)

    assert client.get(f"{URL}/{theirs.id}").status_code == 404
    assert client.post(f"{URL}/{theirs.id}/deactivate").status_code == 404
    db.session.expire_all()
    assert db.session.get(ActivityType, theirs.id).active is True


def test_the_staff_home_links_to_the_rules(client, db, office):
    _, admin, _ = office
    sign_in(client, admin)

    assert 'data-test="activity-types-link"' in text(client.get("/staff"))
