"""The events API over HTTP (DESIGN's contract rows ``GET /api/v1/events`` and
``POST /api/v1/events/{id}/signups``, plus one event, withdrawing, and staff creating and
publishing): statuses, shapes, decimal strings, and refusals that change nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.activities.models import Activity, SignUp
from points.residents import services as residents
from points.timeutil import LOCAL, utcnow
from tests import factories
from tests.factories import bearer

EVENTS = "/api/v1/events"


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] and body["error"]["message"], body
    return body["error"]


@pytest.fixture
def community(db):
    return factories.make_community(db.session)


@pytest.fixture
def activity(db, community):
    """Published, starts tomorrow, one place, 10 points an hour for 2 hours."""
    return factories.make_activity(db.session, community, capacity=1,
                                   starts_at=utcnow() + timedelta(days=1))


@pytest.fixture
def resident(db, community):
    return factories.make_resident(db.session, community, name="王秀英")


def signups(db, activity=None):
    db.session.expire_all()
    stmt = select(SignUp)
    if activity is not None:
        stmt = stmt.where(SignUp.activity_id == activity.id)
    return db.session.scalars(stmt).all()


# --- GET /api/v1/events ------------------------------------------------------------------

def test_listing_events_needs_a_token(client, activity):
    response = client.get(EVENTS)

    assert response.status_code == 401 and error_of(response)["code"] == "not_signed_in"


def test_events_list_published_upcoming_events_with_places_points_and_my_status(
        client, db, community, activity, resident):
    factories.make_activity(db.session, community, title="草稿", status="draft",
                            starts_at=utcnow() + timedelta(days=1))
    factories.make_activity(db.session, factories.make_community(db.session), title="别处",
                            starts_at=utcnow() + timedelta(days=1))
    headers = bearer(client, resident)

    response = client.get(EVENTS, headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["next_page"] is None
    [event] = body["events"]
    assert event["id"] == activity.id and event["title"] == "清洁家园"
    assert event["type"]["unit"] == "hour" and event["type"]["name"].startswith("环境卫生")
    assert event["place"] == "北新街小广场" and event["capacity"] == 1
    assert event["places_left"] == 1 and event["signed_up"] == 0 and event["waitlisted"] == 0
    assert event["points"] == "10" and isinstance(event["points"], str)
    assert event["hours"] == "2" and event["status"] == "published"
    assert event["my_status"] is None and event["my_position"] is None
    assert event["starts_at"].endswith("+00:00")


def test_my_status_and_position_show_in_the_list(client, db, community, activity, resident):
    factories.make_signup(db.session, activity, factories.make_resident(db.session, community))
    factories.make_signup(db.session, activity, resident, status="waitlisted")

    [event] = client.get(EVENTS, headers=bearer(client, resident)).get_json()["events"]

    assert (event["my_status"], event["my_position"], event["places_left"]) == ("waitlisted", 1, 0)


def test_the_list_pages(client, db, community, resident):
    for day in range(1, 4):
        factories.make_activity(db.session, community, title=f"第{day}天",
                                starts_at=utcnow() + timedelta(days=day))
    headers = bearer(client, resident)

    first = client.get(f"{EVENTS}?limit=2", headers=headers).get_json()
    second = client.get(f"{EVENTS}?limit=2&page={first['next_page']}", headers=headers).get_json()

    assert [e["title"] for e in first["events"]] == ["第1天", "第2天"]
    assert [e["title"] for e in second["events"]] == ["第3天"] and second["next_page"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=0", "page=abc",
                                   "acting_for=99999999999"])
def test_bad_list_queries_are_422(client, db, resident, query):
    response = client.get(f"{EVENTS}?{query}", headers=bearer(client, resident))

    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"


# --- GET /api/v1/events/{id} ------------------------------------------------------------------

def test_one_event(client, db, activity, resident):
    response = client.get(f"{EVENTS}/{activity.id}", headers=bearer(client, resident))

    assert response.status_code == 200 and response.get_json()["id"] == activity.id


def test_a_draft_an_unknown_or_another_communitys_event_is_404(client, db, community, resident):
    draft = factories.make_activity(db.session, community, status="draft")
    foreign = factories.make_activity(db.session, factories.make_community(db.session))
    headers = bearer(client, resident)

    for event_id in (draft.id, foreign.id, 999999, 2**31, 10**20):
        response = client.get(f"{EVENTS}/{event_id}", headers=headers)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_staff_see_a_draft_in_their_reach(client, db, community):
    staff = factories.make_user(db.session, community, "staff")
    draft = factories.make_activity(db.session, community, status="draft", created_by=staff)

    response = client.get(f"{EVENTS}/{draft.id}", headers=bearer(client, staff))

    assert response.status_code == 200 and response.get_json()["status"] == "draft"


# --- POST /api/v1/events/{id}/signups ----------------------------------------------------------

def test_signing_up_is_201_with_the_sign_up(client, db, activity, resident):
    response = client.post(f"{EVENTS}/{activity.id}/signups", headers=bearer(client, resident))

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "signed_up" and body["position"] is None
    assert body["event_id"] == activity.id and body["user_id"] == resident.id
    assert body["proxy_id"] is None and body["cancelled_at"] is None
    assert [s.user_id for s in signups(db, activity)] == [resident.id]


def test_a_full_event_puts_you_on_the_waitlist_with_your_position(client, db, community,
                                                                  activity, resident):
    factories.make_signup(db.session, activity, factories.make_resident(db.session, community))

    response = client.post(f"{EVENTS}/{activity.id}/signups", headers=bearer(client, resident))

    assert response.status_code == 201
    assert (response.get_json()["status"], response.get_json()["position"]) == ("waitlisted", 1)


def test_signing_up_twice_is_409_and_changes_nothing(client, db, activity, resident):
    headers = bearer(client, resident)
    client.post(f"{EVENTS}/{activity.id}/signups", headers=headers)

    response = client.post(f"{EVENTS}/{activity.id}/signups", headers=headers)

    assert response.status_code == 409 and error_of(response)["code"] == "already_signed_up"
    assert error_of(response)["message"] == "您已经报名了这个活动"
    assert len(signups(db, activity)) == 1


def test_signing_up_after_the_start_is_422(client, db, community, resident):
    started = factories.make_activity(db.session, community)

    response = client.post(f"{EVENTS}/{started.id}/signups", headers=bearer(client, resident))

    assert response.status_code == 422 and error_of(response)["code"] == "signups_closed"
    assert signups(db) == []


def test_signing_up_for_an_unknown_or_another_communitys_event_is_404(client, db, resident):
    foreign = factories.make_activity(db.session, factories.make_community(db.session),
                                      starts_at=utcnow() + timedelta(days=1))
    headers = bearer(client, resident)

    for event_id in (foreign.id, 999999, 2**63):
        response = client.post(f"{EVENTS}/{event_id}/signups", headers=headers)
        assert response.status_code == 404
    assert signups(db) == []


def test_staff_cannot_sign_up(client, db, community, activity):
    staff = factories.make_user(db.session, community, "staff")

    response = client.post(f"{EVENTS}/{activity.id}/signups", headers=bearer(client, staff))

    assert response.status_code == 403 and signups(db) == []


def test_a_proxy_signs_up_the_resident_by_acting_for(client, db, community, activity):
    mother = factories.make_resident(db.session, community, name="王奶奶")
    son = factories.make_resident(db.session, community, name="王小明")
    staff = factories.make_user(db.session, community, "staff")
    residents.grant_proxy(db.session, actor=staff, community=community, resident_id=mother.id,
                          proxy_phone=son.phone, now=utcnow())
    headers = bearer(client, son)

    response = client.post(f"{EVENTS}/{activity.id}/signups", json={"acting_for": mother.id},
                           headers=headers)
    listed = client.get(f"{EVENTS}?acting_for={mother.id}", headers=headers).get_json()

    assert response.status_code == 201
    assert (response.get_json()["user_id"], response.get_json()["proxy_id"]) == (mother.id, son.id)
    assert listed["events"][0]["my_status"] == "signed_up"


def test_acting_for_without_a_grant_is_403(client, db, community, activity, resident):
    stranger = factories.make_resident(db.session, community)

    response = client.post(f"{EVENTS}/{activity.id}/signups", json={"acting_for": resident.id},
                           headers=bearer(client, stranger))

    assert response.status_code == 403 and signups(db) == []


def test_a_body_that_is_not_json_is_415(client, db, activity, resident):
    response = client.post(f"{EVENTS}/{activity.id}/signups", data="acting_for=1",
                           headers={**bearer(client, resident),
                                    "Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 415 and signups(db) == []


# --- DELETE /api/v1/events/{id}/signups/me -------------------------------------------------------

def test_withdrawing_returns_the_cancelled_sign_up_and_promotes_the_next(client, db, community,
                                                                         activity, resident):
    waiting = factories.make_resident(db.session, community)
    headers = bearer(client, resident)
    client.post(f"{EVENTS}/{activity.id}/signups", headers=headers)
    factories.make_signup(db.session, activity, waiting, status="waitlisted")

    response = client.delete(f"{EVENTS}/{activity.id}/signups/me", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancelled_at"] and body["promoted"] == 1
    assert {s.user_id: s.status for s in signups(db, activity)} == {
        resident.id: "cancelled", waiting.id: "signed_up"}


def test_withdrawing_without_a_sign_up_is_404(client, db, activity, resident):
    response = client.delete(f"{EVENTS}/{activity.id}/signups/me",
                             headers=bearer(client, resident))

    assert response.status_code == 404 and error_of(response)["code"] == "signup_not_found"


def test_withdrawing_after_the_start_is_422_and_changes_nothing(client, db, community, resident):
    started = factories.make_activity(db.session, community)
    factories.make_signup(db.session, started, resident)

    response = client.delete(f"{EVENTS}/{started.id}/signups/me", headers=bearer(client, resident))

    assert response.status_code == 422 and error_of(response)["code"] == "cancel_after_start"
    assert signups(db, started)[0].status == "signed_up"


# --- staff: POST /api/v1/events and /publish -------------------------------------------------------

@pytest.fixture
def staff(db, community):
    return factories.make_user(db.session, community, "staff", name="陈主任")


def new_event(activity_type, **changes):
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    body = {"type_id": activity_type.id, "title": "敬老助老", "place": "社区活动中心",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 10}
    body.update(changes)
    return body


def test_staff_create_a_draft_and_publish_it(client, db, community, staff):
    activity_type = factories.make_activity_type(db.session, community, points="10")
    headers = bearer(client, staff)

    created = client.post(EVENTS, json=new_event(activity_type, points="12"), headers=headers)

    assert created.status_code == 201
    event = created.get_json()
    assert event["status"] == "draft" and event["points"] == "12" and event["hours"] == "2"
    published = client.post(f"{EVENTS}/{event['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    again = client.post(f"{EVENTS}/{event['id']}/publish", headers=headers)
    assert again.status_code == 422 and error_of(again)["code"] == "activity_not_draft"


def test_times_with_an_offset_are_stored_as_utc(client, db, community, staff):
    activity_type = factories.make_activity_type(db.session, community)
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    local_start = start.astimezone(LOCAL)

    created = client.post(EVENTS, json=new_event(
        activity_type, starts_at=local_start.isoformat(),
        ends_at=(local_start + timedelta(hours=1)).isoformat()), headers=bearer(client, staff))

    assert created.status_code == 201
    assert db.session.get(Activity, created.get_json()["id"]).starts_at == start


@pytest.mark.parametrize("changes, code", [
    ({"points": 1.5}, "invalid_input"),
    ({"points": "1.5"}, "invalid_points"),
    ({"capacity": 0}, "invalid_input"),
    ({"capacity": "5"}, "invalid_input"),
    ({"starts_at": "2026-12-01T09:00:00"}, "invalid_input"),  # no zone
    ({"title": ""}, "invalid_input"),
    ({"ends_at": None}, "invalid_input"),
    ({"type_id": 999999}, "not_found"),
])
def test_bad_new_events_are_refused_and_nothing_is_written(client, db, community, staff, changes,
                                                           code):
    activity_type = factories.make_activity_type(db.session, community)

    response = client.post(EVENTS, json=new_event(activity_type, **changes),
                           headers=bearer(client, staff))

    assert error_of(response)["code"] == code
    assert response.status_code == (404 if code == "not_found" else 422)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_ends_before_start_is_422(client, db, community, staff):
    activity_type = factories.make_activity_type(db.session, community)
    body = new_event(activity_type)
    body["ends_at"] = body["starts_at"]

    response = client.post(EVENTS, json=body, headers=bearer(client, staff))

    assert response.status_code == 422 and error_of(response)["code"] == "ends_before_start"


def test_residents_cannot_create_or_publish(client, db, community, activity, resident):
    activity_type = factories.make_activity_type(db.session, community)
    headers = bearer(client, resident)

    assert client.post(EVENTS, json=new_event(activity_type), headers=headers).status_code == 403
    assert client.post(f"{EVENTS}/{activity.id}/publish", headers=headers).status_code == 403


def test_publishing_another_communitys_event_is_404(client, db, staff):
    foreign = factories.make_activity(db.session, factories.make_community(db.session),
                                      status="draft", starts_at=utcnow() + timedelta(days=1))

    response = client.post(f"{EVENTS}/{foreign.id}/publish", headers=bearer(client, staff))

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Activity, foreign.id).status == "draft"


def test_the_openapi_spec_lists_the_event_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/events"])
    assert "post" in paths["/api/v1/events/{event_id}/signups"]
    assert "delete" in paths["/api/v1/events/{event_id}/signups/me"]
    assert "post" in paths["/api/v1/events/{event_id}/publish"]
