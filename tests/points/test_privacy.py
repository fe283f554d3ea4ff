"""Personal data (PIPL): phone numbers masked for everyone but the owner and their office,
a resident's own data as a JSON file, and anonymising a resident who leaves."""
import json
from decimal import Decimal

import pytest

from ledger.verify import verify
from merchants import services as shop_services
from merchants.models import CANCELLED, Voucher
from points import wallets
from points.audit.models import AuditEvent
from points.auth.models import ApiToken, ProxyGrant, User
from points.auth.rules import mask_phone
from points.errors import ForbiddenError, NotFoundError
from points.residents import privacy, services
from points.residents.models import ResidentProfile
from points.timeutil import utcnow
from tests import factories
from tests.factories import PASSWORD, bearer, make_held_voucher, make_scan_world, make_user, sign_in

RESIDENT_PHONE = "13800000002"
NEIGHBOUR_PHONE = "13800000003"


@pytest.fixture
def world(db):
    """A scan world whose resident 王秀英 was registered by the office (with a relation and a
    note), holds a proxy, made a redemption, and has a neighbour with similar data."""
    world = make_scan_world(db.session)
    session = db.session
    with factories.unit_of_work(session):
        world.resident.phone, world.neighbour.phone = RESIDENT_PHONE, NEIGHBOUR_PHONE
        for person in (world.resident, world.neighbour):
            session.add(ResidentProfile(user_id=person.id, community_id=person.community_id,
                                        relation="户主", note=f"{person.name}的备注",
                                        registered_by_id=world.staff.id))
    world.son = make_user(session, world.community, "resident", name="王小明")
    services.grant_proxy(session, actor=world.staff, community=world.community,
                         resident_id=world.resident.id, proxy_phone=world.son.phone, relation="子女",
                         now=utcnow())
    for person in (world.resident, world.neighbour):
        voucher = make_held_voucher(session, person, world.shop, points="40", title=f"面条{person.id}")
        shop_services.redeem_voucher(session, clerk=world.clerk, voucher_id=voucher.id, now=utcnow())
    world.far_staff = make_user(session, world.elsewhere, "staff", name="远方干事")
    return world


def text(response):
    return response.get_data(as_text=True)


# --- masking ------------------------------------------------------------------------------

@pytest.mark.parametrize("phone, shown", [("13800000002", "138****0002"), ("1380002", "138****0002"),
                                          ("", "****"), (None, "****"), ("12345", "****")])
def test_a_phone_number_is_masked_to_its_first_three_and_last_four_digits(phone, shown):
    assert mask_phone(phone) == shown


def test_a_clerk_sees_neither_the_residents_phone_nor_full_name(client, world):
    sign_in(client, world.clerk)
    page = text(client.get("/merchant/redemptions"))
    api = json.dumps(client.get("/api/v1/merchant/redemptions",
                                headers=bearer(client, world.clerk)).get_json(), ensure_ascii=False)

    for shown in (page, api):
        assert RESIDENT_PHONE not in shown and "王秀英" not in shown
    assert "王**" in page


def test_the_office_sees_the_full_phone_a_grid_worker_a_masked_one(client, db, world):
    url = f"/staff/residents/{world.resident.id}"
    sign_in(client, world.staff)
    assert RESIDENT_PHONE in text(client.get(url))

    grid = world.resident.household.grid
    worker = make_user(db.session, world.community, "grid_worker", grids=[grid])
    client.post("/sign-out")
    sign_in(client, worker)
    page = text(client.get(url))
    assert "138****0002" in page and RESIDENT_PHONE not in page


# --- own data -------------------------------------------------------------------------------

