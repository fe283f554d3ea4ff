"""The resident's pages: the mall, an offer, 兑换, 微消费, my vouchers and one voucher
(its QR, code, status endpoint and 取消), for the resident and their family proxy."""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from merchants import qr
from merchants.models import Voucher
from points import codes, wallets
from points.auth.models import ProxyGrant
from points.extensions import unit_of_work
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def world(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆", per_bill_cap="200")
    return type("World", (), dict(
        session=session, community=community, shop=shop,
        resident=factories.make_resident(session, community, name="王秀英", points="500"),
        neighbour=factories.make_resident(session, community, name="赵桂兰", points="60"),
        rice=factories.make_offer(session, community, title="大米 5 斤", points="100", stock=2),
        noodles=factories.make_offer(session, community, shop, title="牛肉面", points="30", stock=None),
    ))


def text(response):
    return response.get_data(as_text=True)


def balance(world, user=None):
    world.session.expire_all()
    return wallets.wallet_balance(world.session, user or world.resident).balance


def voucher_count(world):
    return world.session.scalar(select(func.count()).select_from(Voucher))


def buy(client, offer, key="key-1", acting_for=""):
    return client.post(f"/mall/offers/{offer.id}/voucher",
                       data={"request_key": key, "acting_for": acting_for})


def made_voucher(world):
    world.session.expire_all()
    return world.session.scalars(select(Voucher).order_by(Voucher.id.desc())).first()


# The mall ------------------------------------------------------------------------------------

def test_the_mall_shows_goods_offers_stock_and_the_balance(client, world):
    factories.make_offer(world.session, world.community, title="酱油", points="40", stock=0)
    factories.make_offer(world.session, world.community, title="不卖了", active=False)
    sign_in(client, world.resident)

    page = text(client.get("/mall"))

    assert "大米 5 斤" in page and "100 积分" in page and "剩 2 件" in page
    assert "牛肉面" in page and "张记面馆" in page and "不限量" in page
    assert "酱油" in page and "已兑完" in page and "不卖了" not in page
    assert re.search(r'data-test="available">可用积分 <strong>500</strong>', page)


@pytest.mark.parametrize("role", ["staff", "grid_worker"])
def test_staff_have_no_mall(client, world, role):
    sign_in(client, factories.make_user(world.session, world.community, role))

    assert client.get("/mall").status_code == 403


def test_an_offer_page_shows_the_price_and_the_button(client, world):
    sign_in(client, world.resident)

    page = text(client.get(f"/mall/offers/{world.rice.id}"))

    assert "大米 5 斤" in page and 'data-test="buy"' in page and "社区积分超市" in page
    assert 'name="request_key"' in page


def test_a_hidden_offer_page_is_not_found(client, world):
    hidden = factories.make_offer(world.session, world.community, title="旧货", active=False)
    sign_in(client, world.resident)

    assert client.get(f"/mall/offers/{hidden.id}").status_code == 404


def test_not_enough_points_is_said_before_the_button(client, world):
    sign_in(client, world.neighbour)

    page = text(client.get(f"/mall/offers/{world.rice.id}"))

    assert "积分还不够：可用 60，需要 100。" in page and 'data-test="buy"' not in page


# 兑换 ----------------------------------------------------------------------------------

def test_buying_makes_a_voucher_and_opens_its_page(client, world):
    sign_in(client, world.resident)

    response = buy(client, world.rice)

    voucher = made_voucher(world)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/vouchers/{voucher.id}")
    assert balance(world) == Decimal("400") and voucher.user_id == world.resident.id
    page = text(client.get(f"/vouchers/{voucher.id}"))
    assert "兑换券已生成" in page
    assert codes.display(voucher.code) in page
    assert f'src="/vouchers/{voucher.id}/qr.png"' in page
    assert local(voucher.expires_at).strftime("%Y-%m-%d %H:%M") in page
    assert 'data-test="cancel"' in page and 'data-confirm=' in page
    assert "<script>" not in page and "onclick" not in page


def test_pressing_buy_twice_makes_one_voucher(client, world):
    sign_in(client, world.resident)

    first, second = buy(client, world.rice), buy(client, world.rice)

    assert first.headers["Location"] == second.headers["Location"]
    assert voucher_count(world) == 1 and balance(world) == Decimal("400")


def test_not_enough_points_is_refused_in_plain_words_and_moves_nothing(client, world):
    sign_in(client, world.neighbour)

    response = buy(client, world.rice)

    assert response.headers["Location"].endswith(f"/mall/offers/{world.rice.id}")
    page = text(client.get(response.headers["Location"]))
    assert "余额不足：可用 60，需要 100" in page
    assert voucher_count(world) == 0 and balance(world, world.neighbour) == Decimal("60")


def test_the_last_unit_gone_is_said(client, world):
    for key in ("a", "b"):
        factories.make_voucher(world.session, world.resident, world.rice, key=key)
    sign_in(client, world.resident)

    page = text(client.get(buy(client, world.rice, key="c").headers["Location"]))

    assert "已经兑完了" in page and voucher_count(world) == 2


def test_a_hidden_offer_cannot_be_bought(client, world):
    hidden = factories.make_offer(world.session, world.community, title="旧货", active=False)
    sign_in(client, world.resident)

    buy(client, hidden)

    assert voucher_count(world) == 0


# 微消费 ---------------------------------------------------------------------------------

def test_paying_points_at_a_shop_makes_an_amount_voucher(client, world):
    sign_in(client, world.resident)
    form = text(client.get(f"/mall/pay?shop={world.shop.id}"))
    assert "张记面馆：每单最多 200 积分" in form and "30 分钟内有效" in form

    response = client.post("/mall/pay", data={"merchant_id": world.shop.id, "points": " 120 ",
                                              "request_key": "pay-1", "acting_for": ""})

    voucher = made_voucher(world)
    assert response.headers["Location"].endswith(f"/vouchers/{voucher.id}")
    assert (voucher.title, voucher.points) == ("张记面馆", Decimal("120"))
    assert balance(world) == Decimal("380")


@pytest.mark.parametrize("points, words", [
    ("201", "这家店每单最多可用 200 积分"),
    ("abc", "请填写整数"),
])
def test_a_wrong_amount_is_shown_on_the_form_with_what_was_typed(client, world, points, words):
    sign_in(client, world.resident)

    response = client.post("/mall/pay", data={"merchant_id": world.shop.id, "points": points,
                                              "request_key": "pay-1", "acting_for": ""})

    assert response.status_code == 200
    assert words in text(response) and f'value="{points}"' in text(response)
    assert voucher_count(world) == 0


def test_paying_more_than_the_balance_says_available_and_needed(client, world):
    sign_in(client, world.neighbour)

    response = client.post("/mall/pay", data={"merchant_id": world.shop.id, "points": "100",
                                              "request_key": "pay-1", "acting_for": ""})

    assert "余额不足：可用 60，需要 100" in text(response) and voucher_count(world) == 0


# The voucher page -----------------------------------------------------------------------------

def test_the_qr_carries_the_signed_url_of_the_voucher(app, client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.resident)

    response = client.get(f"/vouchers/{voucher.id}/qr.png")

    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
    url = found[0].text
    assert url.startswith("http://localhost/v/")
    token = qr.token_in(url)
    assert qr.voucher_from_token(app.secret_key, token) == (world.community.id, voucher.id)


def test_the_status_endpoint_follows_the_voucher(client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    old = factories.make_voucher(world.session, world.resident, merchant=world.shop, points="10",
                                 now=utcnow() - timedelta(hours=1))
    sign_in(client, world.resident)

    held = client.get(f"/vouchers/{voucher.id}/status").get_json()
    client.post(f"/vouchers/{voucher.id}/cancel", data={"acting_for": ""})
    cancelled = client.get(f"/vouchers/{voucher.id}/status").get_json()
    expired = client.get(f"/vouchers/{old.id}/status").get_json()

    assert held == {"status": "held", "label": "可以使用", "note": "", "tone": "ok", "open": True}
    assert cancelled["status"] == "cancelled" and cancelled["label"] == "已取消"
    assert not cancelled["open"] and "积分已退回" in cancelled["note"]
    assert expired["status"] == "expired" and expired["label"] == "已过期"


def test_a_redeemed_voucher_reads_redeemed(client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    staff = factories.make_user(world.session, world.community, "staff")
    from merchants import services
    services.redeem_voucher(world.session, clerk=staff, voucher_id=voucher.id, now=utcnow())
    sign_in(client, world.resident)

    page = text(client.get(f"/vouchers/{voucher.id}"))

    assert 'data-state="redeemed"' in page and "已核销" in page and 'data-test="cancel"' not in page
    assert client.get(f"/vouchers/{voucher.id}/status").get_json()["label"] == "已核销"


@pytest.mark.parametrize("path", ["", "/qr.png", "/status"])
def test_someone_elses_voucher_is_not_found(client, world, path):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.neighbour)

    assert client.get(f"/vouchers/{voucher.id}{path}").status_code == 404


def test_cancelling_on_the_page_returns_the_points(client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.resident)

    response = client.post(f"/vouchers/{voucher.id}/cancel", data={"acting_for": ""})
    page = text(client.get(response.headers["Location"]))

    assert "已取消，100 积分已退回" in page and 'data-state="cancelled"' in page
    assert balance(world) == Decimal("500")
    again = text(client.get(client.post(f"/vouchers/{voucher.id}/cancel",
                                        data={"acting_for": ""}).headers["Location"]))
    assert "这张券已取消" in again and balance(world) == Decimal("500")


def test_someone_elses_voucher_cannot_be_cancelled(client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.neighbour)

    plain = client.post(f"/vouchers/{voucher.id}/cancel", data={"acting_for": ""})
    posing = client.post(f"/vouchers/{voucher.id}/cancel",
                         data={"acting_for": str(world.resident.id)})

    assert plain.status_code == posing.status_code == 404
    assert balance(world) == Decimal("400")


def test_my_vouchers_list_the_held_ones_first(client, world):
    done = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.resident)
    client.post(f"/vouchers/{done.id}/cancel", data={"acting_for": ""})
    factories.make_voucher(world.session, world.resident, world.noodles)

    page = text(client.get("/vouchers"))

    assert page.index("牛肉面") < page.index("大米 5 斤")
    assert page.count('data-status="held"') == 1 and 'data-status="cancelled"' in page


# The family proxy --------------------------------------------------------------------------

@pytest.fixture
def son(world):
    son = factories.make_resident(world.session, world.community, name="王小明")
    with unit_of_work(world.session):
        world.session.add(ProxyGrant(resident_id=world.resident.id, proxy_id=son.id,
                                     relation="子女", granted_by_id=son.id))
    return son


def test_a_proxy_buys_with_the_residents_points_and_sees_the_voucher(client, world, son):
    sign_in(client, son)
    client.post(f"/me/acting/{world.resident.id}")

    page = text(client.get(f"/mall/offers/{world.rice.id}"))
    assert "正在代 王秀英 操作" in page and f'value="{world.resident.id}"' in page
    response = buy(client, world.rice, acting_for=str(world.resident.id))

    voucher = made_voucher(world)
    assert voucher.user_id == world.resident.id and voucher.proxy_id == son.id
    assert balance(world) == Decimal("400") and balance(world, son) == Decimal("0")
    assert "这是 王秀英 的兑换券" in text(client.get(response.headers["Location"]))
    client.post(f"/vouchers/{voucher.id}/cancel", data={"acting_for": str(world.resident.id)})
    assert balance(world) == Decimal("500")


def test_a_revoked_proxy_no_longer_sees_the_voucher(client, world, son):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    with unit_of_work(world.session):
        grant = world.session.scalar(select(ProxyGrant))
        grant.revoked_at = utcnow()
    sign_in(client, son)

    assert client.get(f"/vouchers/{voucher.id}").status_code == 404


# CSRF -------------------------------------------------------------------------------------

def test_buying_and_cancelling_need_the_forms_csrf_token(csrf_client):
    client, session = csrf_client
    community = factories.make_community(session)
    resident = factories.make_resident(session, community, points="500")
    rice = factories.make_offer(session, community)
    client.post("/sign-in", data={"phone": resident.phone, "password": factories.PASSWORD,
                                  "csrf_token": _token(client.get("/sign-in"))})

    refused = client.post(f"/mall/offers/{rice.id}/voucher", data={"request_key": "k"})
    page = client.get(f"/mall/offers/{rice.id}")
    made = client.post(f"/mall/offers/{rice.id}/voucher",
                       data={"request_key": "k", "acting_for": str(resident.id),
                             "csrf_token": _token(page)})

    assert refused.status_code == 400
    assert made.status_code == 302 and "/vouchers/" in made.headers["Location"]


def _token(response):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     response.get_data(as_text=True)).group(1)


def test_the_pages_also_work_in_english(client, world):
    voucher = factories.make_voucher(world.session, world.resident, world.rice)
    sign_in(client, world.resident)
    client.set_cookie("lang", "en")

    for path in ("/mall", f"/mall/offers/{world.rice.id}", "/mall/pay", "/vouchers",
                 f"/vouchers/{voucher.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'lang="en"' in text(response)
