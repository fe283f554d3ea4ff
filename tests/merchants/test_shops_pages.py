"""The office's shop pages (``/staff/shops``): register, approve, suspend with a reason,
reactivate, set the per-bill cap; only office staff."""
import pytest
from sqlalchemy import select

from merchants.models import CANCELLED, Merchant, Voucher
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆")
    return type("World", (), dict(
        session=session, community=community, shop=shop,
        staff=factories.make_user(session, community, "staff", name="陈干事"),
        resident=factories.make_resident(session, community, points="500"),
    ))


def text(response):
    return response.get_data(as_text=True)


def shop_of(world, merchant_id):
    world.session.expire_all()
    return world.session.get(Merchant, merchant_id)


def follow(client, response):
    return text(client.get(response.headers["Location"]))


def test_staff_register_a_shop_and_approve_it(client, world):
    sign_in(client, world.staff)

    response = client.post("/staff/shops/new", data={"name": "阿香理发", "address": "建设北路 3 号",
                                                      "per_bill_cap": "300"})

    new = world.session.scalar(select(Merchant).where(Merchant.name == "阿香理发"))
    assert new.status == "pending" and "待审核" in follow(client, response)
    listed = text(client.get("/staff/shops"))
    assert listed.index("阿香理发") < listed.index("张记面馆")  # waiting ones first
    page = follow(client, client.post(f"/staff/shops/{new.id}/approve"))
    assert "已开始合作" in page and shop_of(world, new.id).status == "active"


def test_approving_an_active_shop_is_refused_in_words(client, world):
    sign_in(client, world.staff)

    page = follow(client, client.post(f"/staff/shops/{world.shop.id}/approve"))

    assert "只有待审核的商户可以批准" in page


def test_suspending_voids_open_vouchers_and_says_how_many(client, world):
    noodles = factories.make_offer(world.session, world.community, world.shop, points="30")
    voucher = factories.make_voucher(world.session, world.resident, noodles)
    sign_in(client, world.staff)
    assert "1 张券未使用" in text(client.get("/staff/shops"))

    page = follow(client, client.post(f"/staff/shops/{world.shop.id}/suspend",
                                      data={"reason": "停业整顿"}))

    assert "已暂停，1 张未使用的兑换券已作废" in page
    assert shop_of(world, world.shop.id).status == "suspended"
    assert world.session.get(Voucher, voucher.id).status == CANCELLED
    again = follow(client, client.post(f"/staff/shops/{world.shop.id}/reactivate"))
    assert "已开始合作" in again and shop_of(world, world.shop.id).status == "active"


def test_suspending_without_a_reason_is_refused(client, world):
    sign_in(client, world.staff)

    page = follow(client, client.post(f"/staff/shops/{world.shop.id}/suspend", data={"reason": ""}))

    assert "暂停商户必须填写原因" in page and shop_of(world, world.shop.id).status == "active"


def test_staff_set_the_per_bill_cap(client, world):
    sign_in(client, world.staff)

    page = follow(client, client.post(f"/staff/shops/{world.shop.id}/cap", data={"per_bill_cap": "150"}))

    assert "每单最多可用 150 积分" in page and shop_of(world, world.shop.id).per_bill_cap == 150
    refused = follow(client, client.post(f"/staff/shops/{world.shop.id}/cap",
                                         data={"per_bill_cap": "0"}))
    assert "每单上限必须是大于零的整数" in refused and shop_of(world, world.shop.id).per_bill_cap == 150


def test_a_suspended_shop_is_gone_from_the_residents_mall(client, world):
    factories.make_offer(world.session, world.community, world.shop, title="牛肉面", points="30")
    sign_in(client, world.staff)
    client.post(f"/staff/shops/{world.shop.id}/suspend", data={"reason": "停业整顿"})
    sign_in(client, world.resident)

    page = text(client.get("/mall"))

    assert "牛肉面" not in page and 'data-test="pay"' not in page


@pytest.mark.parametrize("role", ["resident", "grid_worker", "merchant_owner"])
def test_only_office_staff_manage_shops(client, world, role):
    user = factories.make_user(world.session, world.community, role,
                               merchant=world.shop if role == "merchant_owner" else None)
    sign_in(client, user)

    assert client.get("/staff/shops").status_code == 403
    assert client.post(f"/staff/shops/{world.shop.id}/suspend",
                       data={"reason": "x"}).status_code == 403
    assert shop_of(world, world.shop.id).status == "active"


def test_another_communitys_shop_is_not_found(client, world):
    elsewhere = factories.make_community(world.session, name="城口社区")
    far_shop = factories.make_merchant(world.session, elsewhere, name="城口小卖部")
    sign_in(client, world.staff)

    assert client.get(f"/staff/shops/{far_shop.id}").status_code == 404
    assert client.post(f"/staff/shops/{far_shop.id}/suspend", data={"reason": "x"}).status_code == 404
    assert shop_of(world, far_shop.id).status == "active"
