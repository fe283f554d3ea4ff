"""Residents never cross communities or a grid worker's grids: another community's or
another grid's resident is "not found" (404), so that its existence is not revealed."""
import pytest
from sqlalchemy import func, select

from points.auth.models import ProxyGrant, User
from points.errors import NotFoundError
from points.extensions import unit_of_work
from points.residents import services
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def two_communities(db):
    """Community A with its staff member; community B with a grid, a resident and a proxy grant."""
    a = factories.make_community(db.session, name="北新社区")
    b = factories.make_community(db.session, name="城口社区")
    staff_a = factories.make_user(db.session, a, "staff")
    grid_b = factories.make_grid(db.session, b, name="城口一网格")
    resident_b = factories.make_resident(db.session, b, name="城口居民", phone="13855556666",
                                         household=factories.make_household(db.session, b, grid_b))
    proxy_b = factories.make_resident(db.session, b, name="城口家属")
    with unit_of_work(db.session):
        grant = ProxyGrant(resident_id=resident_b.id, proxy_id=proxy_b.id, granted_by_id=proxy_b.id)
        db.session.add(grant)
    return staff_a, grid_b, resident_b, grant


def residents_in(db, community):
    stmt = (select(func.count()).select_from(User)
            .where(User.community_id == community.id, User.role == "resident")
            .execution_options(all_communities=True))
    return db.session.scalar(stmt)


def test_staff_of_a_never_list_residents_of_b(client, db, two_communities):
    staff_a, _, resident_b, _ = two_communities
    sign_in(client, staff_a)

    html = client.get(f"/staff/residents?q={resident_b.phone}").get_data(as_text=True)

    assert "城口居民" not in html


def test_staff_of_a_opening_a_resident_of_b_get_not_found(client, db, two_communities):
    staff_a, _, resident_b, _ = two_communities
    sign_in(client, staff_a)

    assert client.get(f"/staff/residents/{resident_b.id}").status_code == 404


def test_staff_of_a_cannot_register_into_a_grid_of_b(client, db, two_communities):
    staff_a, grid_b, _, _ = two_communities
    community_b = grid_b.community
    sign_in(client, staff_a)

    response = client.post("/staff/residents/new", data={
        "name": "外来人", "phone": "13877778888", "grid_id": grid_b.id, "address": "1栋101"})

    assert response.status_code == 404
    assert residents_in(db, community_b) == 2


def test_staff_of_a_cannot_register_into_b_even_when_calling_the_service(db, two_communities):
    staff_a, grid_b, _, _ = two_communities

    with pytest.raises(NotFoundError):
        services.register_resident(db.session, actor=staff_a, community=grid_b.community,
                                   name="外来人", phone="13877778888", grid_id=grid_b.id,
                                   address="1栋101", now=utcnow())


def test_staff_of_a_cannot_link_or_unlink_proxies_in_b(client, db, two_communities):
    staff_a, _, resident_b, grant = two_communities
    sign_in(client, staff_a)

    linked = client.post(f"/staff/residents/{resident_b.id}/proxies", data={"phone": staff_a.phone})
    unlinked = client.post(f"/staff/residents/proxies/{grant.id}/revoke")

    assert (linked.status_code, unlinked.status_code) == (404, 404)
    db.session.expire_all()
    assert db.session.get(ProxyGrant, grant.id).revoked_at is None


def test_a_grid_worker_opening_a_resident_of_another_grid_gets_not_found(client, db):
    community = factories.make_community(db.session)
    own, other = factories.make_grid(db.session, community), factories.make_grid(db.session, community)
    neighbour = factories.make_resident(
        db.session, community, household=factories.make_household(db.session, community, other))
    sign_in(client, factories.make_user(db.session, community, "grid_worker", grids=[own]))

    assert client.get(f"/staff/residents/{neighbour.id}").status_code == 404


def test_a_district_admin_works_inside_the_community_they_chose(client, db, two_communities):
    _, grid_b, _, _ = two_communities
    admin = factories.make_user(db.session, None, "district_admin")
    sign_in(client, admin)

    first = client.get("/staff/residents")
    client.post("/staff/residents/community", data={"community_id": grid_b.community_id})
    html = client.get("/staff/residents").get_data(as_text=True)

    assert first.headers["Location"].endswith("/staff/residents/community")
    assert "城口居民" in html and "城口家属" in html
