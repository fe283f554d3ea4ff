"""``flask --app wsgi demo`` builds 北新社区 once, with working sign-ins and real balances."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.models import Entry, Transfer
from merchants.models import Merchant
from points import demo, wallets
from points.auth.models import User
from points.communities.models import Community, Grid
from points.households.models import Household

FIXED = {"13800000000": "admin", "13800000001": "staff", "13800000002": "resident",
         "13800000003": "merchant_clerk", "13800000004": "merchant_owner",
         "13800000009": "district_admin"}


def run_demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_builds_the_beixin_community(app, db):
    output = run_demo(app)

    community = db.session.scalar(select(Community).where(Community.code == "beixin"))
    assert community.name == "北新社区"
    assert count(db, Grid) == 2
    assert count(db, Household) == 20
    assert count(db, User, User.role == "resident") == 40
    assert count(db, Merchant, Merchant.status == "active") == 3
    assert {m.name for m in db.session.scalars(select(Merchant))} == {"张记面馆", "惠民超市", "阿香理发"}
    assert count(db, User, User.role.in_(("merchant_owner", "merchant_clerk"))) == 6
    assert "已创建" in output and demo.PASSWORD in output and "/sign-in" in output
    for phone in FIXED:
        assert phone in output


def test_demo_sign_ins_have_their_roles_and_places(app, db):
    run_demo(app)

    users = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.in_(FIXED)))}
    assert {phone: user.role for phone, user in users.items()} == FIXED
    assert not any(user.must_change_password for user in users.values())
    resident = users["13800000002"]
    assert resident.household.grid.name == "第一网格"
    assert users["13800000009"].community_id is None
    shop = db.session.get(Merchant, users["13800000003"].merchant_id)
    assert shop.name == "张记面馆" and users["13800000004"].merchant_id == shop.id


@pytest.mark.parametrize("phone", sorted(FIXED))
def test_every_demo_sign_in_gets_an_api_token(app, db, client, phone):
    run_demo(app)

    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": demo.PASSWORD})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["role"] == FIXED[phone]


def test_every_resident_has_earned_points_through_the_ledger(app, db):
    from ledger.verify import verify
    from points.earning.models import Credit

    run_demo(app)

    residents = list(db.session.scalars(select(User).where(User.role == "resident")))
    balances = [wallets.wallet_balance(db.session, user) for user in residents]
    assert all(b.balance + b.held > 0 for b in balances)
    # Every earned point of a person is a credit for real work (activity or claim).
    earned = db.session.scalar(select(func.sum(Transfer.amount)).where(
        Transfer.kind == "earn", Transfer.ref_type.in_(("activity", "claim"))))
    assert earned == db.session.scalar(select(func.sum(Credit.points)))
    kinds = set(db.session.scalars(select(Transfer.kind).distinct()))
    assert {"earn", "hold", "redeem", "settle", "coupon", "donation"} <= kinds
    assert db.session.scalar(select(func.sum(Entry.amount))) == Decimal("0")
    assert verify(db.session) == []


def test_demo_earnings_are_spread_over_past_months(app, db):
    run_demo(app)

    dates = list(db.session.scalars(select(Transfer.created_at)))
    months = {moment.strftime("%Y-%m") for moment in dates}
    assert len(months) >= 4
    assert max(dates) < ledger.models.utcnow()


def test_second_run_changes_nothing_and_says_so(app, db):
    run_demo(app)
    before = [count(db, model) for model in (User, Household, Merchant, Transfer, Entry)]

    output = run_demo(app)

    assert "已经存在" in output and "没有做任何更改" in output
    assert [count(db, model) for model in (User, Household, Merchant, Transfer, Entry)] == before


def test_demo_refuses_when_a_demo_phone_belongs_to_someone_else(app, db):
    from tests.factories import make_community, make_user

    other = make_community(db.session, name="别的社区", code="other")
    make_user(db.session, other, phone="13800000002")

    result = app.test_cli_runner().invoke(args=["demo"])

    assert result.exit_code != 0 and "13800000002" in result.output
    assert count(db, Community) == 1


def test_demo_ledger_passes_verification(app, db):
    verify = pytest.importorskip("ledger.verify")
    run_demo(app)

    assert verify.verify(db.session) == []
