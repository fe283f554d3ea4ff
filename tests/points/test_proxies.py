"""亲情代理: staff link a family member as a resident's proxy; the proxy switches to acting
for the resident, sees their points under a banner, and goes back; records name both."""
import pytest

from points.errors import ForbiddenError
from points.residents import services
from points.residents.acting import acting_for, posted_resident_id
from points.residents.errors import ProxyAlreadyGrantedError, ProxyIsSelfError, ProxyUserNotFoundError
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def family(db):
    """An elderly resident with 120 points, her son (a resident too) and the office."""
    community = factories.make_community(db.session)
    mother = factories.make_resident(db.session, community, name="王奶奶", points="120")
    son = factories.make_resident(db.session, community, name="王小明", phone="13822223333")
    staff = factories.make_user(db.session, community, "staff")
    return community, mother, son, staff


def grant(db, family, phone=None, relation="子女"):
    community, mother, son, staff = family
    return services.grant_proxy(db.session, actor=staff, community=community, resident_id=mother.id,
                                proxy_phone=phone or son.phone, relation=relation, now=utcnow())


def revoke(db, family, link):
    community, _, _, staff = family
    return services.revoke_proxy(db.session, actor=staff, community=community, grant_id=link.id,
                                 now=utcnow())


def test_a_linked_proxy_acts_for_the_resident_and_records_name_both(db, family):
    _, mother, son, _ = family
    grant(db, family)

    acting = acting_for(db.session, son, mother.id)

    assert acting.is_proxy and acting.resident.id == mother.id and acting.relation == "子女"
    assert acting.transfer_ids() == {"actor_id": mother.id, "proxy_id": son.id}


def test_acting_for_oneself_needs_no_grant_and_records_no_proxy(db, family):
    _, _, son, _ = family

    assert acting_for(db.session, son, son.id).transfer_ids() == {"actor_id": son.id, "proxy_id": None}


def test_acting_without_a_grant_or_after_revocation_is_forbidden(db, family):
    _, mother, son, _ = family
    with pytest.raises(ForbiddenError):
        acting_for(db.session, son, mother.id)
    revoke(db, family, grant(db, family))

    with pytest.raises(ForbiddenError):
        acting_for(db.session, son, mother.id)


def test_a_revoked_link_can_be_granted_again(db, family):
    _, mother, son, _ = family
    first = grant(db, family)
    revoke(db, family, first)

    again = grant(db, family, relation="其他亲属")

    assert again.id == first.id and again.revoked_at is None and again.relation == "其他亲属"
    assert acting_for(db.session, son, mother.id).is_proxy


@pytest.mark.parametrize("phone, error", [
    ("13899999999", ProxyUserNotFoundError),
    ("self", ProxyIsSelfError),
    ("twice", ProxyAlreadyGrantedError),
])
def test_unusable_proxies_are_refused(db, family, phone, error):
    _, mother, _, _ = family
    if phone == "twice":
        grant(db, family)

    with pytest.raises(error):
        grant(db, family, phone={"self": mother.phone, "twice": None}.get(phone, phone))


def test_staff_link_a_proxy_on_the_resident_page(client, db, family):
    _, mother, son, staff = family
    sign_in(client, staff)

    client.post(f"/staff/residents/{mother.id}/proxies", data={"phone": son.phone, "relation": "子女"})
    html = client.get(f"/staff/residents/{mother.id}").get_data(as_text=True)

    assert 'data-test="proxy"' in html and "王小明" in html and "取消代理" in html


def test_the_proxy_switches_to_the_resident_sees_her_points_and_goes_back(client, db, family):
    _, mother, son, _ = family
    grant(db, family)
    sign_in(client, son)

    switch = client.post(f"/me/acting/{mother.id}")
    acting_home = client.get("/home").get_data(as_text=True)
    client.post("/me/acting/stop")
    own_home = client.get("/home").get_data(as_text=True)

    assert switch.headers["Location"].endswith("/home")
    assert "正在代 王奶奶 操作" in acting_home and 'data-test="balance">120<' in acting_home
    assert 'data-test="acting-banner"' not in own_home and 'data-test="balance">0<' in own_home


def test_a_revoked_grant_ends_acting_at_the_next_page(client, db, family):
    _, mother, son, _ = family
    link = grant(db, family)
    sign_in(client, son)
    client.post(f"/me/acting/{mother.id}")

    revoke(db, family, link)
    html = client.get("/home").get_data(as_text=True)

    assert 'data-test="acting-banner"' not in html and 'data-test="balance">0<' in html


def test_switching_to_someone_without_a_grant_is_forbidden(client, db, family):
    _, mother, son, _ = family
    sign_in(client, son)

    assert client.post(f"/me/acting/{mother.id}").status_code == 403


def test_the_me_page_offers_to_act_for_each_linked_resident(client, db, family):
    _, _, son, _ = family
    grant(db, family)
    sign_in(client, son)

    html = client.get("/me").get_data(as_text=True)

    assert "代 王奶奶 操作" in html and 'data-test="act-for"' in html


@pytest.mark.parametrize("raw, expected", [(None, None), ("", None), ("  ", None), ("abc", None),
                                           ("-3", None), ("²", None), (" 42 ", 42)])
def test_a_posted_acting_for_that_names_no_one_means_oneself(raw, expected):
    assert posted_resident_id(raw) == expected


@pytest.mark.parametrize("raw", ["2147483648" + "0" * 10, "9" * 5_000])
def test_a_posted_acting_for_past_every_id_is_refused(raw):
    with pytest.raises(ForbiddenError):
        posted_resident_id(raw)
