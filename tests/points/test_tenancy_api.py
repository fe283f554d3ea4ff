"""One community never sees another's rows: through the API, and in every scoped query."""
import pytest
from sqlalchemy import select

from merchants.models import Merchant
from points.api import token_required
from points.auth.models import User
from points.communities.models import Grid
from points.extensions import db as flask_db
from points.households.models import Household
from points.tenancy import scoped_to, set_scope
from tests.factories import bearer, make_community, make_household, make_merchant, make_user


class Two:
    """Communities A and B, each with a grid, a household, a resident and a shop."""

    def __init__(self, session):
        self.a = make_community(session, name="北新社区", code="a")
        self.b = make_community(session, name="城口社区", code="b")
        self.household_a = make_household(session, self.a, address="1栋1单元101")
        self.household_b = make_household(session, self.b, address="9栋9单元909")
        self.resident_a = make_user(session, self.a, "resident", name="王秀英",
                                    household=self.household_a)
        self.resident_b = make_user(session, self.b, "resident", name="李建国",
                                    household=self.household_b)
        self.shop_a = make_merchant(session, self.a, name="张记面馆")
        self.shop_b = make_merchant(session, self.b, name="惠民超市")
        # Plain ids, read before any scope is set (a scoped refresh would not find B's rows).
        self.a_id, self.b_id = self.a.id, self.b.id
        self.household_a_id, self.household_b_id = self.household_a.id, self.household_b.id


@pytest.fixture
def two(db):
    return Two(db.session)


@pytest.fixture
def probe_app(app):
    """Routes only tests have: what an unfiltered query returns inside a request."""

    def households():
        rows = flask_db.session.scalars(select(Household).order_by(Household.id))
        return {"addresses": [row.address for row in rows]}

    app.add_url_rule("/api/v1/test/households", "test_households",
                     token_required()(households))
    app.add_url_rule("/api/v1/test/households-unauthenticated", "test_households_open",
                     households)
    return app


# --- through the API --------------------------------------------------------------------

def test_me_shows_only_the_residents_own_community(client, two):
    body = client.get("/api/v1/me", headers=bearer(client, two.resident_a)).get_json()

    assert body["community"] == {"id": two.a.id, "name": "北新社区"}
    assert body["household"]["address"] == "1栋1单元101"
    assert "城口社区" not in str(body) and "9栋9单元909" not in str(body)


@pytest.mark.private_app  # adds routes
def test_a_request_with_a_token_queries_only_its_community(probe_app, two):
    client = probe_app.test_client()

    body = client.get("/api/v1/test/households", headers=bearer(client, two.resident_a)).get_json()

    assert body == {"addresses": ["1栋1单元101"]}


@pytest.mark.private_app  # adds routes
def test_the_scope_ends_with_the_request(probe_app, two):
    client = probe_app.test_client()
    client.get("/api/v1/test/households", headers=bearer(client, two.resident_b))

    body = client.get("/api/v1/test/households-unauthenticated").get_json()

    assert body == {"addresses": ["1栋1单元101", "9栋9单元909"]}


@pytest.mark.private_app  # adds routes
def test_a_district_admin_sees_every_community(probe_app, db, two):
    admin = make_user(db.session, None, "district_admin", name="钱文")
    client = probe_app.test_client()

    body = client.get("/api/v1/test/households", headers=bearer(client, admin)).get_json()

    assert body == {"addresses": ["1栋1单元101", "9栋9单元909"]}


def test_token_of_b_cannot_read_a_through_me(client, two):
    body = client.get("/api/v1/me", headers=bearer(client, two.resident_b)).get_json()

    assert body["id"] == two.resident_b.id and body["community"]["id"] == two.b.id


# --- the automatic scoping (points/tenancy.py) -------------------------------------------

@pytest.mark.parametrize("model, column", [(Household, Household.address), (Grid, Grid.id),
                                           (Merchant, Merchant.name), (User, User.name)])
def test_a_scoped_session_reads_only_its_communitys_rows(db, two, model, column):
    set_scope(db.session, two.a_id)

    rows = db.session.scalars(select(model)).all()

    assert rows and {row.community_id for row in rows} == {two.a_id}


def test_all_communities_option_bypasses_the_scope(db, two):
    set_scope(db.session, two.a_id)

    rows = db.session.scalars(select(Household).execution_options(all_communities=True)).all()

    assert {row.community_id for row in rows} == {two.a_id, two.b_id}


def test_an_unscoped_session_reads_every_community(db, two):
    rows = db.session.scalars(select(Household)).all()

    assert {row.community_id for row in rows} == {two.a.id, two.b.id}


def test_scoping_applies_to_joins_and_get(db, two):
    db.session.expunge_all()  # nothing cached: ``get`` must ask the database
    set_scope(db.session, two.a_id)

    joined = db.session.scalars(select(User.name).join(Household, User.household_id == Household.id)).all()

    assert joined == ["王秀英"]
    assert db.session.get(Household, two.household_b_id) is None
    assert db.session.get(Household, two.household_a_id).address == "1栋1单元101"


def test_filtering_by_another_community_finds_nothing(db, two):
    set_scope(db.session, two.a_id)

    rows = db.session.scalars(select(Household).where(Household.community_id == two.b_id)).all()

    assert rows == []


def test_scoped_to_restores_the_previous_scope(db, two):
    set_scope(db.session, two.a_id)

    with scoped_to(db.session, two.b_id):
        inside = db.session.scalars(select(Merchant.name)).all()
    after = db.session.scalars(select(Merchant.name)).all()

    assert inside == ["惠民超市"] and after == ["张记面馆"]
