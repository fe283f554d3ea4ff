"""The HTML pages over HTTP: sign-in, each role's home, password change, preferences, CSRF."""
import re

import pytest

from tests import factories
from tests.factories import PASSWORD, sign_in

HOME_OF = {
    "resident": "/home",
    "merchant_clerk": "/merchant",
    "merchant_owner": "/merchant",
    "grid_worker": "/staff",
    "staff": "/staff",
    "admin": "/staff",
}


def make_person(session, role, **kwargs):
    community = factories.make_community(session)
    if role == "resident":
        return factories.make_resident(session, community, **kwargs)
    if role in ("merchant_clerk", "merchant_owner"):
        merchant = factories.make_merchant(session, community)
        return factories.make_user(session, community, role, merchant=merchant, **kwargs)
    return factories.make_user(session, community, role, **kwargs)


def signed_in_user_id(client):
    with client.session_transaction() as http_session:
        return http_session.get("_user_id")


def page_text(response):
    return response.get_data(as_text=True)


def test_sign_in_page_is_chinese_by_default(client):
    response = client.get("/sign-in")

    html = page_text(response)
    assert response.status_code == 200
    assert '<html lang="zh-CN"' in html
    assert "登录" in html and "手机号" in html and "密码" in html
    assert 'data-test="language"' in html and 'data-test="elder"' in html


def test_pages_stay_chinese_when_the_browser_asks_for_english(client):
    html = page_text(client.get("/sign-in", headers={"Accept-Language": "en-US,en;q=0.9"}))

    assert '<html lang="zh-CN"' in html
    assert "欢迎来到积分超市" in html


@pytest.mark.parametrize("phone", ["wrong-password", "unknown-phone"])
def test_wrong_password_and_unknown_phone_get_the_same_refusal(client, db, phone):
    user = factories.make_resident(db.session)
    data = ({"phone": user.phone, "password": "not-the-password"} if phone == "wrong-password"
            else {"phone": "13900000000", "password": PASSWORD})

    response = client.post("/sign-in", data=data)

    assert response.status_code == 200
    assert "手机号或密码不正确" in page_text(response)
    assert signed_in_user_id(client) is None
    assert client.get("/home").headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("role", sorted(HOME_OF))
def test_each_role_lands_on_its_home_page(client, db, role):
    user = make_person(db.session, role, name="赵六")

    response = sign_in(client, user)

    assert response.status_code == 302
    assert response.headers["Location"] == HOME_OF[role]
    home = client.get(HOME_OF[role])
    html = page_text(home)
    assert home.status_code == 200
    assert 'data-test="who"' in html and "赵六" in html
    assert 'data-test="nav"' in html and 'aria-current="page"' in html
    assert 'data-test="sign-out"' in html


def test_resident_home_shows_balance_and_household(client, db):
    user = factories.make_resident(db.session, points="120", name="钱七")
    address = user.household.address

    sign_in(client, user)
    html = page_text(client.get("/home"))

    assert re.search(r'data-test="balance">\s*120\s*<', html)
    assert address in html
    assert "约可抵 ¥2.40" in html  # 50 points = ¥1 by default


def test_merchant_home_shows_the_shop(client, db):
    clerk = make_person(db.session, "merchant_clerk")

    sign_in(client, clerk)
    html = page_text(client.get("/merchant"))

    assert "张记面馆" in html and "北新街 1 号" in html
    assert "500 积分" in html


def test_staff_home_counts_residents(client, db):
    community = factories.make_community(db.session)
    factories.make_resident(db.session, community)
    factories.make_resident(db.session, community)
    staff = factories.make_user(db.session, community, "staff")

    sign_in(client, staff)
    html = page_text(client.get("/staff"))

    assert re.search(r'data-test="residents">\s*2\s*<', html)


def test_a_resident_cannot_open_the_staff_workbench(client, db):
    sign_in(client, factories.make_resident(db.session))

    response = client.get("/staff")

    assert response.status_code == 403
    assert "您没有权限进行这个操作" in page_text(response)


def test_forced_password_change_redirects_until_done(client, db):
    user = factories.make_resident(db.session, must_change_password=True)

    response = sign_in(client, user)

    assert response.headers["Location"] == "/account/password"
    assert client.get("/home").headers["Location"] == "/account/password?next=/home"
    form = client.get("/account/password")
    assert "第一次登录，请先设置您自己的密码。" in page_text(form)
    assert 'data-test="nav"' not in page_text(form)