def downloaded(client, world, how):
    if how == "page":
        sign_in(client, world.resident)
        response = client.get("/me/data")
    else:
        response = client.get("/api/v1/me/data", headers=bearer(client, world.resident))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=my-data-")
    assert response.headers["Content-Disposition"].endswith(".json")
    return response


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_resident_downloads_their_own_data_and_no_one_elses(client, world, how):
    raw = text(downloaded(client, world, how))
    data = json.loads(raw)

    assert data["profile"]["name"] == "王秀英" and data["profile"]["phone"] == RESIDENT_PHONE
    assert data["profile"]["community"] == "北新社区"
    assert data["profile"]["household_address"] == world.resident.household.address
    assert data["proxies"][0]["other_name"] == "王小明" and data["proxies"][0]["relation"] == "子女"
    assert [line["kind"] for line in data["statement"]]  # grant, hold, redemption…
    assert sum(Decimal(line["amount"]) for line in data["statement"]) == Decimal(data["balance"]["points"])
    assert [v["title"] for v in data["vouchers"]] == [f"面条{world.resident.id}"]
    for absent in ("赵桂兰", NEIGHBOUR_PHONE, world.neighbour.household.address, "password",
                   "token_hash", "pbkdf2", "scrypt", "argon2", "idempotency_key"):
        assert absent not in raw


def test_the_data_page_is_linked_from_my_page_and_needs_a_wallet(client, world):
    sign_in(client, world.resident)
    assert "/me/data" in text(client.get("/me"))
    client.post("/sign-out")
    sign_in(client, world.staff)
    assert client.get("/me/data").status_code == 403
    assert client.get("/api/v1/me/data", headers=bearer(client, world.staff)).status_code == 403


# --- anonymising ----------------------------------------------------------------------------

def ledger_state(db):
    from ledger.models import Account, Entry, Transfer

    db.session.expire_all()
    return ([(a.id, a.balance, a.held) for a in db.session.query(Account).order_by(Account.id)],
            db.session.query(Entry).count(), db.session.query(Transfer).count())


def anonymise(db, world, actor=None, user=None, reason="已搬离本社区"):
    return privacy.anonymise(db.session, actor=actor or world.staff, user_id=(user or world.resident).id,
                             reason=reason, now=utcnow())


def test_anonymising_removes_personal_data_and_leaves_the_ledger_untouched(client, db, world):
    bearer(client, world.resident)  # a live token
    before = ledger_state(db)
    balance = wallets.wallet_balance(db.session, world.resident)
    resident_id = world.resident.id

    anonymise(db, world)

    db.session.expire_all()
    user = db.session.get(User, resident_id)
    assert user.name == f"已注销居民 #{resident_id}" and not user.active
    assert user.phone != RESIDENT_PHONE and not user.phone.isdigit()
    profile = db.session.get(ResidentProfile, resident_id)
    assert profile.note == "" and profile.relation == ""
    assert db.session.query(ApiToken).filter_by(user_id=resident_id, revoked_at=None).count() == 0
    assert db.session.query(ProxyGrant).filter_by(resident_id=resident_id, revoked_at=None).count() == 0
    assert ledger_state(db) == before and verify(db.session) == []
    assert wallets.wallet_balance(db.session, user) == balance
    event = db.session.query(AuditEvent).filter_by(action="resident.anonymise").one()
    recorded = json.dumps([event.before, event.after, event.reason], ensure_ascii=False)
    assert "王秀英" not in recorded and RESIDENT_PHONE not in recorded and "name" in recorded
    # and the neighbour is as she was
    assert db.session.get(User, world.neighbour.id).name == "赵桂兰"


def test_an_anonymised_resident_cannot_sign_in(client, db, world):
    anonymise(db, world)

    response = client.post("/sign-in", data={"phone": RESIDENT_PHONE, "password": PASSWORD})
    assert response.status_code != 302 or "/sign-in" in response.headers.get("Location", "")
    assert client.get("/me").status_code in (302, 401)
    api = client.post("/api/v1/auth/token", json={"phone": RESIDENT_PHONE, "password": PASSWORD})
    assert api.status_code == 401
    placeholder = db.session.get(User, world.resident.id).phone
    response = client.post("/api/v1/auth/token", json={"phone": placeholder, "password": PASSWORD})
    assert response.status_code == 401


def test_a_held_voucher_must_be_cancelled_first(db, world):
    voucher = make_held_voucher(db.session, world.resident, world.shop, points="30")
    with pytest.raises(privacy.VoucherStillHeldError):
        anonymise(db, world)
    assert db.session.get(User, world.resident.id).name == "王秀英"

    shop_services.cancel_voucher(db.session, acting=_self(world.resident), voucher_id=voucher.id,
                                 now=utcnow())
    assert db.session.get(Voucher, voucher.id).status == CANCELLED
    anonymise(db, world)


