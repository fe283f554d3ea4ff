"""The check-in and attendance API over HTTP: POST/GET ``/api/v1/events/{id}/checkins``,
POST ``/api/v1/events/{id}/attendance`` and GET ``/api/v1/me/card``."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.activities import checkin, checkin_rules, checkin_views
from points.activities.models import CheckIn
from points.codes import check_char, display
from points.earning.models import Credit
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer


@pytest.fixture
def place(db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    kind = factories.make_activity_type(db.session, community, unit="hour", points="10",
                                        daily_cap="40")
    activity = factories.make_activity(db.session, community, kind, created_by=staff)
    resident = factories.make_resident(db.session, community, name="王秀英")
    factories.make_signup(db.session, activity, resident)
    card = checkin.card_of(db.session, resident, now=utcnow())
    return community, staff, activity, resident, card


def url(activity, what="checkins"):
    return f"/api/v1/events/{activity.id}/{what}"


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def checkins(db):
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def token_now(activity, now=None):
    return checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                        checkin_rules.slot_of(now or utcnow()))


def test_staff_check_in_by_member_code_201(client, db, place):
    _, staff, activity, resident, card = place

    response = client.post(url(activity), json={"code": display(card.code)},
                           headers=bearer(client, staff))

    assert response.status_code == 201
    body = response.get_json()
    assert (body["user_id"], body["name"], body["method"], body["walk_in"]) == (
        resident.id, "王秀英", "member", False)
    assert body["activity_id"] == activity.id and body["at"].endswith("+00:00")


def test_the_scanned_text_works_and_the_second_time_is_409(client, db, place):
    _, staff, activity, _, card = place
    headers = bearer(client, staff)
    client.post(url(activity), json={"code": card.code}, headers=headers)

    response = client.post(url(activity), json={"code": f"JFM:{card.code}"}, headers=headers)

    assert response.status_code == 409
    assert error_of(response) == {"code": "already_checked_in", "message": "已经签到过了"}
    assert checkins(db) == 1


@pytest.mark.parametrize("code, status, error", [
    ("K7QM2XHD4", 422, "bad_check_character"),
    ("K7QM", 422, "bad_member_code"),
    ("https://x/v/abc", 422, "not_a_member_code"),
    ("ABCDEFGH" + check_char("ABCDEFGH"), 404, "member_card_not_found"),
])
def test_bad_member_codes(client, db, place, code, status, error):
    _, staff, activity, _, _ = place

    response = client.post(url(activity), json={"code": code}, headers=bearer(client, staff))

    assert response.status_code == status and error_of(response)["code"] == error
    assert checkins(db) == 0


def test_outside_the_window_is_422(client, db, place):
    community, staff, _, _, card = place
    later = factories.make_activity(db.session, community, created_by=staff,
                                    starts_at=utcnow() + timedelta(days=1))

    response = client.post(url(later), json={"code": card.code}, headers=bearer(client, staff))

    assert response.status_code == 422 and error_of(response)["code"] == "checkin_not_open"
    assert "签到还没开始" in error_of(response)["message"]


def test_an_unknown_event_is_404(client, db, place):
    _, staff, _, _, card = place

    response = client.post("/api/v1/events/999999/checkins", json={"code": card.code},
                           headers=bearer(client, staff))

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_resident_checks_in_with_the_rotating_token(client, db, place):
    _, _, activity, resident, _ = place

    response = client.post(url(activity), json={"token": token_now(activity)},
                           headers=bearer(client, resident))

    assert response.status_code == 201
    body = response.get_json()
    assert (body["user_id"], body["method"]) == (resident.id, "rotating")


def test_an_old_token_is_422(client, db, place):
    _, _, activity, resident, _ = place
    old = token_now(activity, utcnow() - timedelta(seconds=60))

    response = client.post(url(activity), json={"token": old}, headers=bearer(client, resident))

    assert response.status_code == 422
    assert error_of(response) == {"code": "checkin_code_expired",
                                  "message": "二维码已过期，请重新扫描屏幕上的二维码"}
    assert checkins(db) == 0


def test_a_resident_cannot_check_in_by_member_code_nor_send_both(client, db, place):
    _, _, activity, resident, card = place
    headers = bearer(client, resident)

    assert client.post(url(activity), json={"code": card.code}, headers=headers).status_code == 403
    both = client.post(url(activity), json={"code": card.code, "token": "1-2"}, headers=headers)
    assert both.status_code == 422 and error_of(both)["code"] == "invalid_input"
    assert client.post(url(activity), json={}, headers=headers).status_code == 422
    assert client.post(url(activity), json={"code": card.code}).status_code == 401
    assert checkins(db) == 0


def test_typed_codes_over_the_api_are_rate_limited_per_staff_member(client, db, place):
    _, staff, activity, _, _ = place
    headers = bearer(client, staff)
    limit = int(checkin_views.MEMBER_CODE_LIMIT.split()[0])

    statuses = [client.post(url(activity), json={"code": "K7QM2XHD4"}, headers=headers).status_code
                for _ in range(limit + 1)]

    assert statuses[-1] == 429 and set(statuses[:-1]) == {422}
    assert error_of(client.post(url(activity), json={"code": "K7QM2XHD4"},
                                headers=headers))["code"] == "too_many_requests"


def test_staff_list_the_check_ins(client, db, place):
    community, staff, activity, resident, card = place
    headers = bearer(client, staff)
    client.post(url(activity), json={"code": card.code}, headers=headers)

    response = client.get(url(activity), headers=headers)

    assert response.status_code == 200
    [row] = response.get_json()["checkins"]
    assert (row["user_id"], row["walk_in"]) == (resident.id, False)
    assert client.get(url(activity), headers=bearer(client, resident)).status_code == 403


def test_confirming_attendance_returns_each_credit_once(client, db, place):
    community, staff, activity, resident, card = place
    zhao = factories.make_resident(db.session, community, name="赵大爷")
    headers = bearer(client, staff)
    for code in (card.code, checkin.card_of(db.session, zhao, now=utcnow()).code):
        client.post(url(activity), json={"code": code}, headers=headers)
    body = {"attendees": [{"user_id": resident.id}, {"user_id": zhao.id, "hours": "5"}]}

    response = client.post(url(activity, "attendance"), json=body, headers=headers)

    assert response.status_code == 200
    result = response.get_json()
    assert (result["activity_id"], result["status"], result["points"]) == (
        activity.id, "confirmed", "60")
    assert result["credits"] == [
        {"user_id": resident.id, "name": "王秀英", "hours": "2", "points": "20",
         "points_before_cap": "20", "cut_by": "0", "cut_by_cap": False},
        {"user_id": zhao.id, "name": "赵大爷", "hours": "5", "points": "40",
         "points_before_cap": "50", "cut_by": "10", "cut_by_cap": True},
    ]
    again = client.post(url(activity, "attendance"), json=body, headers=headers)
    assert again.status_code == 409
    assert error_of(again)["code"] == "attendance_already_confirmed"
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 2


@pytest.mark.parametrize("body, field", [
    ({"attendees": [{"user_id": "x"}]}, "attendees"),
    ({"attendees": [{"hours": "2"}]}, "attendees"),
    ({"attendees": [{"user_id": 1, "hours": True}]}, "attendees"),
    ({}, "attendees"),
])
def test_a_malformed_attendance_body_is_422(client, db, place, body, field):
    _, staff, activity, _, _ = place

    response = client.post(url(activity, "attendance"), json=body, headers=bearer(client, staff))

    assert response.status_code == 422 and field in error_of(response)["fields"]["json"]


def test_someone_neither_checked_in_nor_signed_up_is_refused(client, db, place):
    community, staff, activity, _, _ = place
    stranger = factories.make_resident(db.session, community)

    response = client.post(url(activity, "attendance"),
                           json={"attendees": [{"user_id": stranger.id}]},
                           headers=bearer(client, staff))

    assert response.status_code == 422 and error_of(response)["code"] == "not_on_the_list"
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


def test_hours_as_a_json_number_are_accepted(client, db, place):
    _, staff, activity, resident, _ = place

    response = client.post(url(activity, "attendance"),
                           json={"attendees": [{"user_id": resident.id, "hours": 1.5}]},
                           headers=bearer(client, staff))

    assert response.status_code == 200 and response.get_json()["credits"][0]["points"] == "15"


def test_my_card_gives_the_member_code(client, db, place):
    resident, card = place[3], place[4]

    response = client.get("/api/v1/me/card", headers=bearer(client, resident))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["code"], body["display"], body["qr_text"]) == (
        card.code, display(card.code), f"JFM:{card.code}")
    assert client.get("/api/v1/me/card", headers=bearer(client, place[1])).status_code == 403
