"""``GET /api/v1/me/balance`` and ``GET /api/v1/me/statement``: DESIGN's contract rows."""
import base64
from datetime import date
from decimal import Decimal
from itertools import count

import pytest

import ledger
from points import wallets
from points.earning import services as earning
from points.extensions import unit_of_work
from points.timeutil import utcnow
from tests.factories import (
    bearer, give_points, make_community, make_credit, make_merchant, make_resident, make_user,
)
from tests.races import sql_sent

BALANCE_URL = "/api/v1/me/balance"
STATEMENT_URL = "/api/v1/me/statement"
_keys = count(1)


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], body
    return body["error"]


def earn(session, user, points, reason=""):
    with unit_of_work(session):
        account = wallets.wallet_id(session, user)
        return wallets.credit_points(session, account=account, community_id=user.community_id,
                                     amount=Decimal(points), key=f"test-earn-{next(_keys)}",
                                     kind="earn", reason=reason)


def spend(session, user, shop, points):
    with ledger.write_transaction(session):
        return ledger.transfer(session, debit=wallets.wallet_id(session, user),
                               credit=wallets.merchant_account_id(session, shop),
                               amount=Decimal(points), key=f"test-spend-{next(_keys)}",
                               kind="spend")


def hold(session, user, shop, points):
    with ledger.write_transaction(session):
        return ledger.hold(session, account=wallets.wallet_id(session, user),
                           destination=wallets.merchant_account_id(session, shop),
                           amount=Decimal(points), key=f"test-hold-{next(_keys)}")


def reverse(session, transfer_id, actor):
    with ledger.write_transaction(session):
        return ledger.reverse(session, transfer_id, key=f"test-reverse-{next(_keys)}",
                              reason="误记", actor_id=actor.id)


@pytest.fixture
def community(db):
    return make_community(db.session, name="北新社区")


@pytest.fixture
def shop(db, community):
    return make_merchant(db.session, community)


@pytest.fixture
def resident(db, community):
    return make_resident(db.session, community, name="王秀英")


def cursor_for(text):
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


# --- GET /api/v1/me/balance ----------------------------------------------------------

def test_balance_shows_spendable_held_and_earned_points_as_decimal_strings(client, db, resident, shop):
    earn(db.session, resident, "300", reason="参加\"清洁家园\"活动")
    give_points(db.session, resident, "100")
    hold(db.session, resident, shop, "50")
    spend(db.session, resident, shop, "100")

    response = client.get(BALANCE_URL, headers=bearer(client, resident))

    assert response.status_code == 200
    assert response.get_json() == {"points": "250", "held": "50", "lifetime_earned": "300",
                                   "level": 1, "level_name": "志愿新星"}


def test_lifetime_earned_ignores_spending_and_subtracts_a_reversal(client, db, community, resident, shop):
    staff = make_user(db.session, community, "staff")
    earn(db.session, resident, "200")
    mistaken = earn(db.session, resident, "100")
    reverse(db.session, mistaken.id, staff)
    spend(db.session, resident, shop, "50")

    body = client.get(BALANCE_URL, headers=bearer(client, resident)).get_json()

    assert body["lifetime_earned"] == "200"
    assert body["points"] == "150" and body["held"] == "0"


def test_a_balance_is_read_in_four_statements(client, db, resident, shop):
    """The token with its user, the level (the standing's points, the ladder), and balance,
    held and lifetime earned in one: what bench/http.py's balance figures were measured with."""
    earn(db.session, resident, "200")
    hold(db.session, resident, shop, "50")
    headers = bearer(client, resident)

    with sql_sent(db.engine) as statements:
        response = client.get(BALANCE_URL, headers=headers)

    assert response.status_code == 200 and response.get_json()["lifetime_earned"] == "200"
    assert len(statements) == 4, statements


def test_the_level_follows_the_credits_that_stand(client, db, community, resident):
    """The level reads the standing, which every credit and reversal rewrites."""
    staff = make_user(db.session, community, "staff")
    make_credit(db.session, resident, "60", date(2026, 11, 2))
    mistaken = make_credit(db.session, resident, "50", date(2026, 11, 3))
    levels = [client.get(BALANCE_URL, headers=bearer(client, resident)).get_json()]
    earning.reverse_credit(db.session, actor=staff, credit_id=mistaken.id, reason="没有参加", now=utcnow())
    levels.append(client.get(BALANCE_URL, headers=bearer(client, resident)).get_json())

    assert [(body["level"], body["level_name"]) for body in levels] == [(2, "志愿能手"), (1, "志愿新星")]


def test_a_user_without_an_account_gets_zeros(client, resident):
    response = client.get(BALANCE_URL, headers=bearer(client, resident))

    assert response.status_code == 200
    assert response.get_json() == {"points": "0", "held": "0", "lifetime_earned": "0",
                                   "level": 1, "level_name": "志愿新星"}


@pytest.mark.parametrize("role", ["merchant_clerk", "merchant_owner"])
def test_shop_staff_see_their_shops_account_not_their_own_wallet(client, db, community, resident,
                                                                 shop, role):
    clerk = make_user(db.session, community, role, merchant=shop)
    give_points(db.session, clerk, "999")
    give_points(db.session, resident, "200")
    spend(db.session, resident, shop, "120")

    headers = bearer(client, clerk)
    balance = client.get(BALANCE_URL, headers=headers).get_json()
    entries = client.get(STATEMENT_URL, headers=headers).get_json()["entries"]

    assert balance == {"points": "120", "held": "0", "lifetime_earned": "0", "level": 1,
                       "level_name": "志愿新星"}
    assert [(line["kind"], line["amount"]) for line in entries] == [("spend", "120")]


