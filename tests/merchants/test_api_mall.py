"""The mall's API over HTTP: ``GET /api/v1/catalog``, ``POST /api/v1/vouchers`` (with
``Idempotency-Key``), ``GET /api/v1/vouchers``, ``GET /api/v1/vouchers/{id}`` and
``POST /api/v1/vouchers/{id}/cancel``, with the status codes of DESIGN's contract."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from merchants import qr, services
from merchants.models import Voucher
from points import codes, wallets
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer
from tests.races import sql_sent

URL = "/api/v1/vouchers"


@pytest.fixture
def world(db, client):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆", per_bill_cap="200")
    resident = factories.make_resident(session, community, name="王秀英", points="500")
    return type("World", (), dict(
        session=session, community=community, shop=shop, resident=resident,
        auth=bearer(client, resident),
        rice=factories.make_offer(session, community, title="大米 5 斤", points="100", stock=2),
        noodles=factories.make_offer(session, community, shop, title="牛肉面", points="30",
                                     stock=None, kind="item"),
    ))


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def state(world):
    world.session.expire_all()
    wallet = wallets.wallet_balance(world.session, world.resident)
    return (wallet.balance, wallet.held,
            world.session.scalar(select(func.count()).select_from(Voucher)),
            world.session.scalar(select(func.count()).select_from(Transfer)))


def post(client, world, body, key=None, auth=None):
    headers = dict(auth or world.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, json=body, headers=headers)


# GET /catalog ------------------------------------------------------------------------------

def test_the_catalog_lists_goods_offers_and_shops_with_stock(client, world):
    factories.make_offer(world.session, world.community, title="酱油", points="40", stock=0)
    factories.make_offer(world.session, world.community, title="不卖了", active=False)
    pending = factories.make_merchant(world.session, world.community, name="新店", status="pending")
    factories.make_offer(world.session, world.community, pending, title="新店饮料")

    response = client.get("/api/v1/catalog", headers=world.auth)

    assert response.status_code == 200
    body = response.get_json()
    store = {item["title"]: item for item in body["store"]}
    assert set(store) == {"大米 5 斤", "酱油"}
    assert store["大米 5 斤"] == {
        "id": world.rice.id, "title": "大米 5 斤", "description": "", "kind": "item",
        "points": "100", "stock": 2, "sold_out": False, "monthly_limit": None,
        "merchant": None, "photo": None}
    assert store["酱油"]["sold_out"] is True
    assert [(o["title"], o["stock"], o["merchant"]["name"]) for o in body["offers"]] == [
        ("牛肉面", None, "张记面馆")]
    assert body["shops"] == [{"id": world.shop.id, "name": "张记面馆", "address": "北新街 1 号",
                              "per_bill_cap": "200"}]


def test_the_catalog_needs_a_residents_token(client, world):
    staff = factories.make_user(world.session, world.community, "staff")

    assert client.get("/api/v1/catalog").status_code == 401
    assert client.get("/api/v1/catalog", headers=bearer(client, staff)).status_code == 403


# POST /vouchers ---------------------------------------------------------------------------

def test_a_voucher_for_an_offer_is_created_with_code_qr_and_expiry(app, client, world):
    response = post(client, world, {"offer_id": world.rice.id}, key="k-1")

    assert response.status_code == 201
    body = response.get_json()
    voucher = world.session.get(Voucher, body["id"])
    assert body["code"] == codes.display(voucher.code) and "-" in body["code"]
    assert body["status"] == "held" and body["points"] == "100" and body["title"] == "大米 5 斤"
    assert body["merchant"] is None and body["offer_id"] == world.rice.id
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.tzinfo is not None
    assert timedelta(days=29, hours=23) < expires - utcnow() <= timedelta(days=30)
    assert body["qr"].startswith("http://localhost/v/")
    assert qr.voucher_from_token(app.secret_key, qr.token_in(body["qr"])) == (
        world.community.id, voucher.id)
    assert state(world)[:2] == (Decimal("400"), Decimal("100"))


def test_a_voucher_for_an_amount_at_a_shop(client, world):
    response = post(client, world, {"merchant_id": world.shop.id, "points": "120"})

    body = response.get_json()
    assert response.status_code == 201
    assert body["points"] == "120" and body["merchant"] == {"id": world.shop.id, "name": "张记面馆"}
    assert body["offer_id"] is None and body["title"] == "张记面馆"
    assert datetime.fromisoformat(body["expires_at"]) - utcnow() <= timedelta(minutes=30)


def test_a_new_voucher_is_answered_without_reading_it_or_its_shop_again(client, db, world):
    """``issue_voucher`` keeps its rows after the commit (``write_transaction(expire=False)``,
    the voucher made with its shop): the voucher's insert is the last statement sent."""
    with sql_sent(db.engine) as statements:
        response = post(client, world, {"merchant_id": world.shop.id, "points": "20"})

    assert response.status_code == 201 and response.get_json()["merchant"]["name"] == "张记面馆"
    assert statements[-1].lstrip().upper().startswith("INSERT INTO VOUCHERS"), statements[-3:]