def test_password_change_refuses_weak_passwords(client, db):
    user = factories.make_resident(db.session, must_change_password=True)
    sign_in(client, user)

    too_short = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": "short", "confirm": "short"})
    phone = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": user.phone, "confirm": user.phone})

    assert too_short.status_code == 200
    assert "field-error" in page_text(too_short)
    assert "新密码至少 8 位，且不能和手机号或旧密码相同" in page_text(phone)
    assert client.get("/home").headers["Location"].startswith("/account/password")


def test_password_change_succeeds_and_the_new_password_works(client, db, app):
    user = factories.make_resident(db.session, must_change_password=True)
    sign_in(client, user)

    response = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": "a-new-secret-9", "confirm": "a-new-secret-9"})

    assert response.status_code == 302
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert landing.request.path == "/home"
    assert "密码已修改" in page_text(landing)
    fresh = app.test_client()
    assert "手机号或密码不正确" in page_text(sign_in(fresh, user))
    assert sign_in(fresh, user, password="a-new-secret-9").headers["Location"] == "/home"


def test_language_choice_is_kept_in_a_cookie(client):
    response = client.post("/language/en?next=/sign-in")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    cookie = client.get_cookie("lang")
    assert cookie.value == "en"
    assert "Max-Age=31536000" in response.headers["Set-Cookie"]
    for _ in range(2):
        html = page_text(client.get("/sign-in"))
        assert '<html lang="en"' in html and "Sign in" in html
    client.post("/language/zh_Hans_CN?next=/sign-in")
    assert "登录" in page_text(client.get("/sign-in"))


def test_unknown_language_falls_back_to_chinese(client):
    client.post("/language/klingon")

    assert client.get_cookie("lang").value == "zh_Hans_CN"


def test_elder_mode_cookie_adds_the_elder_class(client):
    assert 'class="elder"' not in page_text(client.get("/sign-in"))

    client.post("/elder-mode/on?next=/sign-in")
    on = page_text(client.get("/sign-in"))
    client.post("/elder-mode/off?next=/sign-in")
    off = page_text(client.get("/sign-in"))

    assert '<html lang="zh-CN" class="elder">' in on and '<body class="elder">' in on
    assert 'aria-pressed="true"' in on
    assert 'class="elder"' not in off and 'aria-pressed="false"' in off


def test_preference_switches_return_to_the_same_page_only(client):
    assert client.post("/elder-mode/on?next=/home").headers["Location"] == "/home"
    assert client.post("/elder-mode/on?next=//evil.example/x").headers["Location"] == "/"
    assert client.post("/language/en?next=https://evil.example/").headers["Location"] == "/"


def test_sign_out_ends_the_session(client, db):
    sign_in(client, factories.make_resident(db.session))

    response = client.post("/sign-out")

    assert response.headers["Location"] == "/sign-in"
    assert signed_in_user_id(client) is None
    assert client.get("/home").headers["Location"].startswith("/sign-in")
    assert "您已退出登录" in page_text(client.get("/sign-in"))


def test_unknown_page_gets_the_friendly_404(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "找不到这个页面或记录" in page_text(response)
    assert "返回首页" in page_text(response)


def test_sign_in_without_csrf_token_is_refused(csrf_client):
    client, session = csrf_client
    user = factories.make_resident(session)

    response = client.post("/sign-in", data={"phone": user.phone, "password": PASSWORD})

    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_sign_in_with_csrf_token_succeeds(csrf_client):
    client, session = csrf_client
    user = factories.make_resident(session)
    form = page_text(client.get("/sign-in"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    response = client.post("/sign-in", data={"phone": user.phone, "password": PASSWORD,
                                             "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_sign_in_page_is_rate_limited_with_a_translated_page(client, db):
    # Different numbers, so that the per-number lockout (test_lockout_and_limits.py) stays out.
    attempts = [client.post("/sign-in", data={"phone": f"1390000{n:04d}", "password": "wrong"})
                for n in range(21)]

    assert [r.status_code for r in attempts[:20]] == [200] * 20
    assert attempts[20].status_code == 429
    assert "Retry-After" in attempts[20].headers
    assert "操作太频繁，请稍后再试" in attempts[20].get_data(as_text=True)