@pytest.mark.parametrize("url", [BALANCE_URL, STATEMENT_URL])
def test_staff_are_refused(client, db, community, url):
    staff = make_user(db.session, community, "staff")

    response = client.get(url, headers=bearer(client, staff))

    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("url", [BALANCE_URL, STATEMENT_URL])
def test_without_a_token_is_401(client, url):
    response = client.get(url)

    assert response.status_code == 401 and error_of(response)["code"] == "not_signed_in"


# --- GET /api/v1/me/statement --------------------------------------------------------

def test_statement_lists_lines_newest_first_with_running_balances(client, db, resident, shop):
    earn(db.session, resident, "100", reason="参加\"清洁家园\"活动")
    give_points(db.session, resident, "50")
    spend(db.session, resident, shop, "30")

    response = client.get(STATEMENT_URL, headers=bearer(client, resident))

    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    entries = body["entries"]
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in entries] == [
        ("spend", "-30", "120"), ("grant", "50", "150"), ("earn", "100", "100")]
    assert [line["description"] for line in entries] == [
        "在“张记面馆”消费", "社区发放：测试发放", "获得积分：参加\"清洁家园\"活动"]
    assert entries[0]["id"] > entries[1]["id"] > entries[2]["id"]
    assert set(entries[0]) == {"id", "created_at", "kind", "amount", "balance_after", "description"}
    assert entries[0]["created_at"].endswith("+00:00")


def test_statement_of_a_user_without_an_account_is_empty(client, resident):
    body = client.get(STATEMENT_URL, headers=bearer(client, resident)).get_json()

    assert body == {"entries": [], "next_cursor": None}


def test_pages_do_not_overlap_and_stay_put_when_new_lines_arrive(client, db, resident):
    for points in ("1", "2", "3", "4", "5"):
        earn(db.session, resident, points)
    headers = bearer(client, resident)

    first = client.get(STATEMENT_URL, query_string={"limit": 2}, headers=headers).get_json()
    earn(db.session, resident, "6")
    earn(db.session, resident, "7")
    second = client.get(STATEMENT_URL, query_string={"limit": 2, "cursor": first["next_cursor"]},
                        headers=headers).get_json()
    third = client.get(STATEMENT_URL, query_string={"limit": 2, "cursor": second["next_cursor"]},
                       headers=headers).get_json()

    pages = [[line["amount"] for line in page["entries"]] for page in (first, second, third)]
    assert pages == [["5", "4"], ["3", "2"], ["1"]]
    assert isinstance(first["next_cursor"], str) and second["next_cursor"]
    assert third["next_cursor"] is None


def test_a_full_last_page_has_no_next_cursor(client, db, resident):
    for points in ("1", "2"):
        earn(db.session, resident, points)

    body = client.get(STATEMENT_URL, query_string={"limit": 2},
                      headers=bearer(client, resident)).get_json()

    assert len(body["entries"]) == 2 and body["next_cursor"] is None


@pytest.mark.parametrize("query", [
    {"cursor": "not a cursor!"},
    {"cursor": "abc"},
    {"cursor": cursor_for("0")},
    {"cursor": cursor_for("-1")},
    {"cursor": cursor_for("12x")},
    {"cursor": cursor_for(str(2**63))},
    {"cursor": "A" * 200},
    {"limit": 0},
    {"limit": 101},
    {"limit": 1000},
    {"limit": -1},
    {"limit": "abc"},
    {"limit": "1.5"},
    {"limit": 2**31},
])
def test_bad_cursor_or_limit_is_422(client, db, resident, query):
    earn(db.session, resident, "10")

    response = client.get(STATEMENT_URL, query_string=query, headers=bearer(client, resident))

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert set(next(iter(error["fields"].values()))) == set(query)


def test_descriptions_follow_accept_language(client, db, resident, shop):
    earn(db.session, resident, "100", reason="参加\"清洁家园\"活动")
    hold(db.session, resident, shop, "40")
    headers = {**bearer(client, resident), "Accept-Language": "en"}

    entries = client.get(STATEMENT_URL, headers=headers).get_json()["entries"]

    assert [line["description"] for line in entries] == [
        "Points held for a voucher", "Points earned: 参加\"清洁家园\"活动"]


def test_another_residents_lines_never_appear(client, db, community, resident):
    neighbour = make_resident(db.session, community, name="李大爷")
    earn(db.session, resident, "10", reason="mine")
    earn(db.session, neighbour, "20", reason="theirs")
    earn(db.session, neighbour, "30", reason="theirs")

    body = client.get(STATEMENT_URL, headers=bearer(client, resident)).get_json()
    balance = client.get(BALANCE_URL, headers=bearer(client, resident)).get_json()

    assert [(line["amount"], line["description"]) for line in body["entries"]] == [
        ("10", "获得积分：mine")]
    assert balance["points"] == "10" and balance["lifetime_earned"] == "10"


def test_openapi_document_lists_balance_and_statement(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in (BALANCE_URL, STATEMENT_URL):
        assert spec["paths"][path]["get"]["security"] == [{"bearer": []}]
    parameters = {p["name"] for p in spec["paths"][STATEMENT_URL]["get"]["parameters"]}
    assert {"limit", "cursor"} <= parameters