def test_points_may_be_sent_as_an_integer(client, world):
    response = post(client, world, {"merchant_id": world.shop.id, "points": 50})

    assert response.status_code == 201 and response.get_json()["points"] == "50"


def test_the_same_key_and_body_again_returns_the_same_voucher_with_200_and_moves_nothing(client, world):
    first = post(client, world, {"offer_id": world.rice.id}, key="k-1")
    before = state(world)

    again = post(client, world, {"offer_id": world.rice.id}, key="k-1")

    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert state(world) == before


def test_the_same_key_with_a_different_body_is_422_idempotency_conflict(client, world):
    post(client, world, {"offer_id": world.rice.id}, key="k-1")
    before = state(world)

    response = post(client, world, {"merchant_id": world.shop.id, "points": "100"}, key="k-1")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_conflict"
    assert state(world) == before


def test_without_a_key_every_request_makes_a_voucher(client, world):
    post(client, world, {"offer_id": world.noodles.id})
    post(client, world, {"offer_id": world.noodles.id})

    assert state(world)[2] == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 81, "ключ"])
def test_a_malformed_key_is_422(client, world, key):
    before = state(world)

    response = post(client, world, {"offer_id": world.rice.id}, key=key)

    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"
    assert state(world) == before


def test_not_enough_points_is_422_with_available_and_needed(client, world):
    poor = factories.make_resident(world.session, world.community, name="钱少", points="60")

    response = post(client, world, {"offer_id": world.rice.id}, auth=bearer(client, poor))

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "insufficient_points"
    assert "60" in error["message"] and "100" in error["message"]
    assert state(world)[2] == 0


def test_out_of_stock_is_409(client, world):
    post(client, world, {"offer_id": world.rice.id})
    post(client, world, {"offer_id": world.rice.id})
    before = state(world)

    response = post(client, world, {"offer_id": world.rice.id})

    assert response.status_code == 409 and error_of(response)["code"] == "out_of_stock"
    assert state(world) == before


@pytest.mark.parametrize("case, status, code", [
    ("hidden", 422, "offer_unavailable"),
    ("pending_shop", 422, "shop_not_active"),
    ("over_cap", 422, "over_bill_cap"),
    ("unknown_offer", 404, "offer_not_found"),
    ("unknown_shop", 404, "shop_not_found"),
    ("monthly_limit", 422, "monthly_limit"),
])
def test_each_refusal_has_its_status_and_code_and_moves_nothing(client, world, case, status, code):
    session, community = world.session, world.community
    pending = factories.make_merchant(session, community, name="新店", status="pending")
    limited = factories.make_offer(session, community, title="鸡蛋", points="10", monthly_limit=1)
    post(client, world, {"offer_id": limited.id})
    bodies = {
        "hidden": {"offer_id": factories.make_offer(session, community, active=False).id},
        "pending_shop": {"merchant_id": pending.id, "points": "10"},
        "over_cap": {"merchant_id": world.shop.id, "points": "201"},
        "unknown_offer": {"offer_id": 999999},
        "unknown_shop": {"merchant_id": 999999, "points": "10"},
        "monthly_limit": {"offer_id": limited.id},
    }
    before = state(world)

    response = post(client, world, bodies[case])

    assert response.status_code == status and error_of(response)["code"] == code
    assert state(world) == before


@pytest.mark.parametrize("body", [
    {},
    {"offer_id": 1, "merchant_id": 1, "points": "10"},
    {"merchant_id": 1},
    {"points": "10"},
    {"merchant_id": 1, "points": 1.5},
    {"merchant_id": 1, "points": "0"},
    {"merchant_id": 1, "points": "-3"},
    {"offer_id": "abc"},
    {"offer_id": 2**40},
])
def test_a_malformed_body_is_422_invalid_input(client, world, body):
    response = post(client, world, body)

    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"
    assert state(world)[2] == 0


def test_making_a_voucher_needs_a_residents_token(client, world):
    clerk = factories.make_user(world.session, world.community, "merchant_clerk", merchant=world.shop)

    assert client.post(URL, json={"offer_id": world.rice.id}).status_code == 401
    response = post(client, world, {"offer_id": world.rice.id}, auth=bearer(client, clerk))
    assert response.status_code == 403 and state(world)[2] == 0


# GET /vouchers and /vouchers/{id} -------------------------------------------------------------

def test_the_list_shows_own_vouchers_held_first(client, world):
    done = post(client, world, {"offer_id": world.rice.id}).get_json()
    client.post(f"{URL}/{done['id']}/cancel", headers=world.auth)
    held = post(client, world, {"offer_id": world.noodles.id}).get_json()
    neighbour = factories.make_resident(world.session, world.community, points="100")
    factories.make_voucher(world.session, neighbour, world.noodles)

    listed = client.get(URL, headers=world.auth)

    assert listed.status_code == 200
    assert [(v["id"], v["status"]) for v in listed.get_json()["vouchers"]] == [
        (held["id"], "held"), (done["id"], "cancelled")]
    assert client.get(f"{URL}?limit=1", headers=world.auth).get_json()["vouchers"][0]["id"] == held["id"]
    assert client.get(f"{URL}?limit=0", headers=world.auth).status_code == 422


