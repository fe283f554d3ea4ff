"""``/api/v1/merchant/redemptions``: DESIGN's contract row, each status over HTTP, and the
list and refund next to it. Every refusal moves nothing."""
from datetime import timedelta
from decimal import Decimal

import pytest

import ledger
from ledger.verify import verify
from merchants import qr, rules, services
from merchants.models import HELD, REDEEMED, REFUNDED, Voucher
from points import codes, wallets
from points.residents.acting import acting_as_self
from points.timeutil import local, utcnow
from tests.factories import bearer, make_held_voucher, make_scan_world, make_user
from tests.merchants.test_redeem_scanned import shop_points
from tests.merchants.test_refund_redemption import settle
from tests.races import sql_sent

URL = "/api/v1/merchant/redemptions"
SECRET = "test-secret-key"


@pytest.fixture
def world(db):
    world = make_scan_world(db.session)
    world.voucher = make_held_voucher(db.session, world.resident, world.shop, points="120")
    return world


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def moved(db, world):
    db.session.expire_all()
    return (wallets.wallet_balance(db.session, world.resident), shop_points(db.session, world.shop),
            [v.status for v in db.session.query(Voucher).order_by(Voucher.id)])


def redeem(client, headers, code):
    return client.post(URL, headers=headers, json={"code": code})


def refused(client, db, world, headers, code, status, error_code):
    before = moved(db, world)
    response = redeem(client, headers, code)
    assert response.status_code == status, response.get_json()
    assert error_of(response)["code"] == error_code
    assert moved(db, world) == before
    assert verify(db.session) == []
    return error_of(response)


# POST: each status of the contract ------------------------------------------------------

def test_the_clerk_is_answered_from_the_rows_written_without_reading_them_again(client, db, world):
    """``redeem_voucher`` keeps its rows after the commit (``write_transaction(expire=False)``,
    the owner kept on ``Voucher.owner``): the owner's notice is the last statement sent."""
    headers = bearer(client, world.clerk)
    with sql_sent(db.engine) as statements:
        response = redeem(client, headers, world.voucher.code)

    assert response.status_code == 201 and response.get_json()["resident"] == "王**"
    assert statements[-1].lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"), statements[-3:]


@pytest.mark.parametrize("how", ["code", "token", "url"])
def test_201_redeemed_with_the_voucher_points_and_masked_name(client, db, world, how):
    token = qr.voucher_token(SECRET, world.voucher)
    code = {"code": codes.display(world.voucher.code), "token": token,
            "url": f"https://jifen.example.cn/v/{token}"}[how]

    response = redeem(client, bearer(client, world.clerk), code)

    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] == world.voucher.id and body["title"] == "牛肉面一碗"
    assert body["points"] == "120" and body["status"] == "redeemed"
    assert body["resident"] == "王**" and body["merchant_id"] == world.shop.id
    assert body["redeemed_at"] and body["refunded_at"] is None
    assert body["code"] == codes.display(world.voucher.code)
    assert moved(db, world)[:2] == (ledger.Balance("POINTS", Decimal("380"), Decimal("0")),
                                    Decimal("120"))


def test_409_already_redeemed(client, db, world):
    headers = bearer(client, world.clerk)
    redeem(client, headers, world.voucher.code)

    error = refused(client, db, world, headers, world.voucher.code, 409, "voucher_already_redeemed")
    assert error["message"] == "这张券已经核销过了"


def test_410_expired(client, db, world):
    old = make_held_voucher(db.session, world.resident, world.shop,
                            now=utcnow() - timedelta(days=31))

    refused(client, db, world, bearer(client, world.clerk), old.code, 410, "voucher_expired")


def test_410_cancelled(client, db, world):
    services.cancel_voucher(db.session, acting=acting_as_self(world.resident),
                            voucher_id=world.voucher.id, now=utcnow())

    refused(client, db, world, bearer(client, world.clerk), world.voucher.code, 410,
            "voucher_cancelled")


