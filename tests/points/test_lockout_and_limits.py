"""Sign-in lockout and rate limits, in memory and in Redis (``REDIS_URL``'s storage).

The Redis variants run against 127.0.0.1:6379; ``.ci/run`` sets ``JIFEN_REQUIRE_REDIS=1`` so
that a missing Redis fails them instead of skipping. Each test's keys carry their own
prefix, so parallel workers and later runs never share counts.
"""
import os
import shutil
import time
import uuid

import flask_babel
import pytest
import redis

from tests.factories import PASSWORD, make_community, make_household, make_scan_world, make_user
from tests.ledger import book

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("JIFEN_REQUIRE_REDIS") == "1"
TOKEN_URL = "/api/v1/auth/token"


def redis_or_skip():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required (JIFEN_REQUIRE_REDIS=1) but did not answer: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


@pytest.fixture(params=["memory", "redis"])
def app(request, tmp_path, sqlite_template):
    """An app on SQLite whose limiter stores counts in memory or in Redis."""
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db

    if request.param == "redis":
        redis_or_skip()
    prefix = f"jifen-test-{uuid.uuid4().hex[:10]}:"

    class LimitConfig(TestConfig):
        RATELIMIT_STORAGE_URI = REDIS_URL if request.param == "redis" else "memory://"
        RATELIMIT_KEY_PREFIX = prefix

    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    config = LimitConfig(f"sqlite:///{path}", tmp_path / "instance")
    app = create_app(config)
    app.storage_kind, app.test_config = request.param, config
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)  # the lockout's keys; the limiter's expire
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


@pytest.fixture
def quick_lock(app):
    """The lockout's first wait is one second, so that the growing waits can be watched;
    the per-address limits count per second (Flask-Limiter's ``Retry-After`` is the later
    of the lock's end and the address window's)."""
    app.config.update(LOCKOUT_FIRST_SECONDS=1, SIGN_IN_PAGE_LIMIT="100 per second",
                      SIGN_IN_API_LIMIT="100 per second")


@pytest.fixture
def resident(db):
    community = make_community(db.session, code="beixin")
    return make_user(db.session, community, "resident", name="王秀英",
                     household=make_household(db.session, community))


def fresh_address():
    """An address no other test (nor an earlier run within the minute) has used."""
    number = uuid.uuid4().int
    return {"REMOTE_ADDR": f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250 + 1}"}


def token(client, phone, password, address=None):
    return client.post(TOKEN_URL, json={"phone": phone, "password": password},
                       environ_base=address or fresh_address())


def page_sign_in(client, phone, password):
    return client.post("/sign-in", data={"phone": phone, "password": password},
                       environ_base=fresh_address())


def retry_after(response, wait):
    """Flask-Limiter rewrites ``Retry-After`` as whole seconds left, rounded down, so a wait
    of n seconds may read n - 1 by the time the answer leaves."""
    return wait - 1 <= int(response.headers["Retry-After"]) <= wait


def stored_keys(pattern="*"):
    return {key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(pattern)}


# --- lockout ------------------------------------------------------------------------------

def test_five_wrong_passwords_are_free_then_the_waits_grow(app, quick_lock, client, resident):
    answers = [token(client, resident.phone, "wrong-password").status_code for _ in range(5)]
    sixth = token(client, resident.phone, "wrong-password")

    assert answers == [401] * 5
    assert sixth.status_code == 429 and retry_after(sixth, 1)
    assert sixth.get_json()["error"]["code"] == "sign_in_locked"
    assert "分钟后再试" in sixth.get_json()["error"]["message"]

    # While locked even the right password is refused, and the try does not count.
    locked = token(client, resident.phone, PASSWORD)
    assert locked.status_code == 429 and retry_after(locked, 1)

    time.sleep(1.1)
    seventh = token(client, resident.phone, "wrong-password")
    assert seventh.status_code == 429 and retry_after(seventh, 2)

    time.sleep(2.1)
    assert token(client, resident.phone, PASSWORD).status_code == 201
    # The right password cleared the count: five free tries again.
    assert [token(client, resident.phone, "x" * 9).status_code for _ in range(5)] == [401] * 5


