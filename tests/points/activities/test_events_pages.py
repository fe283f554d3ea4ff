"""The staff pages of activities over HTTP: list, create (local times), edit a draft,
publish, cancel, the detail with sign-ups and waitlist; who may open what."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from points.activities.models import Activity
from points.audit.models import AuditEvent
from points.timeutil import LOCAL, local, utcnow
from tests import factories
from tests.factories import sign_in

TOMORROW = (utcnow() + timedelta(days=1)).astimezone(LOCAL).date()


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    grid = factories.make_grid(db.session, community, name="红星网格")
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    hourly = factories.make_activity_type(db.session, community, name="环境卫生", points="10")
    return community, grid, staff, hourly


def form_data(activity_type, **changes):
    day = TOMORROW.isoformat()
    data = {"type_id": str(activity_type.id), "title": "清洁家园", "place": "北新街小广场",
            "starts_at": f"{day}T09:00", "ends_at": f"{day}T11:00", "capacity": "5",
            "points": "", "hours": "", "grid_id": "", "checkin_opens_at": "",
            "checkin_closes_at": "", "description": "带好手套"}
    data.update(changes)
    return data


def text(response):
    return response.get_data(as_text=True)


def activities(db):
    return db.session.scalars(select(Activity)).all()


def test_a_resident_cannot_open_the_staff_pages(client, db, office):
    resident = factories.make_resident(db.session, office[0])
    sign_in(client, resident)

    assert client.get("/staff/activities").status_code == 403
    assert client.get("/staff/activities/new").status_code == 403


def test_staff_create_a_draft_in_local_time(client, db, office):
    community, _, staff, hourly = office
    sign_in(client, staff)

    response = client.post("/staff/activities/new", data=form_data(hourly))

    [activity] = activities(db)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/activities/{activity.id}")
    nine = datetime.combine(TOMORROW, datetime.min.time().replace(hour=9), tzinfo=LOCAL)
    assert activity.starts_at == nine.astimezone(timezone.utc)  # 09:00 in Chengdu is 01:00 UTC
    assert activity.status == "draft" and activity.created_by_id == staff.id
    page = text(client.get(response.headers["Location"]))
    assert "已保存“清洁家园”" in page and "发布，开始报名" in page
    assert "09:00–11:00" in page and "每小时 10 分，记 2 小时" in page


def test_a_refused_form_is_shown_again_with_the_reason_and_nothing_saved(client, db, office):
    community, _, staff, hourly = office
    sign_in(client, staff)
    day = TOMORROW.isoformat()

    response = client.post("/staff/activities/new",
                           data=form_data(hourly, ends_at=f"{day}T08:00"))

    assert response.status_code == 200
    assert "结束时间必须晚于开始时间" in text(response)
    assert 'value="清洁家园"' in text(response)  # what was typed is kept
    assert activities(db) == []


def test_an_empty_form_spells_out_what_is_missing(client, db, office):
    sign_in(client, office[2])

    response = client.post("/staff/activities/new", data={"type_id": str(office[3].id)})

    page = text(response)
    assert "请填写活动名称" in page and "请填写名额" in page and "请填写日期和时间" in page
    assert activities(db) == []


def test_the_form_page_offers_the_types_and_community_wide_or_a_grid(client, db, office):
    sign_in(client, office[2])

    page = text(client.get("/staff/activities/new"))

    assert "环境卫生（每小时 10 分）" in page and "全社区" in page and "红星网格" in page


def test_a_grid_worker_is_offered_only_their_grids(client, db, office):
    community, grid, _, _ = office
    factories.make_grid(db.session, community, name="白塔网格")
    worker = factories.make_user(db.session, community, "grid_worker", grids=[grid])
    sign_in(client, worker)

    page = text(client.get("/staff/activities/new"))

    assert "红星网格" in page and "白塔网格" not in page and "全社区" not in page


def test_publishing_and_cancelling_from_the_detail_page(client, db, office):
    community, _, staff, hourly = office
    sign_in(client, staff)
    client.post("/staff/activities/new", data=form_data(hourly))
    [activity] = activities(db)

    published = client.post(f"/staff/activities/{activity.id}/publish", follow_redirects=True)
    assert "居民现在可以报名了" in text(published) and "已发布" in text(published)

    cancelled = client.post(f"/staff/activities/{activity.id}/cancel", data={"reason": "暴雨"},
                            follow_redirects=True)
    assert "已通知报名和候补的人" in text(cancelled)
    db.session.expire_all()
    assert activities(db)[0].status == "cancelled"
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["activity.create", "activity.publish", "activity.cancel"]


def test_publishing_a_past_activity_is_refused_with_a_message(client, db, office):
    community, _, staff, hourly = office
    activity = factories.make_activity(db.session, community, hourly, status="draft",
                                       created_by=staff)
    sign_in(client, staff)

    response = client.post(f"/staff/activities/{activity.id}/publish",
                           headers={"Referer": f"/staff/activities/{activity.id}"},
                           follow_redirects=True)

    assert "活动开始时间已经过了，不能发布" in text(response)
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).status == "draft"


def test_editing_a_draft_shows_its_values_and_saves_changes(client, db, office):
    community, _, staff, hourly = office
    sign_in(client, staff)
    client.post("/staff/activities/new", data=form_data(hourly))
    [activity] = activities(db)

    page = text(client.get(f"/staff/activities/{activity.id}/edit"))
    assert 'value="清洁家园"' in page and f'value="{TOMORROW.isoformat()}T09:00"' in page
    response = client.post(f"/staff/activities/{activity.id}/edit",
                           data=form_data(hourly, title="清洁家园（改）", capacity="9"))

    assert response.status_code == 302
    db.session.expire_all()
    assert (activities(db)[0].title, activities(db)[0].capacity) == ("清洁家园（改）", 9)


def test_the_list_shows_counts_and_the_detail_shows_sign_ups_and_waitlist(client, db, office):
    community, _, staff, hourly = office
    activity = factories.make_activity(db.session, community, hourly, capacity=1,
                                       starts_at=utcnow() + timedelta(days=2), created_by=staff)
    first = factories.make_resident(db.session, community, name="王秀英")
    second = factories.make_resident(db.session, community, name="李大爷")
    factories.make_signup(db.session, activity, first)
    factories.make_signup(db.session, activity, second, status="waitlisted")
    sign_in(client, staff)

    listed = text(client.get("/staff/activities"))
    detail = text(client.get(f"/staff/activities/{activity.id}"))

    assert "清洁家园" in listed and "1 / 1 人" in listed
    assert "已报名（1 / 1 人）" in detail and "候补（1 人）" in detail
    assert detail.index("王秀英") < detail.index("李大爷")
    assert first.phone not in detail  # phones masked


def test_past_activities_are_on_their_own_tab(client, db, office):
    community, _, staff, hourly = office
    factories.make_activity(db.session, community, hourly, title="上周的清洁", created_by=staff,
                            starts_at=utcnow() - timedelta(days=7))
    sign_in(client, staff)

    assert "上周的清洁" not in text(client.get("/staff/activities"))
    assert "上周的清洁" in text(client.get("/staff/activities?when=past"))


def test_another_grids_activity_is_not_found_for_a_grid_worker(client, db, office):
    community, grid, staff, hourly = office
    elsewhere = factories.make_grid(db.session, community, name="白塔网格")
    activity = factories.make_activity(db.session, community, hourly, grid_id=elsewhere.id,
                                       created_by=staff)
    worker = factories.make_user(db.session, community, "grid_worker", grids=[grid])
    sign_in(client, worker)

    assert client.get(f"/staff/activities/{activity.id}").status_code == 404
    assert client.post(f"/staff/activities/{activity.id}/cancel").status_code == 404


def test_the_detail_links_to_check_in_once_published(client, db, office):
    community, _, staff, hourly = office
    draft = factories.make_activity(db.session, community, hourly, status="draft",
                                    created_by=staff)
    published = factories.make_activity(db.session, community, hourly, created_by=staff)
    sign_in(client, staff)

    assert 'data-test="checkin-desk"' not in text(client.get(f"/staff/activities/{draft.id}"))
    page = text(client.get(f"/staff/activities/{published.id}"))
    assert f"/staff/activities/{published.id}/checkin" in page


def test_times_on_the_pages_are_local(client, db, office):
    community, _, staff, hourly = office
    start = datetime.combine(TOMORROW, datetime.min.time().replace(hour=14), tzinfo=LOCAL)
    activity = factories.make_activity(db.session, community, hourly, created_by=staff,
                                       starts_at=start.astimezone(timezone.utc))
    sign_in(client, staff)

    page = text(client.get(f"/staff/activities/{activity.id}"))

    assert f"{local(activity.starts_at).month}月{TOMORROW.day}日" in page
    assert "14:00–16:00" in page


def test_district_admin_chooses_a_community_first(client, db, office):
    admin = factories.make_user(db.session, None, "district_admin")
    sign_in(client, admin)

    response = client.get("/staff/activities")

    assert response.status_code == 302 and "/staff/residents/community" in response.headers["Location"]


def test_nothing_is_written_by_a_get(client, db, office):
    sign_in(client, office[2])
    client.get("/staff/activities/new")

    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
