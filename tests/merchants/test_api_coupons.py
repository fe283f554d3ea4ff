"""``/api/v1/coupons/rules`` (the office) and ``/api/v1/me/coupons`` (residents): the same
rules as the pages, over HTTP."""
import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from merchants.models import Coupon
from tests import factories
from tests.merchants.test_coupons import Town

RULE = {"name": "本月积分券", "min_points": "100", "points": "50", "budget": "1000", "valid_days": 30}


@pytest.fixture
def town(db):
    return Town(db.session)


def test_the_office_creates_a_rule_issues_a_month_and_residents_use_their_coupon(client, town):
    staff = factories.bearer(client, town.staff)
    made = client.post("/api/v1/coupons/rules", json=RULE, headers=staff)
    assert made.status_code == 201, made.get_json()
    rule = made.get_json()
    assert (rule["points"], rule["min_points"], rule["budget"]) == ("50", "100", "1000")

    issued = client.post(f"/api/v1/coupons/rules/{rule['id']}/issue", json={"month": town.month},
                         headers={**staff, "Idempotency-Key": "issue-1"})
    assert issued.status_code == 200
    assert issued.get_json() == {"month": town.month, "issued": 2, "skipped_by_budget": 0,
                                 "already": 0, "eligible": 2, "points": "100"}
    again = client.post(f"/api/v1/coupons/rules/{rule['id']}/issue", json={"month": town.month},
                        headers=staff)
    assert again.get_json()["issued"] == 0 and again.get_json()["already"] == 2
    listed = client.get(f"/api/v1/coupons/rules?month={town.month}", headers=staff).get_json()
    assert listed["rules"][0]["issued"] == 2 and listed["rules"][0]["points"] == "100"

    resident = factories.bearer(client, town.people["李大爷"])
    mine = client.get("/api/v1/me/coupons", headers=resident).get_json()
    assert [(c["points"], c["usable"], c["voucher_id"]) for c in mine["coupons"]] == [("50", True, None)]
    assert [shop["id"] for shop in mine["shops"]] == [town.shop.id]
    coupon_id = mine["coupons"][0]["id"]
    voucher = client.post(f"/api/v1/me/coupons/{coupon_id}/vouchers",
                          json={"merchant_id": town.shop.id}, headers=resident)
    assert voucher.status_code == 201 and voucher.get_json()["points"] == "50"
    waiting = client.post(f"/api/v1/me/coupons/{coupon_id}/vouchers",
                          json={"merchant_id": town.shop.id}, headers=resident)
    assert waiting.status_code == 200 and waiting.get_json()["id"] == voucher.get_json()["id"]
    clerk = factories.bearer(client, town.clerk)
    redeemed = client.post("/api/v1/merchant/redemptions", json={"code": voucher.get_json()["code"]},
                           headers=clerk)
    assert redeemed.status_code == 201
    used = client.get("/api/v1/me/coupons", headers=resident).get_json()["coupons"][0]
    assert (used["status"], used["usable"]) == ("used", False)
    assert verify(town.session) == []


@pytest.mark.parametrize("change, code", [
    ({"name": ""}, 422), ({"points": 1.5}, 422), ({"points": "0"}, 422), ({"min_points": "-1"}, 422),
    ({"valid_days": 0}, 422), ({"budget": "10"}, 422), ({"valid_days": "30"}, 422)])
def test_a_bad_rule_is_refused_with_the_error_shape_and_nothing_is_saved(client, town, change, code):
    answer = client.post("/api/v1/coupons/rules", json={**RULE, **change},
                         headers=factories.bearer(client, town.staff))
    assert answer.status_code == code
    assert set(answer.get_json()["error"]) >= {"code", "message"}
    assert client.get("/api/v1/coupons/rules", headers=factories.bearer(client, town.staff)
                      ).get_json()["rules"] == []


def test_others_are_refused(client, town):
    rule = town.rule()
    for user in (town.people["王秀英"], town.clerk, town.owner,
                 factories.make_user(town.session, town.community, "grid_worker")):
        headers = factories.bearer(client, user)
        assert client.get("/api/v1/coupons/rules", headers=headers).status_code == 403
        assert client.post(f"/api/v1/coupons/rules/{rule.id}/issue", json={"month": town.month},
                           headers=headers).status_code == 403
    assert client.get("/api/v1/me/coupons").status_code == 401
    # Another community's office cannot see or issue this rule.
    other = factories.make_community(town.session)
    stranger = factories.bearer(client, factories.make_user(town.session, other, "staff"))
    assert client.get("/api/v1/coupons/rules", headers=stranger).get_json()["rules"] == []
    assert client.post(f"/api/v1/coupons/rules/{rule.id}/issue", json={"month": town.month},
                       headers=stranger).status_code == 404
    assert town.session.scalar(select(func.count(Coupon.id))) == 0


def test_a_district_admin_names_the_community(client, town):
    admin = factories.bearer(client, factories.make_user(town.session, None, "district_admin"))
    assert client.get("/api/v1/coupons/rules", headers=admin).status_code == 403
    found = client.get(f"/api/v1/coupons/rules?community={town.community.code}", headers=admin)
    assert found.status_code == 200
    assert client.get("/api/v1/coupons/rules?community=nowhere", headers=admin).status_code == 404


def test_a_future_month_and_someone_elses_coupon_are_refused(client, town):
    rule = town.rule()
    town.issue(rule)
    staff = factories.bearer(client, town.staff)
    assert client.post(f"/api/v1/coupons/rules/{rule.id}/issue", json={"month": "2999-01"},
                       headers=staff).status_code == 422
    assert client.post(f"/api/v1/coupons/rules/{rule.id}/issue", json={"month": "2026-13"},
                       headers=staff).status_code == 422
    coupon = town.coupon_of("李大爷")
    neighbour = factories.bearer(client, town.people["王秀英"])
    answer = client.post(f"/api/v1/me/coupons/{coupon.id}/vouchers", json={"merchant_id": town.shop.id},
                         headers=neighbour)
    assert answer.status_code == 404
