"""Device tokens of a shop's tills (``merchants.devices``): the owner issues, lists and
revokes them, over the service, the API and the page; each refusal writes nothing."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from merchants import devices
from points.audit.models import AuditEvent
from points.auth import services as auth_services
from points.auth.errors import TokenInvalidError
from points.auth.models import ApiToken
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.timeutil import utcnow
from tests.factories import bearer, make_held_voucher, make_scan_world, make_user, sign_in

TTL = timedelta(days=180)
URL = "/api/v1/merchant/devices"


@pytest.fixture
def world(db):
    world = make_scan_world(db.session)
    world.far_owner = make_user(db.session, world.elsewhere, "merchant_owner", name="周老板",
                                merchant=world.far_shop)
    world.other_owner = make_user(db.session, world.community, "merchant_owner", name="李老板",
                                  merchant=world.other_shop)
    return world


def issue(db, world, clerk=None, label="收银台平板", owner=None, now=None):
    return devices.issue_device_token(db.session, owner=owner or world.owner,
                                      clerk_id=(clerk or world.clerk).id, label=label,
                                      now=now or utcnow(), ttl=TTL)


def events(db, action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def token_count(db):
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def auth(raw):
    return {"Authorization": f"Bearer {raw}"}


# --- the service -------------------------------------------------------------------------

def test_owner_issues_a_device_token_stored_hashed_and_audited(db, world):
    now = utcnow()
    raw, token = issue(db, world, label="  收银台   平板 ", now=now)

    assert token.kind == "device" and token.user_id == world.clerk.id
    assert token.label == "收银台 平板"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in token.token_hash
    assert token.expires_at == now + TTL and token.revoked_at is None
    assert auth_services.user_for_token(db.session, raw, now).id == world.clerk.id
    [event] = events(db, "device.issue")
    assert event.actor_id == world.owner.id and event.object_type == "api_token"
    assert event.object_id == token.id and event.community_id == world.community.id
    assert event.after["label"] == "收银台 平板" and event.after["user_id"] == world.clerk.id
    assert event.after["merchant_id"] == world.shop.id
    assert raw not in repr(event.after) and token.token_hash not in repr(event.after)


def test_owner_may_sign_a_device_in_as_themselves(db, world):
    _, token = issue(db, world, clerk=world.owner)

    assert token.user_id == world.owner.id


def test_only_a_shop_owner_issues_device_tokens(db, world):
    for who in ("clerk", "resident", "staff", "other_clerk"):
        with pytest.raises(ForbiddenError):
            issue(db, world, owner=getattr(world, who))

    assert token_count(db) == 0 and events(db) == []


def test_a_device_signs_in_only_as_an_active_clerk_of_the_owners_own_shop(db, world):
    candidates = [getattr(world, who).id for who in ("other_clerk", "far_clerk", "resident",
                                                     "staff", "other_owner")] + [999999]
    for clerk_id in candidates:
        with pytest.raises(devices.NotAClerkOfShopError):
            devices.issue_device_token(db.session, owner=world.owner, clerk_id=clerk_id,
                                       label="平板", now=utcnow(), ttl=TTL)
    with unit_of_work(db.session):
        world.clerk.active = False
    with pytest.raises(devices.NotAClerkOfShopError):
        issue(db, world)

    assert token_count(db) == 0 and events(db) == []


def test_a_label_of_1_to_60_characters_is_required(db, world):
    for label in ("", "   ", None, "长" * 61):
        with pytest.raises(devices.DeviceLabelInvalidError):
            issue(db, world, label=label)
    assert token_count(db) == 0

    assert issue(db, world, label=" " + "长" * 60 + " ")[1].label == "长" * 60


def test_a_shop_has_at_most_20_live_devices_revoked_and_expired_do_not_count(db, world):
    now = utcnow()
    tokens = [issue(db, world, label=f"平板{n}", now=now)[1] for n in range(devices.MAX_LIVE_DEVICES)]
    issue(db, world, owner=world.other_owner, clerk=world.other_clerk)  # another shop's

    with pytest.raises(devices.TooManyDevicesError) as refused:
        issue(db, world, label="第 21 台", now=now)
    assert refused.value.params == {"limit": 20}

    devices.revoke_device(db.session, owner=world.owner, token_id=tokens[0].id, now=now)
    issue(db, world, label="换一台", now=now)
    with pytest.raises(devices.TooManyDevicesError):
        issue(db, world, label="又一台", now=now)
    assert issue(db, world, label="半年后", now=now + TTL)[1].label == "半年后"


def test_the_list_shows_the_shops_unrevoked_devices_newest_first_and_no_session_tokens(db, world):
    now = utcnow()
    _, first = issue(db, world, label="一号", now=now)
    _, second = issue(db, world, clerk=world.owner, label="二号", now=now + timedelta(minutes=1))
    _, gone = issue(db, world, label="停用的", now=now)
    devices.revoke_device(db.session, owner=world.owner, token_id=gone.id, now=now)
    auth_services.issue_token(db.session, user=world.clerk, now=now, ttl=TTL)
    issue(db, world, owner=world.other_owner, clerk=world.other_clerk, label="别家的")

    assert [t.id for t in devices.devices_of(db.session, owner=world.owner)] == [second.id, first.id]
    with pytest.raises(ForbiddenError):
        devices.devices_of(db.session, owner=world.clerk)


def test_revoking_stops_the_token_at_once_and_again_changes_nothing(db, world):
    now = utcnow()
    raw, token = issue(db, world, now=now)

    revoked = devices.revoke_device(db.session, owner=world.owner, token_id=token.id, now=now)
    again = devices.revoke_device(db.session, owner=world.owner, token_id=token.id,
                                  now=now + timedelta(hours=1))

    assert revoked.revoked_at == now and again.revoked_at == now
    with pytest.raises(TokenInvalidError):
        auth_services.user_for_token(db.session, raw, now)
    [event] = events(db, "device.revoke")
    assert event.actor_id == world.owner.id and event.object_id == token.id
    assert event.before["revoked_at"] is None and event.after["revoked_at"] == now.isoformat()


def test_another_shops_owner_cannot_revoke_or_see_a_device(db, world):
    _, token = issue(db, world)

    for owner in (world.other_owner, world.far_owner):
        with pytest.raises(devices.DeviceNotFoundError):
            devices.revoke_device(db.session, owner=owner, token_id=token.id, now=utcnow())
        assert devices.devices_of(db.session, owner=owner) == []
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None and events(db, "device.revoke") == []


def test_a_session_token_is_not_a_device_to_revoke(db, world):
    _, session_token = auth_services.issue_token(db.session, user=world.clerk, now=utcnow(), ttl=TTL)

    with pytest.raises(devices.DeviceNotFoundError):
        devices.revoke_device(db.session, owner=world.owner, token_id=session_token.id, now=utcnow())


def test_a_device_token_expires(db, world):
    now = utcnow()
    raw, _ = issue(db, world, now=now)

    assert auth_services.user_for_token(db.session, raw, now + TTL - timedelta(seconds=1))
    with pytest.raises(TokenInvalidError):
        auth_services.user_for_token(db.session, raw, now + TTL)


def test_the_shop_row_is_locked_while_counting_on_postgresql(db, world):
    from tests.races import sql_sent

    if db.engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE is PostgreSQL's")
    with sql_sent(db.engine) as statements:
        issue(db, world)

    assert any("FROM merchants" in s and "FOR UPDATE" in s for s in statements)


# --- the API -----------------------------------------------------------------------------

def test_post_issues_a_device_token_shown_once_that_signs_in_as_the_clerk(client, db, world):
    response = client.post(URL, headers=bearer(client, world.owner),
                           json={"clerk_id": world.clerk.id, "label": "收银台平板"})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "label", "clerk_id", "clerk_name", "created_at", "expires_at",
                         "last_used_at", "revoked_at", "token"}
    assert body["clerk_id"] == world.clerk.id and body["clerk_name"] == "李小红"
    assert body["label"] == "收银台平板" and body["revoked_at"] is None
    me = client.get("/api/v1/me", headers=auth(body["token"]))
    assert me.status_code == 200 and me.get_json()["role"] == "merchant_clerk"
    stored = db.session.get(ApiToken, body["id"])
    assert stored.kind == "device" and stored.expires_at - stored.created_at == TTL


def test_the_list_never_shows_a_token_or_its_hash(client, db, world):
    raw, token = issue(db, world)
    headers = bearer(client, world.owner)

    response = client.get(URL, headers=headers)

    assert response.status_code == 200
    [shown] = response.get_json()["devices"]
    assert shown["id"] == token.id and "token" not in shown and "token_hash" not in shown
    assert raw not in response.get_data(as_text=True)
    assert token.token_hash not in response.get_data(as_text=True)


def test_revoking_over_the_api_makes_the_token_401_at_once_and_again_is_200(client, db, world):
    raw, token = issue(db, world)
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    headers = bearer(client, world.owner)

    first = client.delete(f"{URL}/{token.id}", headers=headers)
    refused = client.get("/api/v1/me", headers=auth(raw))
    second = client.delete(f"{URL}/{token.id}", headers=headers)

    assert first.status_code == 200 and first.get_json()["revoked_at"]
    assert refused.status_code == 401 and error_of(refused)["code"] == "token_invalid"
    assert second.status_code == 200 and second.get_json()["revoked_at"] == first.get_json()["revoked_at"]
    assert len(events(db, "device.revoke")) == 1
    assert client.get(URL, headers=headers).get_json()["devices"] == []


def test_an_expired_device_token_is_401(client, db, world):
    raw, token = issue(db, world)
    with unit_of_work(db.session):
        token.expires_at = utcnow() - timedelta(seconds=1)

    response = client.get("/api/v1/me", headers=auth(raw))

    assert response.status_code == 401 and error_of(response)["code"] == "token_invalid"


def test_a_clerks_device_token_redeems_a_voucher(client, db, world):
    raw, _ = issue(db, world)
    voucher = make_held_voucher(db.session, world.resident, world.shop, points="120")

    response = client.post("/api/v1/merchant/redemptions", headers=auth(raw),
                           json={"code": voucher.code})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "redeemed"


def test_only_shop_owners_manage_devices_over_the_api(client, db, world):
    _, token = issue(db, world)

    for who in ("clerk", "resident", "staff"):
        headers = bearer(client, getattr(world, who))
        answers = [client.get(URL, headers=headers),
                   client.post(URL, headers=headers, json={"clerk_id": world.clerk.id, "label": "平板"}),
                   client.delete(f"{URL}/{token.id}", headers=headers)]
        assert [a.status_code for a in answers] == [403, 403, 403], who
        assert {error_of(a)["code"] for a in answers} == {"forbidden"}

    assert token_count(db) == 4 and events(db, "device.revoke") == []


def test_signed_out_is_401(client, db, world):
    assert client.get(URL).status_code == 401
    assert client.post(URL, json={"clerk_id": world.clerk.id, "label": "平板"}).status_code == 401


def test_a_device_token_cannot_manage_devices_even_the_owners_own(client, db, world):
    raw, token = issue(db, world, clerk=world.owner)

    answers = [client.get(URL, headers=auth(raw)),
               client.post(URL, headers=auth(raw), json={"clerk_id": world.clerk.id, "label": "又一台"}),
               client.delete(f"{URL}/{token.id}", headers=auth(raw))]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert token_count(db) == 1 and db.session.get(ApiToken, token.id).revoked_at is None


def test_another_communitys_owner_cannot_see_or_revoke_a_device(client, db, world):
    _, token = issue(db, world)
    headers = bearer(client, world.far_owner)

    assert client.get(URL, headers=headers).get_json() == {"devices": []}
    response = client.delete(f"{URL}/{token.id}", headers=headers)

    assert response.status_code == 404 and error_of(response)["code"] == "device_not_found"
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_bad_requests_are_refused_and_write_nothing(client, db, world):
    headers = bearer(client, world.owner)
    cases = [({"clerk_id": "x", "label": "平板"}, "invalid_input"),
             ({"label": "平板"}, "invalid_input"),
             ({"clerk_id": world.clerk.id}, "invalid_input"),
             ({"clerk_id": 2**40, "label": "平板"}, "invalid_input"),
             ({"clerk_id": True, "label": "平板"}, "invalid_input"),
             ({"clerk_id": world.other_clerk.id, "label": "平板"}, "not_a_clerk_of_shop"),
             ({"clerk_id": world.far_clerk.id, "label": "平板"}, "not_a_clerk_of_shop"),
             ({"clerk_id": world.clerk.id, "label": "  "}, "device_label_invalid"),
             ({"clerk_id": world.clerk.id, "label": "长" * 61}, "device_label_invalid")]

    for body, code in cases:
        response = client.post(URL, headers=headers, json=body)
        assert response.status_code == 422 and error_of(response)["code"] == code, body

    assert token_count(db) == 1 and events(db) == []  # the owner's own sign-in


def test_the_21st_device_is_409(client, db, world):
    for n in range(devices.MAX_LIVE_DEVICES):
        issue(db, world, label=f"平板{n}")

    response = client.post(URL, headers=bearer(client, world.owner),
                           json={"clerk_id": world.clerk.id, "label": "第 21 台"})

    assert response.status_code == 409 and error_of(response)["code"] == "too_many_devices"


def test_an_unknown_device_is_404(client, db, world):
    headers = bearer(client, world.owner)
    response = client.delete(f"{URL}/987654", headers=headers)
    huge = client.delete(f"{URL}/{2**63}", headers=headers)

    assert response.status_code == 404 and error_of(response)["code"] == "device_not_found"
    assert huge.status_code == 404 and error_of(huge)["code"] == "not_found"


# --- the page ----------------------------------------------------------------------------

PAGE = "/merchant/devices"


def test_the_owner_adds_a_device_and_sees_its_token_and_qr_once(client, db, world):
    sign_in(client, world.owner)

    response = client.post(PAGE, data={"clerk_id": world.clerk.id, "label": "收银台平板"})

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    [token] = db.session.scalars(select(ApiToken).where(ApiToken.kind == "device"))
    raw = re.search(r'data-test="device-token">([^<]+)<', html)[1]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert 'src="data:image/png;base64,' in html and "只显示这一次" in html
    assert token.token_hash not in html
    again = client.get(PAGE).get_data(as_text=True)
    assert raw not in again and "收银台平板" in again and "李小红" in again


def test_the_page_lists_devices_with_clerk_dates_and_a_stop_button(client, db, world):
    issue(db, world, label="门口扫码枪")
    sign_in(client, world.owner)

    html = client.get(PAGE).get_data(as_text=True)

    assert "门口扫码枪" in html and "李小红" in html and "还没用过" in html
    assert 'data-test="revoke"' in html and "停用" in html


def test_a_bad_label_on_the_page_says_why_and_adds_nothing(client, db, world):
    sign_in(client, world.owner)

    response = client.post(PAGE, data={"clerk_id": world.other_clerk.id, "label": "平板"})

    assert response.status_code == 200
    assert "只能给本店在职的店员或店主开通设备" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)
                             .where(ApiToken.kind == "device")) == 0


def test_stopping_asks_first_on_its_own_page_then_stops(client, db, world):
    raw, token = issue(db, world, label="收银台平板")
    sign_in(client, world.owner)
    url = f"{PAGE}/{token.id}/revoke"

    asked = client.post(url, data={})
    db.session.expire_all()
    assert asked.status_code == 200 and "确定停用“收银台平板”吗" in asked.get_data(as_text=True)
    assert db.session.get(ApiToken, token.id).revoked_at is None

    done = client.post(url, data={"confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 401
    page = client.get(PAGE).get_data(as_text=True)
    assert "“收银台平板”已停用" in page and 'data-test="device"' not in page


def test_only_owners_open_the_devices_page(client, db, world):
    _, token = issue(db, world)

    for who in ("clerk", "resident", "staff"):
        sign_in(client, getattr(world, who))
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, data={"clerk_id": world.clerk.id, "label": "平板"}).status_code == 403
        assert client.post(f"{PAGE}/{token.id}/revoke", data={"confirmed": "yes"}).status_code == 403
        client.post("/sign-out")

    assert client.get(PAGE).status_code == 302  # signed out: to the sign-in page
    assert token_count(db) == 1
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_another_communitys_owner_gets_404_stopping_a_device(client, db, world):
    _, token = issue(db, world)
    sign_in(client, world.far_owner)

    assert client.post(f"{PAGE}/{token.id}/revoke", data={"confirmed": "yes"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_the_owners_home_links_to_the_devices_page_a_clerks_does_not(client, db, world):
    sign_in(client, world.owner)
    assert 'href="/merchant/devices"' in client.get("/merchant").get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, world.clerk)
    assert 'href="/merchant/devices"' not in client.get("/merchant").get_data(as_text=True)
