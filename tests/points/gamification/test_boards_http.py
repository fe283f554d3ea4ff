"""Every leaderboard page and endpoint by HTTP, with their refusals: ``/leaderboard``,
``/leaderboard/grids``, ``/me/leaderboard``, the public ``/honour/<code>``, and
``/api/v1/leaderboard``, ``/api/v1/leaderboard/grids``, ``PUT /api/v1/me/leaderboard``.
The data is dated now (the pages show the current month)."""
import re

import pytest
from sqlalchemy import func, select

from points import months
from points.audit.models import AuditEvent
from points.auth.models import User
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer, sign_in
from tests.points.gamification.test_boards import make_world, score


@pytest.fixture
def world(db):
    return make_world(db.session, now=utcnow())


def page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def audit_count(session):
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "user.leaderboard"))


def choice_of(session, user):
    session.expire_all()
    return session.get(User, user.id).leaderboard


# --- /leaderboard -----------------------------------------------------------------------

def test_the_leaderboard_needs_a_sign_in(client, world):
    for url in ("/leaderboard", "/leaderboard/grids", "/me/leaderboard"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_resident_sees_their_rank_card_on_top_and_the_masked_board(client, world):
    sign_in(client, world.zhao)

    status, body = page(client, "/leaderboard")

    assert status == 200
    card = body.index('data-test="my-rank"')
    assert card < body.index('data-test="board"')
    assert "第 2 名" in body and "共 4 人上榜" in body and "榜上显示为：赵**" in body
    names = re.findall(r'data-test="name">([^<]+)', body)
    assert names == ["王**", "李**", "赵**", "周老师"]
    for secret in ("王秀英", "李建华", "孙阿姨", "孙**", "吴先生", "吴**", "钱大妈", "钱**"):
        assert secret not in body
    assert 'href="/me/leaderboard"' in body and 'href="/honour/beixin"' in body


def test_the_all_time_board_and_my_grid(client, world):
    sign_in(client, world.wang)

    _, everything = page(client, "/leaderboard?period=all")
    _, mine = page(client, "/leaderboard?grid=mine")

    assert re.findall(r'data-test="name">([^<]+)', everything)[:2] == ["李**", "王**"]
    assert "总榜（历来累计）" in everything and "第 2 名" in everything
    assert re.findall(r'data-test="name">([^<]+)', mine) == ["王**", "李**"]
    assert "· 红星网格" in mine and "第 1 名" in mine and "共 2 人上榜" in mine


def test_a_hidden_resident_still_sees_their_rank_and_that_they_are_hidden(client, world):
    sign_in(client, world.sun_ayi)

    status, body = page(client, "/leaderboard")

    assert status == 200 and "第 4 名" in body and 'data-test="hidden-note"' in body
    assert "孙**" not in re.sub(r'data-test="my-rank".*?</section>', "", body, flags=re.S)


def test_staff_and_grid_workers_look_at_their_communitys_board(client, world):
    for person in (world.staff, world.worker):
        sign_in(client, person)
        status, body = page(client, "/leaderboard")
        assert status == 200 and 'data-test="staff-note"' in body and 'data-test="my-rank"' not in body
        assert "王**" in body and 'data-test="grid-picker"' in body
        status, body = page(client, f"/leaderboard?grid={world.sun.id}")
        assert status == 200 and "· 向阳网格" in body
        client.post("/sign-out")


def test_bad_board_queries_are_refused_on_the_page(client, world):
    sign_in(client, world.wang)

    assert page(client, "/leaderboard?period=week")[0] == 422
    assert page(client, "/leaderboard?month=2026-13")[0] == 422
    assert page(client, f"/leaderboard?grid={world.far_grid.id}")[0] == 404
    assert page(client, "/leaderboard?grid=abc")[0] == 404
    client.post("/sign-out")
    sign_in(client, world.staff)
    assert page(client, "/leaderboard?grid=mine")[0] == 422  # office staff have no grid


def test_a_past_month_board_on_the_page(client, world):
    sign_in(client, world.wang)
    last = months.preceding(months.this_month(utcnow())).strftime("%Y-%m")

    status, body = page(client, f"/leaderboard?month={last}")

    assert status == 200 and f"{last[:4]} 年 {int(last[5:])} 月排行" in body
    assert re.findall(r'data-test="name">([^<]+)', body) == ["李**"]
    assert 'data-test="later-month"' in body


def test_the_grid_contest_page(client, world):
    sign_in(client, world.zhao)

    status, body = page(client, "/leaderboard/grids")

    assert status == 200
    assert re.findall(r'data-test="name">([^<]+)', body) == ["红星网格", "向阳网格"]
    assert "80 分" in body and "60 分" in body and "3 人获得积分" in body
    assert page(client, "/leaderboard/grids?period=all")[0] == 200
    assert page(client, "/leaderboard/grids?period=year")[0] == 422


def test_people_of_another_community_see_only_their_own_board(client, world):
    sign_in(client, world.far)

    status, body = page(client, "/leaderboard")

    assert status == 200 and "钱**" in body and "第 1 名" in body
    assert "王**" not in body and "红星网格" not in body
    assert page(client, f"/leaderboard?grid={world.red.id}")[0] == 404


# --- /me/leaderboard --------------------------------------------------------------------

def test_the_choice_page_shows_the_three_choices(client, world):
    sign_in(client, world.wang)

    status, body = page(client, "/me/leaderboard")

    assert status == 200
    assert "榜上显示：王秀英" in body and "榜上显示：王**" in body
    assert 'value="hidden"' in body and 'data-test="choice-masked"' in body


def test_choosing_on_the_page_saves_flashes_and_goes_back_to_the_board(client, session, world, db):
    sign_in(client, world.wang)

    response = client.post("/me/leaderboard", data={"choice": "named"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/leaderboard")
    assert choice_of(db.session, world.wang) == "named" and audit_count(db.session) == 1
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存：排行榜上显示您的全名" in body and "榜上显示为：王秀英" in body


def test_an_unknown_choice_on_the_page_is_refused_and_changes_nothing(client, world, db):
    sign_in(client, world.wang)

    response = client.post("/me/leaderboard", data={"choice": "everyone"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/me/leaderboard")
    assert "请选择一种排行榜显示方式" in client.get("/me/leaderboard").get_data(as_text=True)
    assert choice_of(db.session, world.wang) == "masked" and audit_count(db.session) == 0


def test_staff_have_no_choice_to_make(client, world, db):
    sign_in(client, world.staff)

    assert client.get("/me/leaderboard").status_code == 403
    assert client.post("/me/leaderboard", data={"choice": "hidden"}).status_code == 403
    assert audit_count(db.session) == 0


def test_the_choice_needs_the_pages_csrf_token(csrf_client):
    client, session = csrf_client
    world = make_world(session, now=utcnow())
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    client.post("/sign-in", data={"phone": world.wang.phone, "password": factories.PASSWORD,
                                  "csrf_token": token})

    refused = client.post("/me/leaderboard", data={"choice": "hidden"})
    assert refused.status_code == 400
    assert choice_of(session, world.wang) == "masked" and audit_count(session) == 0

    body = client.get("/me/leaderboard").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    saved = client.post("/me/leaderboard", data={"choice": "hidden", "csrf_token": token})
    assert saved.status_code == 302 and choice_of(session, world.wang) == "hidden"


# --- /honour/<code> ---------------------------------------------------------------------

def test_the_honour_board_is_public_and_refreshes_itself(client, world, db):
    score(db.session, world, world.red, [world.wang.household], month=months.month_of(utcnow()),
          now=utcnow())

    status, body = page(client, "/honour/beixin")

    assert status == 200
    assert '<meta http-equiv="refresh" content="60">' in body
    assert "<script" not in body and "style=" not in body
    assert "北新社区" in body and "光荣榜" in body
    names = re.findall(r'data-test="name">([^<]+)', body)
    assert names == ["王**", "李**", "赵**", "周**"]  # 周老师 chose her full name: masked here
    assert "王**家" in body and 'data-test="clean-count">1<' in body
    assert client.get("/honour/beixin").headers["Cache-Control"] == "no-cache"


def test_the_honour_board_shows_no_full_name_address_or_phone(client, world, db):
    score(db.session, world, world.red, [world.wang.household, world.li.household],
          month=months.month_of(utcnow()), now=utcnow())

    body = page(client, "/honour/beixin")[1]

    people = db.session.scalars(select(User)).all()
    for person in people:
        assert person.phone not in body and person.name not in body
    for address in ("3栋2单元401", "3栋2单元402", "5栋1单元101"):
        assert address not in body


def test_an_unknown_community_code_is_404(client, world):
    assert client.get("/honour/nowhere").status_code == 404


def test_the_honour_board_of_another_community_shows_only_that_community(client, world):
    sign_in(client, world.wang)  # signed in to 北新社区, looking at 城口社区's board

    status, body = page(client, "/honour/chengkou")

    assert status == 200 and "城口社区" in body
    assert re.findall(r'data-test="name">([^<]+)', body) == ["钱**"]
    assert 'data-test="earned">500<' in body and "王**" not in body


# --- the API ----------------------------------------------------------------------------

def test_the_api_board_with_my_rank(client, world):
    headers = bearer(client, world.zhao)

    response = client.get("/api/v1/leaderboard", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["period"] == "month" and body["month"] == months.month_of(utcnow())
    assert body["grid_id"] is None
    assert body["entries"] == [
        {"rank": 1, "name": "王**", "grid": "红星网格", "points": "50"},
        {"rank": 2, "name": "李**", "grid": "红星网格", "points": "30"},
        {"rank": 2, "name": "赵**", "grid": "向阳网格", "points": "30"},
        {"rank": 4, "name": "周老师", "grid": "向阳网格", "points": "10"}]
    assert body["me"] == {"rank": 2, "points": "30", "ranked": 4, "hidden": False,
                          "choice": "masked", "shown_as": "赵**"}


def test_the_api_all_time_board_a_grid_a_month_and_a_limit(client, world):
    headers = bearer(client, world.wang)
    last = months.preceding(months.this_month(utcnow())).strftime("%Y-%m")

    everything = client.get("/api/v1/leaderboard?period=all&limit=1", headers=headers).get_json()
    mine = client.get("/api/v1/leaderboard?grid=mine", headers=headers).get_json()
    sun = client.get(f"/api/v1/leaderboard?grid={world.sun.id}", headers=headers).get_json()
    past = client.get(f"/api/v1/leaderboard?month={last}", headers=headers).get_json()

    assert everything["month"] is None
    assert everything["entries"] == [{"rank": 1, "name": "李**", "grid": "红星网格", "points": "130"}]
    assert everything["me"]["rank"] == 2
    assert mine["grid_id"] == world.red.id and [e["name"] for e in mine["entries"]] == ["王**", "李**"]
    assert [e["name"] for e in sun["entries"]] == ["赵**", "周老师"] and sun["me"]["rank"] is None
    assert past["month"] == last and [e["points"] for e in past["entries"]] == ["100"]


def test_the_api_tells_a_hidden_person_their_rank(client, world):
    body = client.get("/api/v1/leaderboard", headers=bearer(client, world.sun_ayi)).get_json()

    assert body["me"] == {"rank": 4, "points": "20", "ranked": 4, "hidden": True,
                          "choice": "hidden", "shown_as": None}
    assert "孙**" not in [entry["name"] for entry in body["entries"]]


def test_staff_read_the_api_boards_without_a_rank(client, world):
    for person in (world.staff, world.worker):
        body = client.get("/api/v1/leaderboard", headers=bearer(client, person)).get_json()
        assert body["me"] is None and len(body["entries"]) == 4
    mine = client.get("/api/v1/leaderboard?grid=mine", headers=bearer(client, world.worker))
    assert mine.get_json()["grid_id"] == world.sun.id


def test_bad_api_board_queries_are_refused(client, world):
    headers = bearer(client, world.wang)
    for query in ("period=week", "month=2026-13", "month=2026-1", "grid=abc", "grid=0",
                  "limit=0", "limit=101", "limit=x"):
        response = client.get(f"/api/v1/leaderboard?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.get_json()["error"]["code"] == "invalid_input"
    far = client.get(f"/api/v1/leaderboard?grid={world.far_grid.id}", headers=headers)
    assert far.status_code == 404 and far.get_json()["error"]["code"] == "not_found"
    no_grid = client.get("/api/v1/leaderboard?grid=mine", headers=bearer(client, world.staff))
    assert no_grid.status_code == 422 and no_grid.get_json()["error"]["code"] == "no_grid"


def test_the_api_boards_need_a_token_and_a_community(client, world, db):
    district = factories.make_user(db.session, None, "district_admin", name="区管理员")

    assert client.get("/api/v1/leaderboard").status_code == 401
    assert client.get("/api/v1/leaderboard/grids").status_code == 401
    assert client.get("/api/v1/leaderboard", headers=bearer(client, district)).status_code == 403


def test_the_api_grid_contest(client, world):
    headers = bearer(client, world.wang)

    body = client.get("/api/v1/leaderboard/grids", headers=headers).get_json()
    everything = client.get("/api/v1/leaderboard/grids?period=all", headers=headers).get_json()

    assert body["period"] == "month" and body["month"] == months.month_of(utcnow())
    assert body["grids"] == [
        {"rank": 1, "grid_id": world.red.id, "name": "红星网格", "points": "80", "participants": 2},
        {"rank": 2, "grid_id": world.sun.id, "name": "向阳网格", "points": "60", "participants": 3}]
    assert everything["month"] is None and everything["grids"][0]["points"] == "180"
    assert client.get("/api/v1/leaderboard/grids?period=x", headers=headers).status_code == 422


def test_the_api_choice_is_saved_and_audited(client, world, db):
    headers = bearer(client, world.wang)

    response = client.put("/api/v1/me/leaderboard", json={"choice": "named"}, headers=headers)

    assert response.status_code == 200
    assert response.get_json() == {"choice": "named", "shown_as": "王秀英"}
    assert choice_of(db.session, world.wang) == "named" and audit_count(db.session) == 1
    hidden = client.put("/api/v1/me/leaderboard", json={"choice": "hidden"}, headers=headers)
    assert hidden.get_json() == {"choice": "hidden", "shown_as": None}


def test_api_choice_refusals_change_nothing(client, world, db):
    headers = bearer(client, world.wang)

    unknown = client.put("/api/v1/me/leaderboard", json={"choice": "all"}, headers=headers)
    missing = client.put("/api/v1/me/leaderboard", json={}, headers=headers)
    staff = client.put("/api/v1/me/leaderboard", json={"choice": "hidden"},
                       headers=bearer(client, world.staff))
    anonymous = client.put("/api/v1/me/leaderboard", json={"choice": "hidden"})

    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["code"] == "unknown_leaderboard_choice"
    assert missing.status_code == 422 and missing.get_json()["error"]["code"] == "invalid_input"
    assert (staff.status_code, anonymous.status_code) == (403, 401)
    assert choice_of(db.session, world.wang) == "masked" and audit_count(db.session) == 0