def test_410_refunded(client, db, world):
    services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=world.voucher.id, now=utcnow())
    services.refund_redemption(db.session, actor=world.owner, voucher_id=world.voucher.id,
                               reason="退货", now=utcnow())

    refused(client, db, world, bearer(client, world.clerk), world.voucher.code, 410,
            "voucher_refunded")


def test_404_unknown_code(client, db, world):
    unused = "00000000" + codes.check_char("00000000")

    error = refused(client, db, world, bearer(client, world.clerk), unused, 404, "voucher_not_found")
    assert error["message"] == "查不到这张券，请核对号码"


def test_404_another_communitys_code_and_token(client, db, world):
    far = make_held_voucher(db.session, world.far_resident, world.far_shop)
    headers = bearer(client, world.clerk)

    refused(client, db, world, headers, far.code, 404, "voucher_not_found")
    refused(client, db, world, headers, qr.voucher_token(SECRET, far), 404, "voucher_not_found")


@pytest.mark.parametrize("damage", [lambda t: t[:-1], lambda t: t[:12], lambda t: "A" + t[1:]])
def test_404_tampered_or_truncated_token(client, db, world, damage):
    token = damage(qr.voucher_token(SECRET, world.voucher))

    error = refused(client, db, world, bearer(client, world.clerk), f"http://x/v/{token}", 404,
                    "bad_voucher_token")
    assert error["message"] == "二维码无效或不完整，请重新扫描"


def test_404_another_qr(client, db, world):
    refused(client, db, world, bearer(client, world.clerk), "https://example.com/pay", 404,
            "not_a_voucher")


def test_403_not_valid_at_this_shop(client, db, world):
    error = refused(client, db, world, bearer(client, world.other_clerk), world.voucher.code, 403,
                    "wrong_shop")
    assert error["message"] == "这张券不能在本店使用"


def test_422_wrong_check_character(client, db, world):
    code = world.voucher.code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    error = refused(client, db, world, bearer(client, world.clerk), wrong, 422,
                    "bad_check_character")
    assert error["message"] == "号码有误（校验位不对），请再核对一遍"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 12345}, {"code": "x" * 501}])
def test_422_a_body_without_a_code(client, db, world, body):
    before = moved(db, world)

    response = client.post(URL, headers=bearer(client, world.clerk), json=body)

    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"
    assert moved(db, world) == before


def test_429_after_ten_wrong_codes_with_retry_after(client, db, world):
    headers = bearer(client, world.clerk)
    statuses = [redeem(client, headers, "000000001").status_code for _ in range(10)]

    blocked = redeem(client, headers, world.voucher.code)

    assert statuses == [422] * 10
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert error_of(blocked)["code"] == "too_many_requests"
    assert db.session.get(Voucher, world.voucher.id).status == HELD


def test_401_without_a_token_and_403_for_a_resident(client, db, world):
    assert client.post(URL, json={"code": world.voucher.code}).status_code == 401
    response = redeem(client, bearer(client, world.resident), world.voucher.code)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert db.session.get(Voucher, world.voucher.id).status == HELD


def test_201_office_staff_at_the_store_counter(client, db, world):
    store = make_held_voucher(db.session, world.resident, None, points="80")

    response = redeem(client, bearer(client, world.staff), store.code)

    assert response.status_code == 201 and response.get_json()["merchant_id"] is None


def test_the_contract_is_in_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    post = spec["paths"]["/api/v1/merchant/redemptions"]["post"]
    assert {"201", "403", "404", "409", "410", "422", "429"} <= set(post["responses"])
    assert "/api/v1/merchant/redemptions/{voucher_id}/refund" in spec["paths"]


# GET: the shop's redemptions, cursor-paginated -------------------------------------------

def redeem_many(db, world, count):
    now = utcnow()
    made = []
    for minutes in range(count):
        voucher = make_held_voucher(db.session, world.resident, world.shop, points="10",
                                    now=now - timedelta(hours=1))
        made.append(services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=voucher.id,
                                            now=now - timedelta(minutes=minutes)))
    return made