def test_one_voucher_is_shown_to_its_owner_only(client, world):
    voucher = post(client, world, {"offer_id": world.rice.id}).get_json()
    neighbour = factories.make_resident(world.session, world.community, points="100")

    mine = client.get(f"{URL}/{voucher['id']}", headers=world.auth)
    theirs = client.get(f"{URL}/{voucher['id']}", headers=bearer(client, neighbour))

    assert mine.status_code == 200 and mine.get_json() == voucher
    assert theirs.status_code == 404 and error_of(theirs)["code"] == "voucher_not_found"
    assert client.get(f"{URL}/999999", headers=world.auth).status_code == 404
    assert client.get(f"{URL}/{2**40}", headers=world.auth).status_code == 404


def test_a_held_voucher_past_its_time_reads_expired(client, world):
    old = factories.make_voucher(world.session, world.resident, merchant=world.shop, points="10",
                                 now=utcnow() - timedelta(hours=1))

    assert client.get(f"{URL}/{old.id}", headers=world.auth).get_json()["status"] == "expired"


# POST /vouchers/{id}/cancel ----------------------------------------------------------------

def test_cancelling_returns_the_points_with_200(client, world):
    voucher = post(client, world, {"offer_id": world.rice.id}).get_json()

    response = client.post(f"{URL}/{voucher['id']}/cancel", headers=world.auth)

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert state(world)[:2] == (Decimal("500"), Decimal("0"))


def test_cancelling_twice_is_410_and_moves_nothing(client, world):
    voucher = post(client, world, {"offer_id": world.rice.id}).get_json()
    client.post(f"{URL}/{voucher['id']}/cancel", headers=world.auth)
    before = state(world)

    response = client.post(f"{URL}/{voucher['id']}/cancel", headers=world.auth)

    assert response.status_code == 410 and error_of(response)["code"] == "voucher_cancelled"
    assert state(world) == before


def test_cancelling_a_redeemed_voucher_is_409(client, world):
    voucher = post(client, world, {"offer_id": world.rice.id}).get_json()
    staff = factories.make_user(world.session, world.community, "staff")
    services.redeem_voucher(world.session, clerk=staff, voucher_id=voucher["id"], now=utcnow())
    before = state(world)

    response = client.post(f"{URL}/{voucher['id']}/cancel", headers=world.auth)

    assert response.status_code == 409 and error_of(response)["code"] == "voucher_already_redeemed"
    assert state(world) == before


def test_cancelling_an_expired_voucher_is_410(client, world):
    voucher = factories.make_voucher(world.session, world.resident, merchant=world.shop,
                                     points="10", now=utcnow() - timedelta(hours=1))
    services.expire_due_vouchers(world.session, now=utcnow())

    response = client.post(f"{URL}/{voucher.id}/cancel", headers=world.auth)

    assert response.status_code == 410 and error_of(response)["code"] == "voucher_expired"


def test_cancelling_someone_elses_voucher_is_404_and_moves_nothing(client, world):
    voucher = post(client, world, {"offer_id": world.rice.id}).get_json()
    neighbour = factories.make_resident(world.session, world.community, points="100")
    before = state(world)

    response = client.post(f"{URL}/{voucher['id']}/cancel", headers=bearer(client, neighbour))

    assert response.status_code == 404 and state(world) == before


def test_the_contract_paths_are_in_the_openapi_document(client, world):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"/api/v1/catalog", "/api/v1/vouchers", "/api/v1/vouchers/{voucher_id}",
            "/api/v1/vouchers/{voucher_id}/cancel"} <= set(paths)
    assert "201" in paths["/api/v1/vouchers"]["post"]["responses"]
    assert "200" in paths["/api/v1/vouchers"]["post"]["responses"]


def test_the_list_pages_by_cursor_and_a_new_voucher_never_shifts_a_later_page(client, world):
    made = [post(client, world, {"offer_id": world.noodles.id}).get_json()["id"] for _ in range(3)]
    first = client.get(f"{URL}?limit=2", headers=world.auth).get_json()
    assert [v["id"] for v in first["vouchers"]] == made[::-1][:2] and first["next_cursor"]
    newer = post(client, world, {"offer_id": world.noodles.id}).get_json()["id"]
    second = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}", headers=world.auth).get_json()
    assert [v["id"] for v in second["vouchers"]] == [made[0]] and second["next_cursor"] is None
    client.post(f"{URL}/{made[0]}/cancel", headers=world.auth)
    held = client.get(f"{URL}?status=held", headers=world.auth).get_json()["vouchers"]
    assert [v["id"] for v in held] == [newer, made[2], made[1]]
    cancelled = client.get(f"{URL}?status=cancelled", headers=world.auth).get_json()["vouchers"]
    assert [v["id"] for v in cancelled] == [made[0]]
    for bad in ("cursor=%%%", "cursor=abc", "status=lost"):
        answer = client.get(f"{URL}?{bad}", headers=world.auth)
        assert answer.status_code == 422 and "error" in answer.get_json()
