"""``GET /api/v1/me/progress``, the level in ``GET /api/v1/me/balance``, and
``POST /api/v1/credits/{id}/reverse`` (office staff only), refusals included."""
from decimal import Decimal

import pytest
from flask_babel import refresh
from sqlalchemy import select

from points import months
from points.earning.models import Credit
from points.gamification.models import BadgeAward
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import bearer
from tests.points.gamification.progress_setting import (balance, credit, make_setting,
                                                        snapshot, standing_awards)

PROGRESS_URL = "/api/v1/me/progress"
BALANCE_URL = "/api/v1/me/balance"


def reverse_url(credit_id):
    return f"/api/v1/credits/{credit_id}/reverse"


@pytest.fixture
def setting(db):
    return make_setting(db.session)


def today():
    return local(utcnow()).date()


def earn(db, setting, user, points="10", day=None, activity_type=None):
    return credit(db.session, user, points, day=day or today(),
                  activity_type=activity_type or setting.cleaning, now=utcnow())


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- GET /api/v1/me/progress ------------------------------------------------------------

def test_a_newcomer_is_at_the_first_level_with_every_badge_to_earn(client, db, setting):
    body = client.get(PROGRESS_URL, headers=bearer(client, setting.resident)).get_json()

    assert body["level"] == {"number": 1, "name": "志愿新星", "threshold": "0", "points": "0",
                             "percent": 0, "next": {"number": 2, "name": "志愿能手",
                                                    "threshold": "100", "points_to_go": "100"}}
    assert body["streak"] == {"current": 0, "best": 0}
    assert body["badges"]["earned"] == []
    assert len(body["badges"]["locked"]) == 13
    assert body["badges"]["locked"][0] == {
        "code": "first_activity", "name": "初次参与", "description": "第一次志愿服务被记入积分",
        "icon": "初", "value": "0", "target": 1, "percent": 0}


def test_progress_shows_the_level_streak_and_what_earned_each_badge(client, db, setting):
    first = earn(db, setting, setting.resident, "70", day=today().replace(day=1))
    earn(db, setting, setting.resident, "50")

    response = client.get(PROGRESS_URL, headers=bearer(client, setting.resident))

    assert response.status_code == 200
    body = response.get_json()
    assert body["level"] == {"number": 2, "name": "志愿能手", "threshold": "100", "points": "120",
                             "percent": 5, "next": {"number": 3, "name": "志愿达人",
                                                    "threshold": "500", "points_to_go": "380"}}
    assert body["streak"] == {"current": 1, "best": 1}
    [earned] = body["badges"]["earned"]
    assert (earned["code"], earned["name"], earned["icon"]) == ("first_activity", "初次参与", "初")
    assert earned["earned_by"] == {"credit": {"id": first.id, "work_day": first.work_day.isoformat(),
                                              "type": "环境卫生", "points": "70"}, "month": None}
    assert earned["awarded_at"].endswith("+00:00")
    locked = {badge["code"]: badge for badge in body["badges"]["locked"]}
    assert (locked["activities_10"]["value"], locked["activities_10"]["target"],
            locked["activities_10"]["percent"]) == ("2", 10, 20)
    assert "first_activity" not in locked


def test_a_streak_badge_names_the_month_that_completed_the_run(client, db, setting):
    this_month = months.first_day(months.month_of(today()))
    for first_day in (months.preceding(months.preceding(this_month)), months.preceding(this_month),
                      this_month):
        earn(db, setting, setting.resident, day=first_day)

    body = client.get(PROGRESS_URL, headers=bearer(client, setting.resident)).get_json()

    earned = {badge["code"]: badge for badge in body["badges"]["earned"]}
    assert earned["streak_3"]["earned_by"] == {"credit": None,
                                               "month": months.month_of(this_month)}
    assert body["streak"] == {"current": 3, "best": 3}


def test_hours_are_shown_as_a_decimal_string(client, db, setting):
    credit(db.session, setting.resident, "15", day=today(), activity_type=setting.cleaning,
           hours="1.5", now=utcnow())

    body = client.get(PROGRESS_URL, headers=bearer(client, setting.resident)).get_json()

    hours = next(badge for badge in body["badges"]["locked"] if badge["code"] == "hours_100")
    assert (hours["value"], hours["target"], hours["percent"]) == ("1.5", 100, 1)


def test_progress_follows_accept_language(client, db, setting):
    earn(db, setting, setting.resident)

    body = client.get(PROGRESS_URL, headers={**bearer(client, setting.resident),
                                             "Accept-Language": "en"}).get_json()

    assert body["level"]["name"] == "Rising Volunteer"
    assert body["badges"]["earned"][0]["name"] == "First Step"


def test_progress_needs_a_token_and_a_wallet(client, db, setting):
    assert error_of(client.get(PROGRESS_URL))["code"] == "not_signed_in"
    refused = client.get(PROGRESS_URL, headers=bearer(client, setting.staff))
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"


# --- GET /api/v1/me/balance: the level ----------------------------------------------------

def test_the_balance_carries_the_level_number_and_name(client, db, setting):
    earn(db, setting, setting.resident, "100")

    headers = bearer(client, setting.resident)

    body = client.get(BALANCE_URL, headers=headers).get_json()
    refresh()  # the tests' requests share one app context, where Babel keeps the locale
    english = client.get(BALANCE_URL, headers={**headers, "Accept-Language": "en"}).get_json()

    assert body == {"points": "100", "held": "0", "lifetime_earned": "100", "level": 2,
                    "level_name": "志愿能手"}
    assert (english["level"], english["level_name"]) == (2, "Skilled Volunteer")