def test_the_list_pages_newest_first_without_overlap(client, db, world):
    made = redeem_many(db, world, 5)
    headers = bearer(client, world.owner)

    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get(URL, headers=headers, query_string=query).get_json()
        seen += [item["id"] for item in body["redemptions"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == [voucher.id for voucher in made]
    assert body["redemptions"][-1]["resident"] == "王**"


def test_the_list_keeps_to_the_shop_and_the_period(client, db, world):
    redeem_many(db, world, 2)
    services.redeem_voucher(db.session, clerk=world.other_clerk, now=utcnow(),
                            voucher_id=make_held_voucher(db.session, world.resident,
                                                         world.other_shop).id)
    headers = bearer(client, world.clerk)
    period = rules.period_of(local(utcnow()))

    this_month = client.get(URL, headers=headers, query_string={"period": period}).get_json()
    long_ago = client.get(URL, headers=headers, query_string={"period": "2020-01"}).get_json()

    assert len(this_month["redemptions"]) == 2
    assert long_ago == {"redemptions": [], "next_cursor": None}


@pytest.mark.parametrize("query", [{"cursor": "!!"}, {"cursor": "MTIz"}, {"period": "2026-13"},
                                   {"limit": 0}])
def test_the_list_refuses_a_bad_query(client, world, query):
    response = client.get(URL, headers=bearer(client, world.owner), query_string=query)

    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"


def test_the_list_is_for_shops_only(client, world):
    assert client.get(URL, headers=bearer(client, world.resident)).status_code == 403


# POST …/refund --------------------------------------------------------------------------

def refund_url(voucher):
    return f"{URL}/{voucher.id}/refund"


@pytest.fixture
def redeemed(db, world):
    return services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=world.voucher.id,
                                   now=utcnow())


def test_the_owner_refunds_and_the_points_return(client, db, world, redeemed):
    response = client.post(refund_url(redeemed), headers=bearer(client, world.owner),
                           json={"reason": "顾客退货"})

    assert response.status_code == 200
    assert response.get_json()["status"] == REFUNDED
    assert response.get_json()["refund_reason"] == "顾客退货"
    assert moved(db, world)[:2] == (ledger.Balance("POINTS", Decimal("500"), Decimal("0")),
                                    Decimal("0"))


@pytest.mark.parametrize("actor, body, status, code", [
    ("owner", {"reason": "   "}, 422, "reason_required"),
    ("owner", {}, 422, "invalid_input"),
    ("other_owner", {"reason": "退货"}, 404, "voucher_not_found"),
    ("colleague", {"reason": "退货"}, 403, "refund_not_allowed"),
    ("resident", {"reason": "退货"}, 403, "forbidden"),
])
def test_refusals_of_a_refund_move_nothing(client, db, world, redeemed, actor, body, status, code):
    people = {
        "owner": world.owner, "resident": world.resident,
        "other_owner": make_user(db.session, world.community, "merchant_owner", merchant=world.other_shop),
        "colleague": make_user(db.session, world.community, "merchant_clerk", merchant=world.shop),
    }
    headers = bearer(client, people[actor])
    before = moved(db, world)

    response = client.post(refund_url(redeemed), headers=headers, json=body)

    assert response.status_code == status and error_of(response)["code"] == code
    assert moved(db, world) == before


def test_a_refund_twice_is_409_not_refundable(client, db, world, redeemed):
    headers = bearer(client, world.owner)
    client.post(refund_url(redeemed), headers=headers, json={"reason": "退货"})
    before = moved(db, world)

    response = client.post(refund_url(redeemed), headers=headers, json={"reason": "退货"})

    assert response.status_code == 409 and error_of(response)["code"] == "not_refundable"
    assert moved(db, world) == before


def test_a_refund_after_the_months_settlement_is_409(client, db, world, redeemed):
    settle(db.session, world, rules.period_of(local(redeemed.redeemed_at)), world.owner)
    before = moved(db, world)

    response = client.post(refund_url(redeemed), headers=bearer(client, world.owner),
                           json={"reason": "退货"})

    assert response.status_code == 409 and error_of(response)["code"] == "already_settled"
    assert error_of(response)["message"] == "这个月已经结算，不能再退款"
    assert moved(db, world) == before
    assert db.session.get(Voucher, redeemed.id).status == REDEEMED