def _self(user):
    from points.residents.acting import acting_as_self

    return acting_as_self(user)


def test_anonymising_twice_is_refused(db, world):
    anonymise(db, world)
    with pytest.raises(privacy.AlreadyAnonymisedError):
        anonymise(db, world)


def test_only_the_office_of_the_community_may_anonymise(db, world):
    with pytest.raises(NotFoundError):
        anonymise(db, world, actor=world.far_staff)
    for actor in (world.neighbour, world.clerk):
        with pytest.raises(ForbiddenError):
            anonymise(db, world, actor=actor)
    with pytest.raises(privacy.ReasonMissingError):
        anonymise(db, world, reason="  ")


def api_anonymise(client, world, actor, reason="已搬离本社区"):
    return client.post(f"/api/v1/residents/{world.resident.id}/anonymise",
                       headers=bearer(client, actor), json={"reason": reason})


def test_the_api_anonymises_and_refuses_in_its_error_shape(client, db, world):
    assert api_anonymise(client, world, world.far_staff).status_code == 404
    assert api_anonymise(client, world, world.neighbour).status_code == 403
    assert api_anonymise(client, world, world.clerk).status_code == 403
    assert api_anonymise(client, world, world.staff, reason="").status_code == 422

    done = api_anonymise(client, world, world.staff)
    assert done.status_code == 200 and done.get_json()["name"].startswith("已注销居民")
    again = api_anonymise(client, world, world.staff)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_anonymised"


def test_the_api_refuses_while_a_voucher_is_held(client, db, world):
    make_held_voucher(db.session, world.resident, world.shop, points="30")
    response = api_anonymise(client, world, world.staff)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "voucher_still_held"


def test_the_staff_page_confirms_then_anonymises(client, db, world):
    url = f"/staff/residents/{world.resident.id}/anonymise"
    sign_in(client, world.staff)
    assert url in text(client.get(f"/staff/residents/{world.resident.id}"))
    page = client.get(url)
    assert page.status_code == 200 and "按社区规定到期作废" in text(page)
    assert client.post(url, data={"reason": ""}).status_code == 422

    done = client.post(url, data={"reason": "已搬离本社区"})
    assert done.status_code == 302
    assert db.session.get(User, world.resident.id).active is False
    again = client.post(url, data={"reason": "再来一次"})
    assert again.status_code == 409 and "已经注销" in text(again)


def test_the_page_refuses_other_communities_and_non_office(client, db, world):
    url = f"/staff/residents/{world.resident.id}/anonymise"
    sign_in(client, world.far_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"reason": "x"}).status_code == 404
    client.post("/sign-out")
    sign_in(client, world.neighbour)
    assert client.post(url, data={"reason": "x"}).status_code == 403
    assert db.session.get(User, world.resident.id).active is True


def test_the_page_refuses_in_words_while_a_voucher_is_held(client, db, world):
    make_held_voucher(db.session, world.resident, world.shop, points="30")
    sign_in(client, world.staff)
    response = client.post(f"/staff/residents/{world.resident.id}/anonymise", data={"reason": "搬走"})
    assert response.status_code == 422 and "请先取消兑换券再注销" in text(response)
    assert db.session.get(User, world.resident.id).active is True


def test_a_grid_worker_has_no_anonymise_button_and_is_refused(client, db, world):
    worker = make_user(db.session, world.community, "grid_worker",
                       grids=[world.resident.household.grid])
    sign_in(client, worker)
    assert "anonymise" not in text(client.get(f"/staff/residents/{world.resident.id}"))
    assert client.post(f"/staff/residents/{world.resident.id}/anonymise",
                       data={"reason": "x"}).status_code == 403


def test_a_clerk_downloads_their_own_wallet_not_the_shops(client, world):
    response = client.get("/api/v1/me/data", headers=bearer(client, world.clerk))
    data = response.get_json() or json.loads(text(response))

    assert response.status_code == 200 and data["profile"]["name"] == "李小红"
    assert data["statement"] == [] and data["balance"]["points"] == "0"
    assert "王秀英" not in text(response) and RESIDENT_PHONE not in text(response)
