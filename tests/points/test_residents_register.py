"""Registering one resident: the household is found or made in the grid, the account gets a
random initial password shown once and must change it at first sign-in."""
import pytest
from sqlalchemy import func, select

from points.auth import passwords
from points.auth.errors import InvalidPhoneError, PhoneTakenError
from points.auth.models import User
from points.auth.services import find_user_by_phone
from points.errors import ForbiddenError, NotFoundError
from points.households.models import Household
from points.residents import services
from points.residents.errors import AddressInOtherGridError, NameMissingError
from points.residents.models import ResidentProfile
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    grid = factories.make_grid(db.session, community, name="第一网格")
    staff = factories.make_user(db.session, community, "staff", name="李干事")
    return community, grid, staff


def register(db, office, actor=None, **overrides):
    community, grid, staff = office
    fields = dict(name="王奶奶", phone="13800000001", grid_id=grid.id, address="3栋2单元401",
                  relation="户主")
    return services.register_resident(db.session, actor=actor or staff, community=community,
                                      now=utcnow(), **{**fields, **overrides})


def count(db, model):
    stmt = select(func.count()).select_from(model).execution_options(all_communities=True)
    return db.session.scalar(stmt)


def test_registered_resident_gets_an_eight_digit_password_to_change_at_first_sign_in(db, office):
    community, grid, staff = office

    registration = register(db, office)

    user = registration.user
    assert registration.password.isdigit() and len(registration.password) == 8
    assert passwords.verify_password(user.password_hash, registration.password)
    assert (user.role, user.must_change_password, user.community_id) == ("resident", True, community.id)
    assert (user.household.address, user.household.grid_id) == ("3栋2单元401", grid.id)
    assert user.created_by_id == staff.id
    assert db.session.get(ResidentProfile, user.id).relation == "户主"


def test_a_second_resident_at_the_same_address_joins_that_household(db, office):
    first = register(db, office).user

    second = register(db, office, name="王爷爷", phone="13800000002", address=" 3栋2单元４０１ ").user

    assert second.household_id == first.household_id
    assert count(db, Household) == 1


def test_an_address_already_in_another_grid_is_refused_and_nothing_is_registered(db, office):
    community, _, _ = office
    register(db, office)
    other_grid = factories.make_grid(db.session, community, name="第二网格")

    with pytest.raises(AddressInOtherGridError):
        register(db, office, phone="13800000002", grid_id=other_grid.id)

    assert count(db, User) == 2  # the staff member and the first resident


@pytest.mark.parametrize("overrides, error", [
    ({"phone": "12345"}, InvalidPhoneError),
    ({"name": "   "}, NameMissingError),
])
def test_bad_input_is_refused(db, office, overrides, error):
    with pytest.raises(error):
        register(db, office, **overrides)

    assert count(db, Household) == 0


def test_a_phone_registered_anywhere_is_refused(db, office):
    factories.make_resident(db.session, factories.make_community(db.session, name="别的社区"),
                            phone="13800000001")

    with pytest.raises(PhoneTakenError) as refused:
        register(db, office)

    assert refused.value.code == "already_exists"


def test_a_grid_worker_registers_into_their_own_grid_but_not_into_another(db, office):
    community, grid, _ = office
    other_grid = factories.make_grid(db.session, community, name="第二网格")
    worker = factories.make_user(db.session, community, "grid_worker", grids=[grid])

    assert register(db, office, actor=worker).user.household.grid_id == grid.id
    with pytest.raises(NotFoundError):
        register(db, office, actor=worker, phone="13800000002", grid_id=other_grid.id)


def test_a_resident_cannot_register_anyone(db, office):
    community, _, _ = office
    resident = factories.make_resident(db.session, community)

    with pytest.raises(ForbiddenError):
        register(db, office, actor=resident)


def test_register_page_shows_the_password_once_and_keeps_it_out_of_caches(client, db, office):
    _, grid, staff = office
    sign_in(client, staff)

    response = client.post("/staff/residents/new", data={
        "name": "王奶奶", "phone": "138 0000 0001", "grid_id": grid.id, "address": "3栋2单元401",
        "relation": ""})

    html = response.get_data(as_text=True)
    password = html.split('data-test="password">')[1].split("<")[0]
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "只显示这一次" in html and len(password) == 8
    client.post("/sign-out")
    resident = find_user_by_phone(db.session, "13800000001")
    signed_in = sign_in(client, resident, password=password)
    assert signed_in.headers["Location"].endswith("/account/password")


def test_register_page_keeps_what_was_typed_when_the_phone_is_taken(client, db, office):
    community, grid, staff = office
    factories.make_resident(db.session, community, phone="13800000001")
    sign_in(client, staff)

    response = client.post("/staff/residents/new", data={
        "name": "王奶奶", "phone": "13800000001", "grid_id": grid.id, "address": "3栋2单元401"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已经登记过了" in html and 'value="王奶奶"' in html


def test_register_page_offers_only_the_grids_in_reach(client, db, office):
    community, grid, _ = office
    factories.make_grid(db.session, community, name="第二网格")
    worker = factories.make_user(db.session, community, "grid_worker", grids=[grid])
    sign_in(client, worker)

    html = client.get("/staff/residents/new").get_data(as_text=True)

    assert "第一网格" in html and "第二网格" not in html
