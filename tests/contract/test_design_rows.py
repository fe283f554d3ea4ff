"""The contract table of DESIGN.md, walked once, row by row, as the role it names.

Every row already has thorough tests in its package (tests/points/test_api_auth.py,
test_api_wallet.py, activities/test_api_events.py, claims/test_api.py,
merchants/test_api_mall.py, test_api_redemptions.py, test_api_settlements.py,
reports/test_api.py, test_health.py). This walk adds the one view those lack: the whole
table against one community in one pass, checking each row's status and body shape
(amounts as decimal strings, errors as ``{"error": {"code", "message"}}``).
"""
import re
from datetime import timedelta

from points import codes
from points.timeutil import local, utcnow
from tests import factories
from tests.contract.conftest import auth_headers

API = "/api/v1"
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def amounts(body, *names):
    for name in names:
        assert isinstance(body[name], str) and DECIMAL.match(body[name]), (name, body[name])


def refused(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert body["error"]["code"] == code and body["error"]["message"]
    return body


def test_every_contract_row_answers_as_designed(client, db, world):
    as_ = {role: auth_headers(world, role) for role in world.tokens}
    resident, clerk, staff = as_["resident"], as_["merchant_clerk"], as_["staff"]

    # GET /healthz — anyone
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"

    # POST /auth/token — anyone; a wrong password is 401 in the error shape
    signed_in = client.post(f"{API}/auth/token", json={"phone": world.users["resident"].phone,
                                                       "password": factories.PASSWORD})
    assert signed_in.status_code == 201
    assert set(signed_in.get_json()) == {"token", "role", "expires_at"}
    refused(client.post(f"{API}/auth/token", json={"phone": world.users["resident"].phone,
                                                   "password": "wrong-password"}), 401, "bad_credentials")

    # GET /me — any; residents have a household, shop staff a merchant_id
    me = client.get(f"{API}/me", headers=resident).get_json()
    assert me["role"] == "resident" and me["household"] and me["merchant_id"] is None
    assert client.get(f"{API}/me", headers=clerk).get_json()["merchant_id"] == world.shop.id
    refused(client.get(f"{API}/me"), 401, "not_signed_in")

    # GET /me/balance — resident, merchant
    balance = client.get(f"{API}/me/balance", headers=resident)
    assert balance.status_code == 200
    amounts(balance.get_json(), "points", "held", "lifetime_earned")
    assert isinstance(balance.get_json()["level"], int)
    assert client.get(f"{API}/me/balance", headers=clerk).status_code == 200

    # GET /me/statement — entries newest first, cursor paginated
    statement = client.get(f"{API}/me/statement?limit=1", headers=resident).get_json()
    assert len(statement["entries"]) == 1 and statement["next_cursor"]
    amounts(statement["entries"][0], "amount", "balance_after")
    older = client.get(f"{API}/me/statement?limit=1&cursor={statement['next_cursor']}",
                       headers=resident).get_json()["entries"][0]
    assert older["created_at"] <= statement["entries"][0]["created_at"]

    # GET /events · POST /events/{id}/signups — resident
    upcoming = factories.make_activity(db.session, world.community, world.care,
                                       starts_at=utcnow() + timedelta(days=2))
    events = client.get(f"{API}/events", headers=resident)
    assert events.status_code == 200 and upcoming.id in {event["id"] for event in events.get_json()["events"]}
    signed_up = client.post(f"{API}/events/{upcoming.id}/signups", headers=resident)
    assert signed_up.status_code == 201
    refused(client.post(f"{API}/events/{upcoming.id}/signups", headers=resident), 409, "already_signed_up")

    # POST /claims (resident) · GET /claims (staff, by status)
    work = {"type_id": world.care.id, "work_day": local(utcnow()).date().isoformat(),
            "description": "帮邻居搬米"}
    filed = client.post(f"{API}/claims", json=work, headers=resident)
    assert filed.status_code == 201 and filed.get_json()["status"] == "pending"
    amounts(filed.get_json(), "points_asked")
    pending = client.get(f"{API}/claims?status=pending", headers=staff)
    assert pending.status_code == 200
    assert {claim["status"] for claim in pending.get_json()["claims"]} == {"pending"}
    refused(client.get(f"{API}/claims?status=pending"), 401, "not_signed_in")

    # POST /claims/{id}/approve · /reject — staff
    approved = client.post(f"{API}/claims/{filed.get_json()['id']}/approve", json={"note": "属实"},
                           headers=staff)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    amounts(approved.get_json(), "points")
    rejected = client.post(f"{API}/claims/{world.claim.id}/reject", json={"reason": "重复申报"},
                           headers=staff)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    refused(client.post(f"{API}/claims/{world.claim.id}/approve", json={}, headers=resident), 403,
            "forbidden")

    # GET /catalog — resident: mall items and shop offers with stock
    catalog = client.get(f"{API}/catalog", headers=resident).get_json()
    offer = next(item for item in catalog["offers"] if item["id"] == world.shop_offer.id)
    amounts(offer, "points")
    assert isinstance(offer["stock"], int)

    # POST /vouchers — resident, Idempotency-Key: a repeat returns the first voucher (200,
    # as documented: nothing new was made)
    key = {"Idempotency-Key": "contract-row-voucher-1"}
    made = client.post(f"{API}/vouchers", json={"offer_id": world.shop_offer.id},
                       headers={**resident, **key})
    assert made.status_code == 201
    voucher = made.get_json()
    assert {"code", "qr", "expires_at", "status"} <= set(voucher) and voucher["status"] == "held"
    amounts(voucher, "points")
    again = client.post(f"{API}/vouchers", json={"offer_id": world.shop_offer.id},
                        headers={**resident, **key})
    assert again.status_code == 200 and again.get_json()["id"] == voucher["id"]
    by_amount = client.post(f"{API}/vouchers", json={"merchant_id": world.shop.id, "points": "20"},
                            headers=resident)
    assert by_amount.status_code == 201
    amounts(by_amount.get_json(), "points")

    # POST /vouchers/{id}/cancel — resident: the hold is voided
    cancelled = client.post(f"{API}/vouchers/{by_amount.get_json()['id']}/cancel", headers=resident)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"

    # POST /merchant/redemptions — merchant: 201, then 409, 410, 404, 403
    redeem = f"{API}/merchant/redemptions"
    redeemed = client.post(redeem, json={"code": voucher["code"]}, headers=clerk)
    assert redeemed.status_code == 201
    amounts(redeemed.get_json(), "points")
    refused(client.post(redeem, json={"code": voucher["code"]}, headers=clerk), 409,
            "voucher_already_redeemed")
    refused(client.post(redeem, json={"code": by_amount.get_json()["code"]}, headers=clerk), 410,
            "voucher_cancelled")
    unknown = "00000000" + codes.check_char("00000000")  # well formed, never issued
    refused(client.post(redeem, json={"code": unknown}, headers=clerk), 404, "voucher_not_found")
    store_voucher = client.get(f"{API}/vouchers/{world.held.id}", headers=resident).get_json()
    refused(client.post(redeem, json={"code": store_voucher["code"]}, headers=clerk), 403,
            "wrong_shop")

    # POST /settlements — staff: the month's statement (settled before: the same one, 200)
    period = world.settlement.period
    settled = client.post(f"{API}/settlements", json={"merchant_id": world.shop.id, "period": period},
                          headers=staff)
    assert settled.status_code == 200
    body = settled.get_json()
    assert (body["merchant_id"], body["period"]) == (world.shop.id, period)
    amounts(body, "points", "amount_cny")
    refused(client.post(f"{API}/settlements", json={"merchant_id": world.shop.id, "period": period},
                        headers=resident), 403, "forbidden")

    # GET /reports/summary — staff: issued, redeemed, outstanding, fund, participation
    summary = client.get(f"{API}/reports/summary", headers=staff)
    assert summary.status_code == 200
    report = summary.get_json()
    amounts(report["points"], "issued", "redeemed", "outstanding")
    amounts(report["fund"], "balance")
    assert "participation" in report
    refused(client.get(f"{API}/reports/summary", headers=resident), 403, "forbidden")
