"""``GET /api/v1/reports/summary`` over HTTP: every role, every refusal."""
import pytest

from points import months
from tests import factories
from tests.factories import bearer
from tests.points.reports.conftest import seed

URL = "/api/v1/reports/summary"


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]["code"]


@pytest.fixture
def seeded(db):
    return seed(db.session)


def get(client, user, **query):
    return client.get(URL, query_string=query, headers=bearer(client, user))


def test_office_staff_read_their_community(client, db, seeded):
    for role in ("staff", "admin"):
        user = seeded.staff if role == "staff" else factories.make_user(db.session, seeded.community, role)
        response = get(client, user)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["community"] == seeded.community.code and body["grid"] is None
        assert body["points"] == {"issued": "160", "redeemed": "20", "expired": "40",
                                  "outstanding": "140", "outstanding_cny": "2.80"}
        assert body["fund"] == {"balance": "1000.00", "coverage": "357.1429"}
        assert body["participation"] == {"residents": 4, "active_residents": 2, "rate": "0.5000",
                                         "households": 3, "households_this_year": 2,
                                         "household_rate": "0.6667"}
        assert body["approvals"] == {"waiting": 0, "decided_30_days": 0, "median_minutes": None}
        assert len(body["monthly"]) == 12
        assert body["monthly"][-1] == {"month": months.month_of(seeded.now), "issued": "160",
                                       "redeemed": "20"}


def test_a_month_and_a_grid(client, seeded):
    this = months.month_of(seeded.now)
    body = get(client, seeded.staff, month=this, grid=seeded.grid2.id).get_json()
    assert body["grid"] == seeded.grid2.id
    assert body["points"]["issued"] == "115" and body["points"]["outstanding"] == "115"
    assert body["fund"]["balance"] == "1000.00"  # community-wide
    earlier = get(client, seeded.staff, month="2020-01").get_json()
    assert earlier["points"]["issued"] == "0" and earlier["points"]["outstanding"] == "140"
    first = months.this_month(seeded.now)
    by_days = get(client, seeded.staff, since=first.isoformat(),
                  until=months.following(first).isoformat()).get_json()
    assert by_days["points"] == get(client, seeded.staff).get_json()["points"]


def test_grid_workers_read_only_their_grids(client, db, seeded):
    worker = factories.make_user(db.session, seeded.community, "grid_worker", grids=[seeded.grid1])
    body = get(client, worker).get_json()
    assert body["grid"] == seeded.grid1.id and body["points"]["issued"] == "45"
    assert get(client, worker, grid=seeded.grid1.id).status_code == 200
    refused = get(client, worker, grid=seeded.grid2.id)
    assert refused.status_code == 403 and error_of(refused) == "forbidden"
    both = factories.make_user(db.session, seeded.community, "grid_worker",
                               grids=[seeded.grid1, seeded.grid2])
    response = get(client, both)
    assert response.status_code == 422 and error_of(response) == "grid_required"
    assert get(client, both, grid=seeded.grid2.id).get_json()["points"]["issued"] == "115"
    none = factories.make_user(db.session, seeded.community, "grid_worker")
    response = get(client, none)
    assert response.status_code == 403 and error_of(response) == "forbidden"


def test_district_admins_read_a_community_or_the_sum(client, db, seeded):
    admin = factories.make_user(db.session, None, "district_admin", name="钱文")
    whole = get(client, admin).get_json()
    assert whole["community"] is None
    assert whole["points"]["issued"] == str(160 + 525)
    assert whole["fund"]["balance"] == "1300.00"
    one = get(client, admin, community=seeded.community.code).get_json()
    assert one["community"] == seeded.community.code and one["points"]["issued"] == "160"
    other = get(client, admin, community=seeded.other.code, grid=seeded.grid1.id)
    assert other.status_code == 404  # a grid of another community
    missing = get(client, admin, community="nowhere")
    assert missing.status_code == 404 and error_of(missing) == "not_found"
    lonely = get(client, admin, grid=seeded.grid1.id)
    assert lonely.status_code == 422 and error_of(lonely) == "grid_needs_community"


@pytest.mark.parametrize("role", ["resident", "merchant_clerk", "merchant_owner"])
def test_residents_and_shops_are_refused(client, db, seeded, role):
    user = (seeded.residents[0] if role == "resident" else
            factories.make_user(db.session, seeded.community, role, merchant=seeded.merchant))
    response = get(client, user)
    assert response.status_code == 403 and error_of(response) == "forbidden"


def test_without_a_token_401(client, seeded):
    response = client.get(URL)
    assert response.status_code == 401 and error_of(response) == "not_signed_in"


def test_staff_cannot_read_another_community_or_its_grids(client, db, seeded):
    refused = get(client, seeded.staff, community=seeded.other.code)
    assert refused.status_code == 403 and error_of(refused) == "forbidden"
    assert get(client, seeded.staff, community=seeded.community.code).status_code == 200
    other_grid = factories.make_grid(db.session, seeded.other)
    response = get(client, seeded.staff, grid=other_grid.id)
    assert response.status_code == 404 and error_of(response) == "not_found"


@pytest.mark.parametrize("query, code", [
    ({"month": "2026-13"}, "bad_period"), ({"month": "2026-1"}, "bad_period"),
    ({"month": "２０２６-01"}, "bad_period"), ({"month": "2026-01-01"}, "invalid_input"),
    ({"since": "2026-01-01"}, "bad_period"), ({"since": "2026-02-01", "until": "2026-01-01"}, "bad_period"),
    ({"since": "2024-01-01", "until": "2026-01-01"}, "bad_period"),
    ({"month": "2026-01", "since": "2026-01-01", "until": "2026-02-01"}, "bad_period"),
    ({"since": "2026-02-30", "until": "2026-03-01"}, "invalid_input"),
    ({"grid": "x"}, "invalid_input"), ({"grid": "0"}, "invalid_input"),
])
def test_bad_parameters_are_422(client, seeded, query, code):
    response = get(client, seeded.staff, **query)
    assert response.status_code == 422 and error_of(response) == code