def test_an_unknown_number_locks_the_same_way(app, client, resident):
    answers = [token(client, "13900000000", PASSWORD).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    # Another number is not affected.
    assert token(client, resident.phone, PASSWORD).status_code == 201


def test_the_sign_in_page_shows_the_lock_with_429_and_retry_after(app, quick_lock, client, resident):
    for _ in range(5):
        assert page_sign_in(client, resident.phone, "wrong-password").status_code == 200
    sixth = page_sign_in(client, resident.phone, "wrong-password")
    locked = page_sign_in(client, resident.phone, PASSWORD)

    assert sixth.status_code == locked.status_code == 429 and retry_after(locked, 1)
    assert "密码错误次数太多" in locked.get_data(as_text=True)
    # The lock is per number, shared by the page and the API.
    assert token(client, resident.phone, PASSWORD).status_code == 429


def test_the_lock_speaks_english(app, client, resident):
    for _ in range(5):
        token(client, resident.phone, "wrong-password")
    flask_babel.refresh()  # the test's app context outlives the requests: forget their locale
    api = client.post(TOKEN_URL, json={"phone": resident.phone, "password": "x"},
                      headers={"Accept-Language": "en"}, environ_base=fresh_address())
    client.set_cookie("lang", "en")
    flask_babel.refresh()
    page = page_sign_in(client, resident.phone, "x")

    assert "Too many wrong passwords" in api.get_json()["error"]["message"]
    assert page.status_code == 429 and "Too many wrong passwords" in page.get_data(as_text=True)


def test_the_waits_double_up_to_the_cap():
    from points.auth.lockout import wait_after

    config = {"LOCKOUT_FREE_FAILURES": 5, "LOCKOUT_FIRST_SECONDS": 60, "LOCKOUT_MAX_SECONDS": 3600}
    assert [wait_after(n, config) for n in range(4, 13)] == [0, 0, 60, 120, 240, 480, 960, 1920, 3600]
    assert wait_after(10_000, config) == 3600


def test_counts_live_in_redis_without_phone_numbers(app, client, resident):
    if app.storage_kind != "redis":
        pytest.skip("memory storage keeps nothing in Redis")
    for _ in range(6):
        token(client, resident.phone, "wrong-password")
    keys = stored_keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    assert any("signin-lock:" in key for key in keys) and any("signin-failures:" in key for key in keys)
    assert not any(resident.phone in key for key in keys)


# --- rate limits by address, person and code -----------------------------------------------

def test_sign_in_page_is_limited_per_address(app, client, resident):
    address = fresh_address()
    other = [f"1390000{n:04d}" for n in range(21)]  # different numbers: no lockout
    statuses = [client.post("/sign-in", data={"phone": phone, "password": "x"},
                            environ_base=address).status_code for phone in other]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    # Another address still signs in.
    assert page_sign_in(client, resident.phone, PASSWORD).status_code == 302


def test_token_endpoint_is_limited_per_address(app, client, resident):
    address = fresh_address()
    statuses = [token(client, f"1390000{n:04d}", "x", address).status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    limited = token(client, resident.phone, PASSWORD, address)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    if app.storage_kind == "redis":
        assert any(f"/{address['REMOTE_ADDR']}/" in key for key in stored_keys())


def test_wrong_voucher_codes_are_limited_per_clerk_and_move_nothing(app, client, db):
    from merchants.models import HELD, Voucher
    from tests.factories import bearer, make_held_voucher

    world = make_scan_world(db.session)
    voucher = make_held_voucher(db.session, world.resident, world.shop, points="30")
    headers = bearer(client, world.clerk)
    url = "/api/v1/merchant/redemptions"
    before = book.snapshot(db.session)

    wrong = [client.post(url, json={"code": f"00000000{n}"}, headers=headers).status_code
             for n in range(10)]
    blocked = client.post(url, json={"code": voucher.code}, headers=headers)

    assert set(wrong) <= {404, 422}
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status == HELD
    assert book.snapshot(db.session) == before
    if app.storage_kind == "redis":
        assert any(f"/user:{world.clerk.id}/voucher-codes/" in key for key in stored_keys())


def test_a_new_worker_keeps_the_counts_only_in_redis(app, client):
    """A second app from the same config stands for another gunicorn worker (or a restarted
    one): its limiter opens its own storage. On Redis it sees the first worker's count and
    refuses the eleventh try from an address; in memory it starts from nothing."""
    from points import create_app

    address = fresh_address()
    firsts = [token(client, f"1380000{n:04d}", "x", address).status_code for n in range(5)]
    second = create_app(app.test_config).test_client()
    rest = [token(second, f"1381000{n:04d}", "x", address).status_code for n in range(6)]

    expected_last = 429 if app.storage_kind == "redis" else 401
    assert firsts + rest == [401] * 10 + [expected_last]
