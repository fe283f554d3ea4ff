"""``/api/v1/settlements`` over HTTP: run, list, read and mark paid, with exactly the
statuses of the contract, and nothing moved by a refusal."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from merchants import settlement as settling
from tests import factories
from tests.factories import bearer
from tests.merchants.test_settlement import World, drain_fund


@pytest.fixture
def world(db):
    return World(db.session)


def transfers(world):
    world.session.rollback()
    return world.session.scalar(select(func.count()).select_from(Transfer))


def settle(client, world, headers=None, **body):
    body = {"merchant_id": world.shop.id, "period": world.period, **body}
    return client.post("/api/v1/settlements", json=body,
                       headers=headers or bearer(client, world.staff))


def test_settling_answers_201_with_the_statement(client, world):
    world.redeem(100)
    world.refund(world.redeem(150))
    world.redeem(37)

    response = settle(client, world)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["merchant_id"], body["period"], body["status"]) == (world.shop.id, world.period, "settled")
    assert (body["points"], body["amount_cny"], body["points_per_yuan"]) == ("137", "2.74", "50")
    assert (body["redeemed_points"], body["refunded_points"], body["voucher_count"]) == ("287", "150", 2)
    assert [line["points"] for line in body["lines"]] == ["100", "150", "37"]
    assert [line["status"] for line in body["lines"]] == ["redeemed", "refunded", "redeemed"]
    assert body["lines"][0]["resident"] == "王**" and body["lines"][0]["funding"] == "wallet"
    assert body["payment_reference"] == "" and body["paid_at"] is None


def test_settling_again_answers_200_with_the_same_statement_and_moves_nothing(client, world):
    world.redeem(100)
    headers = bearer(client, world.staff)
    first = settle(client, world, headers)
    moved = transfers(world)

    again = settle(client, world, headers)

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert transfers(world) == moved


@pytest.mark.parametrize("body", [{"period": "2026-13"}, {"period": "2026-1"}, {"period": None},
                                  {"merchant_id": "x"}, {"merchant_id": 0}])
def test_a_bad_request_is_422_and_moves_nothing(client, world, body):
    world.redeem(100)
    moved = transfers(world)

    response = settle(client, world, **body)

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert transfers(world) == moved


def test_a_month_not_yet_ended_is_422(client, world):
    world.redeem(100, at=world.now - timedelta(seconds=5))
    moved = transfers(world)

    response = settle(client, world, period=settling.period_of(world.now))

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "period_not_ended"
    assert transfers(world) == moved


def test_an_unknown_shop_or_another_communitys_is_404(client, world):
    far = factories.make_merchant(world.session, factories.make_community(world.session))
    headers = bearer(client, world.staff)

    for merchant_id in (far.id, 2**31 - 1):
        response = settle(client, world, headers, merchant_id=merchant_id)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "shop_not_found"


def test_a_fund_that_cannot_cover_it_is_422_with_a_clear_message(client, world):
    world.redeem(500)
    drain_fund(world, "5.00")
    moved = transfers(world)

    response = settle(client, world)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "fund_insufficient"
    assert error["message"].startswith("社区基金余额不足：现有 ¥5.00，本次结算需要 ¥10.00")
    assert transfers(world) == moved


def test_only_office_staff_settle(client, world):
    world.redeem(100)
    grid_worker = factories.make_user(world.session, world.community, "grid_worker")

    for user in (world.owner, world.clerk, world.resident, grid_worker):
        assert settle(client, world, bearer(client, user)).status_code == 403
    assert client.post("/api/v1/settlements", json={"merchant_id": world.shop.id,
                                                    "period": world.period}).status_code == 401
    assert transfers(world) > 0 and world.session.scalar(
        select(func.count()).select_from(settling.Settlement)) == 0


def test_the_office_lists_all_an_owner_their_own_and_a_clerk_nothing(client, world):
    world.redeem(100)
    other = factories.make_merchant(world.session, world.community, name="李记超市")
    staff_headers = bearer(client, world.staff)
    mine = settle(client, world, staff_headers).get_json()
    theirs = settle(client, world, staff_headers, merchant_id=other.id).get_json()

    everything = client.get("/api/v1/settlements", headers=staff_headers).get_json()
    own = client.get("/api/v1/settlements", headers=bearer(client, world.owner)).get_json()
    filtered = client.get(f"/api/v1/settlements?merchant_id={other.id}&period={world.period}",
                          headers=staff_headers).get_json()
    clerk = client.get("/api/v1/settlements", headers=bearer(client, world.clerk))

    assert {s["id"] for s in everything["settlements"]} == {mine["id"], theirs["id"]}
    assert [s["id"] for s in own["settlements"]] == [mine["id"]]
    assert own["settlements"][0]["amount_cny"] == "2.00" and "lines" not in own["settlements"][0]
    assert [s["id"] for s in filtered["settlements"]] == [theirs["id"]]
    assert clerk.status_code == 403
    bad = client.get("/api/v1/settlements?period=2026-13", headers=staff_headers)
    assert bad.status_code == 422


def test_one_statement_for_its_owner_and_404_for_another_shops_owner(client, world):
    world.redeem(100)
    settled = settle(client, world).get_json()
    other = factories.make_merchant(world.session, world.community, name="李记超市")
    stranger = factories.make_user(world.session, world.community, "merchant_owner", merchant=other)
    outsider = factories.make_user(world.session, factories.make_community(world.session), "staff")

    own = client.get(f"/api/v1/settlements/{settled['id']}", headers=bearer(client, world.owner))

    assert own.status_code == 200 and own.get_json()["lines"][0]["points"] == "100"
    for user in (stranger, outsider):
        response = client.get(f"/api/v1/settlements/{settled['id']}", headers=bearer(client, user))
        assert response.status_code == 404


def test_marking_paid_records_the_reference_once(client, world):
    world.redeem(100)
    headers = bearer(client, world.staff)
    settlement_id = settle(client, world, headers).get_json()["id"]
    url = f"/api/v1/settlements/{settlement_id}/paid"

    paid = client.post(url, json={"reference": "BANK-20261205-01"}, headers=headers)
    moved = transfers(world)
    again = client.post(url, json={"reference": "BANK-20261205-01"}, headers=headers)
    other = client.post(url, json={"reference": "ANOTHER"}, headers=headers)
    empty = client.post(url, json={"reference": ""}, headers=headers)
    owner = client.post(url, json={"reference": "x"}, headers=bearer(client, world.owner))

    assert paid.status_code == 200
    assert (paid.get_json()["status"], paid.get_json()["payment_reference"]) == (
        "paid", "BANK-20261205-01")
    assert again.status_code == 200 and again.get_json() == paid.get_json()
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "settlement_already_paid"
    assert empty.status_code == 422 and owner.status_code == 403
    assert transfers(world) == moved
    assert world.payable() == 0 and world.account("paid_out") == Decimal("2.00")


def test_marking_a_zero_statement_paid_is_422(client, world):
    headers = bearer(client, world.staff)
    settlement_id = settle(client, world, headers).get_json()["id"]

    response = client.post(f"/api/v1/settlements/{settlement_id}/paid",
                           json={"reference": "x"}, headers=headers)

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "nothing_owed"


def test_the_settlement_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"post", "get"} <= set(paths["/api/v1/settlements"])
    assert "post" in paths["/api/v1/settlements/{settlement_id}/paid"]