# --- POST /api/v1/credits/{id}/reverse ------------------------------------------------------

def test_office_staff_reverse_a_credit_and_get_its_reversed_state(client, db, setting):
    earn(db, setting, setting.resident, "60")
    mistaken = earn(db, setting, setting.resident, "40")

    response = client.post(reverse_url(mistaken.id), json={"reason": "照片不是这次活动的"},
                           headers=bearer(client, setting.staff))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["user_id"], body["points"], body["reversed"], body["reversed_by_id"],
            body["reversal_reason"]) == (mistaken.id, setting.resident.id, "40", True,
                                         setting.staff.id, "照片不是这次活动的")
    assert body["type"] == {"id": setting.cleaning.id, "name": "环境卫生"}
    assert body["reversed_at"].endswith("+00:00")
    assert balance(db.session, setting.resident) == Decimal(60)
    after = client.get(PROGRESS_URL, headers=bearer(client, setting.resident)).get_json()
    assert (after["level"]["number"], after["level"]["points"]) == (1, "60")


def test_reversing_the_only_credit_revokes_its_badge(client, db, setting):
    only = earn(db, setting, setting.resident)

    client.post(reverse_url(only.id), json={"reason": "重复记分"}, headers=bearer(client, setting.staff))

    assert standing_awards(db.session, setting.resident) == []
    body = client.get(PROGRESS_URL, headers=bearer(client, setting.resident)).get_json()
    assert body["badges"]["earned"] == []


@pytest.mark.parametrize("who", ["worker", "resident"])
def test_grid_workers_and_residents_may_not_reverse(client, db, setting, who):
    mistaken = earn(db, setting, setting.neighbour, "30")
    before = snapshot(db.session)

    response = client.post(reverse_url(mistaken.id), json={"reason": "看错了"},
                           headers=bearer(client, getattr(setting, who)))

    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert snapshot(db.session) == before
    assert balance(db.session, setting.neighbour) == Decimal(30)


def test_a_credit_of_another_community_is_not_found(client, db, setting):
    credit_id = earn(db, setting, setting.neighbour, "30").id
    before = snapshot(db.session)
    headers = bearer(client, setting.far_staff)
    db.session.expunge_all()  # as a request's own session: the credit is not loaded yet

    response = client.post(reverse_url(credit_id), json={"reason": "看错了"}, headers=headers)

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert snapshot(db.session) == before


def test_an_unknown_credit_is_not_found(client, db, setting):
    response = client.post(reverse_url(987654), json={"reason": "看错了"},
                           headers=bearer(client, setting.staff))

    assert response.status_code == 404


def test_reversing_twice_is_a_conflict(client, db, setting):
    mistaken = earn(db, setting, setting.resident, "30")
    headers = bearer(client, setting.staff)
    first = client.post(reverse_url(mistaken.id), json={"reason": "看错了"}, headers=headers)
    assert first.status_code == 200
    before = snapshot(db.session)

    again = client.post(reverse_url(mistaken.id), json={"reason": "再撤一次"}, headers=headers)

    assert again.status_code == 409 and error_of(again)["code"] == "already_reversed"
    assert error_of(again)["message"] == "这笔积分已经撤销过了"
    assert snapshot(db.session) == before


def test_spent_points_cannot_be_reversed(client, db, setting):
    mistaken = earn(db, setting, setting.resident, "100")
    shop = factories.make_merchant(db.session, setting.community)
    factories.make_redemption(db.session, setting.resident, shop, "80", utcnow())
    before = snapshot(db.session)

    response = client.post(reverse_url(mistaken.id), json={"reason": "看错了"},
                           headers=bearer(client, setting.staff))

    assert response.status_code == 422 and error_of(response)["code"] == "insufficient_points"
    assert snapshot(db.session) == before
    assert db.session.get(Credit, mistaken.id, populate_existing=True).reversed_at is None


@pytest.mark.parametrize(("body", "code"), [
    ({}, "invalid_input"), ({"reason": ""}, "invalid_input"), ({"reason": "长" * 201}, "invalid_input"),
    ({"reason": "   "}, "reason_required"), ({"reason": 12}, "invalid_input")])
def test_a_reason_is_required(client, db, setting, body, code):
    mistaken = earn(db, setting, setting.resident, "30")
    before = snapshot(db.session)

    response = client.post(reverse_url(mistaken.id), json=body, headers=bearer(client, setting.staff))

    assert response.status_code == 422 and error_of(response)["code"] == code
    assert snapshot(db.session) == before


def test_reversal_needs_a_token(client, db, setting):
    mistaken = earn(db, setting, setting.resident, "30")

    response = client.post(reverse_url(mistaken.id), json={"reason": "看错了"})

    assert response.status_code == 401
    assert db.session.scalar(select(BadgeAward.revoked_at)) is None


def test_the_openapi_document_lists_the_progress_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert spec["paths"][PROGRESS_URL]["get"]["security"] == [{"bearer": []}]
    assert "/api/v1/credits/{credit_id}/reverse" in spec["paths"]
    balance_schema = spec["components"]["schemas"]["BalanceOut"]["properties"]
    assert {"level", "level_name"} <= set(balance_schema)
