"""The API frame: bearer tokens as DESIGN's contract says, one error shape, no stack traces."""
import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from ledger.models import Base, utcnow
from points.api import token_required
from points.auth import services
from points.auth.models import ApiToken
from tests.factories import PASSWORD, bearer, make_community, make_household, make_merchant, make_user

TOKEN_URL = "/api/v1/auth/token"


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], body
    return body["error"]


def token_for(client, user, password=PASSWORD):
    return client.post(TOKEN_URL, json={"phone": user.phone, "password": password})


@pytest.fixture
def resident(db):
    community = make_community(db.session, name="北新社区", code="beixin")
    household = make_household(db.session, community, address="3栋2单元401")
    return make_user(db.session, community, "resident", name="王秀英", household=household)


# --- POST /api/v1/auth/token ---------------------------------------------------------

def test_sign_in_returns_token_role_and_expiry(client, resident):
    response = token_for(client, resident)

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "role", "expires_at"}
    assert body["role"] == "resident" and len(body["token"]) >= 32
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    assert timedelta(days=6) < expires_at - utcnow() <= timedelta(days=7)


def test_wrong_password_and_unknown_phone_are_refused_alike(client, resident):
    wrong_password = token_for(client, resident, password="not-the-password")
    unknown_phone = client.post(TOKEN_URL, json={"phone": "13912345678", "password": PASSWORD})
    malformed_phone = client.post(TOKEN_URL, json={"phone": "12", "password": PASSWORD})

    assert wrong_password.status_code == unknown_phone.status_code == malformed_phone.status_code == 401
    assert error_of(wrong_password) == error_of(unknown_phone) == error_of(malformed_phone)
    assert error_of(wrong_password)["code"] == "bad_credentials"


def test_inactive_user_cannot_sign_in(client, db, resident):
    resident.active = False
    db.session.commit()

    response = token_for(client, resident)

    assert response.status_code == 401 and error_of(response)["code"] == "bad_credentials"


def test_only_the_token_hash_is_stored(client, db, resident):
    raw = token_for(client, resident).get_json()["token"]

    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            assert raw not in repr(tuple(row)), table.name


def test_sign_in_is_rate_limited(client, resident):
    # Different numbers, so that the per-number lockout (test_lockout_and_limits.py) stays out.
    statuses = [client.post(TOKEN_URL, json={"phone": f"1390000{n:04d}", "password": "x"}).status_code
                for n in range(11)]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    last = token_for(client, resident)
    assert error_of(last)["code"] == "too_many_requests" and "Retry-After" in last.headers


# --- GET /api/v1/me ----------------------------------------------------------------------

def test_me_shows_a_residents_profile_community_and_household(client, resident):
    response = client.get("/api/v1/me", headers=bearer(client, resident))

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == resident.id and body["name"] == "王秀英" and body["phone"] == resident.phone
    assert body["role"] == "resident"
    assert body["community"] == {"id": resident.community_id, "name": "北新社区"}
    assert body["household"]["address"] == "3栋2单元401" and body["household"]["grid"]
    assert body["merchant_id"] is None
    assert "password_hash" not in body


@pytest.mark.parametrize("role", ["merchant_clerk", "merchant_owner"])
def test_me_gives_shop_staff_their_merchant_id(client, db, role):
    community = make_community(db.session)
    shop = make_merchant(db.session, community)
    user = make_user(db.session, community, role, merchant=shop)

    body = client.get("/api/v1/me", headers=bearer(client, user)).get_json()

    assert body["role"] == role and body["merchant_id"] == shop.id and body["household"] is None


def test_me_without_a_token_is_401(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401 and error_of(response)["code"] == "not_signed_in"


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_me_with_a_bad_authorization_header_is_401(client, resident, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})

    assert response.status_code == 401
    assert error_of(response)["code"] in {"token_invalid", "not_signed_in"}


def test_expired_token_is_401(client, db, resident):
    raw, _ = services.issue_token(db.session, user=resident, now=utcnow() - timedelta(days=8),
                                  ttl=timedelta(days=7))

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401 and error_of(response)["code"] == "token_invalid"


def test_revoked_token_is_401(client, resident):
    headers = bearer(client, resident)

    revoked = client.delete(TOKEN_URL, headers=headers)
    response = client.get("/api/v1/me", headers=headers)

    assert revoked.status_code == 204
    assert response.status_code == 401 and error_of(response)["code"] == "token_invalid"


def test_revoking_one_token_keeps_the_others(client, resident):
    first, second = bearer(client, resident), bearer(client, resident)

    client.delete(TOKEN_URL, headers=first)

    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_session_cookie_does_not_authenticate_the_api(client, resident):
    client.post("/sign-in", data={"phone": resident.phone, "password": PASSWORD})

    assert client.get("/api/v1/me").status_code == 401


# --- the one error shape -----------------------------------------------------------------

@pytest.fixture
def probe_app(app):
    """The app with two routes only tests have: staff-only, and one that crashes."""

    @token_required("staff")
    def staff_only():
        return {"ok": True}

    def crash():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/api/v1/test/staff-only", "test_staff_only", staff_only)
    app.add_url_rule("/api/v1/test/crash", "test_crash", crash)
    return app


@pytest.mark.private_app  # adds routes
def test_wrong_role_is_403(probe_app, resident):
    client = probe_app.test_client()

    response = client.get("/api/v1/test/staff-only", headers=bearer(client, resident))

    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_unknown_path_is_404(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_with_allow(client):
    response = client.put(TOKEN_URL, json={})

    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    assert {"POST", "DELETE"} <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("payload", [{}, {"phone": "13800000002"}, {"phone": "", "password": "x"},
                                     {"phone": 13800000002, "password": ["x"]}])
def test_invalid_input_is_422_with_fields(client, payload):
    response = client.post(TOKEN_URL, json=payload)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input" and error["fields"]


def test_non_json_body_is_refused(client, resident):
    response = client.post(TOKEN_URL, data={"phone": resident.phone, "password": PASSWORD})

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_400(client):
    response = client.post(TOKEN_URL, data='{"phone": ', content_type="application/json")

    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"


@pytest.mark.private_app  # adds routes
def test_a_crash_is_500_json_without_a_stack_trace(probe_app):
    response = probe_app.test_client().get("/api/v1/test/crash")

    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    raw = response.get_data(as_text=True)
    assert "Traceback" not in raw and "secret internal detail" not in raw and "RuntimeError" not in raw


def test_errors_speak_english_when_asked(client):
    response = client.get("/api/v1/me", headers={"Accept-Language": "en"})

    assert response.status_code == 401 and error_of(response)["code"] == "not_signed_in"


# --- OpenAPI -------------------------------------------------------------------------------

def test_openapi_document_describes_the_contract(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"post", "delete"} <= set(spec["paths"]["/api/v1/auth/token"])
    assert "get" in spec["paths"]["/api/v1/me"]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"}
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert spec["paths"]["/api/v1/auth/token"]["delete"]["security"] == [{"bearer": []}]
    request_body = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]
    assert "application/json" in request_body["content"]


def test_openapi_refs_all_resolve(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"].get("schemas", {})
    responses = spec["components"].get("responses", {})

    for ref in _refs(spec):
        kind, name = ref.split("/")[-2:]
        assert name in {"schemas": schemas, "responses": responses}[kind], ref


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_database_does_not_hold_plain_passwords(db, resident):
    hashes = db.session.execute(text("SELECT password_hash FROM users")).scalars().all()

    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