def test_an_empty_community_answers_null_ratios(client, db):
    community = factories.make_community(db.session)
    body = get(client, factories.make_user(db.session, community, "staff")).get_json()
    assert body["fund"] == {"balance": "0.00", "coverage": None}
    assert body["participation"]["rate"] is None and body["participation"]["household_rate"] is None


# --- shares: earned points by activity type, redeemed points by shop ----------------------

SHARE_KEYS = {"key", "name", "count", "points"}
CONTRACT_KEYS = {"period", "community", "grid", "points", "fund", "participation", "approvals", "monthly"}


@pytest.fixture
def with_unnamed_rows(db, seeded):
    """Seeded, plus a household inspection award of 12 (an ``earn`` without a credit) and
    a redemption of 100 at the community's own store, counted by the office."""
    from decimal import Decimal

    import ledger
    from merchants import services as shop_services
    from points import wallets
    from points.extensions import unit_of_work

    session = db.session
    household = seeded.households[2]
    with unit_of_work(session):
        account = ledger.open_account(session, community_id=seeded.community.id,
                                      owner_type=wallets.HOUSEHOLD, owner_id=household.id)
        wallets.credit_points(session, account=account, community_id=seeded.community.id,
                              amount=Decimal("12"), key="test-inspection-award", kind="earn")
    buyer = factories.make_resident(session, seeded.community, household=household, points="100")
    rice = factories.make_offer(session, seeded.community, points="100")
    voucher = factories.make_voucher(session, buyer, rice, now=seeded.now)
    shop_services.redeem_voucher(session, clerk=seeded.staff, voucher_id=voucher.id, now=seeded.now)
    return seeded


def as_json(shares, unnamed):
    return [{"key": share.key, "name": share.name or unnamed, "count": share.count,
             "points": str(share.points)} for share in shares]


def test_the_shares_are_the_summarys_and_sum_to_earned_and_redeemed(client, db, with_unnamed_rows):
    from points.reports import figures

    seeded = with_unnamed_rows
    body = get(client, seeded.staff).get_json()
    found = figures.summary(db.session, community_id=seeded.community.id, since=seeded.since,
                            until=seeded.until, now=seeded.now)

    assert set(body) == CONTRACT_KEYS | {"activities", "shops", "computed_at"}  # the contract's fields kept
    assert body["computed_at"] is None  # a community's figures are live
    assert body["points"]["issued"] == "272" and body["points"]["redeemed"] == "120"
    assert all(set(row) == SHARE_KEYS for row in body["activities"] + body["shops"])
    assert body["activities"] == as_json(found.activities, "家庭卫生评比")
    assert body["shops"] == as_json(found.shops, "社区积分超市")
    # Earned: credits 30 + 10 (+ 20 reversed) and the award of 12; grants and coupons not split.
    assert sum(int(row["points"]) for row in body["activities"]) == 52
    assert sum(int(row["points"]) for row in body["shops"]) == int(body["points"]["redeemed"])
    assert {"key": None, "name": "家庭卫生评比", "count": 1, "points": "12"} in body["activities"]
    assert body["shops"] == [
        {"key": None, "name": "社区积分超市", "count": 1, "points": "100"},
        {"key": seeded.merchant.id, "name": seeded.merchant.name, "count": 1, "points": "20"}]


def test_unnamed_rows_follow_the_request_language(client, with_unnamed_rows):
    headers = {**bearer(client, with_unnamed_rows.staff), "Accept-Language": "en"}

    body = client.get(URL, headers=headers).get_json()

    assert {"key": None, "name": "Household hygiene inspection", "count": 1, "points": "12"} \
        in body["activities"]
    assert body["shops"][0]["name"] == "Community points store"


def test_shares_follow_the_grid_and_the_district_sum(client, db, with_unnamed_rows):
    seeded = with_unnamed_rows
    worker = factories.make_user(db.session, seeded.community, "grid_worker", grids=[seeded.grid1])
    grid = get(client, worker).get_json()
    admin = factories.make_user(db.session, None, "district_admin")
    district = get(client, admin).get_json()

    assert sorted(int(row["points"]) for row in grid["activities"]) == [10, 30]
    assert [(row["key"], row["points"]) for row in grid["shops"]] == [(seeded.merchant.id, "20")]
    # A district's named rows keep one community's id; only inspections and the store have none.
    assert all((row["key"] is None) == (row["name"] in ("社区积分超市", "家庭卫生评比"))
               for row in district["activities"] + district["shops"])
    assert sum(int(row["points"]) for row in district["shops"]) == int(district["points"]["redeemed"])
    assert {row["name"] for row in district["shops"]} == {"社区积分超市", seeded.merchant.name, "南城超市"}


def test_an_empty_period_has_empty_shares(client, seeded):
    body = get(client, seeded.staff, month="2020-01").get_json()

    assert body["activities"] == [] and body["shops"] == []


def test_the_openapi_describes_the_shares(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    summary = spec["components"]["schemas"]["SummaryOut"]["properties"]
    assert "activity type" in summary["activities"]["description"]
    assert "shop" in summary["shops"]["description"]
    share = spec["components"]["schemas"]["ShareOut"]["properties"]
    assert set(share) == SHARE_KEYS and "null" in share["key"]["description"]
