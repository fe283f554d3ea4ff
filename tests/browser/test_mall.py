"""The mall on a 390px phone: the office puts a good on the shelf; a resident browses the
mall, makes a voucher, sees its large QR and short code, cancels it and has the points
back; a second voucher's page turns to 已核销 by itself when the counter redeems it.

Every page is measured (``check_layout``) and photographed into tests/artifacts/.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


def new_resident(live_server, name):
    """A resident of their own, with 800 points: the shared one's balance is checked by
    other journeys."""
    from points.communities.models import Community
    from points.extensions import db
    from tests import factories

    with live_server.app.app_context():
        community = db.session.get(Community, live_server.users["admin"].community_id)
        resident = factories.make_resident(db.session, community, name=name, points="800")
        db.session.refresh(resident)
        db.session.expunge(resident)
        db.session.remove()
    return resident


def redeem_at_counter(live_server, clerk, voucher_id):
    from merchants import services
    from points.auth.models import User
    from points.extensions import db
    from points.timeutil import utcnow

    with live_server.app.app_context():
        services.redeem_voucher(db.session, clerk=db.session.get(User, clerk.id),
                                voucher_id=voucher_id, now=utcnow())
        db.session.remove()


def test_office_shelves_a_good_and_a_resident_makes_and_cancels_a_voucher(
        page, live_server, artifacts_dir):
    resident = new_resident(live_server, "李桂兰")

    # The office puts 10 bags of rice on the shelf.
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/store/new")
    page.get_by_label("名称").fill("东北大米 5 斤")
    page.get_by_label("兑换所需积分").fill("300")
    page.get_by_label("库存件数（不限量请留空）").fill("10")
    check_layout(page)
    page.locator("[data-test=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存“东北大米 5 斤”")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-staff-good")
    page.goto(f"{live_server.url}/staff/store")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-staff-store")
    page.locator("[data-test=sign-out]").click()

    # The resident browses the mall.
    sign_in(page, live_server, resident)
    page.locator("[data-test=nav] a", has_text="积分商城").click()
    expect(page.locator("[data-test=available] strong")).to_have_text("800")
    rice = page.locator("[data-test=offer]", has_text="东北大米 5 斤")
    expect(rice).to_contain_text("300 积分")
    expect(rice).to_contain_text("剩 10 件")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-resident")

    rice.locator("a").click()
    expect(page.locator("[data-test=price]")).to_contain_text("300")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-offer")

    # 兑换: the voucher page with its QR and code.
    page.locator("[data-test=buy]").click()
    expect(page).to_have_url(re.compile(r"/vouchers/\d+$"))
    expect(page.locator("[data-test=status]")).to_have_text("可以使用")
    expect(page.locator("[data-test=code]")).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-.$"))
    expect(page.locator("[data-test=points]")).to_have_text("300")
    qr = page.locator("[data-test=qr]")
    expect(qr).to_be_visible()
    # The PNG is a request of its own: wait until it has arrived, then it must be a picture.
    page.wait_for_function("document.querySelector('[data-test=qr]').complete")
    assert page.evaluate("document.querySelector('[data-test=qr]').naturalWidth") > 0
    assert qr.bounding_box()["width"] >= 260
    check_layout(page)
    shoot(page, artifacts_dir, "mall-voucher")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    assert page.locator("[data-test=qr]").bounding_box()["width"] >= 260
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "mall-voucher-elder")
    page.locator("[data-test=elder]").click()

    # 取消, confirmed: the points are back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-test=cancel]").click()
    expect(page.locator(".flash-success")).to_have_text("已取消，300 积分已退回")
    expect(page.locator("[data-test=status]")).to_have_text("已取消")
    expect(page.locator("[data-test=qr]")).to_be_hidden()
    check_layout(page)
    shoot(page, artifacts_dir, "mall-voucher-cancelled")
    page.goto(f"{live_server.url}/mall")
    expect(page.locator("[data-test=available] strong")).to_have_text("800")
    expect(page.locator("[data-test=offer]", has_text="东北大米 5 斤")).to_contain_text("剩 10 件")
    page.goto(f"{live_server.url}/home")
    expect(page.locator("[data-test=balance]")).to_have_text("800")


def test_the_voucher_page_turns_to_redeemed_by_itself(page, live_server, artifacts_dir):
    resident = new_resident(live_server, "周淑珍")
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/mall/pay")
    page.get_by_label("在哪家店用").select_option(label="张记面馆")
    page.get_by_label("用多少积分").fill("120")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-pay")
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=status]")).to_have_text("可以使用")
    voucher_id = int(page.url.rsplit("/", 1)[1])

    # 取消 declined in the confirmation: the voucher stays held. The confirmation comes from
    # the deferred voucher.js: wait until the page has loaded it (a loaded machine once
    # clicked before it ran, and the form went through unasked).
    page.wait_for_load_state("load")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("[data-test=cancel]").click()
    expect(page.locator("[data-test=status]")).to_have_text("可以使用")

    clerk = live_server.users["merchant_clerk"]
    redeem_at_counter(live_server, clerk, voucher_id)

    expect(page.locator("[data-test=status]")).to_have_text("已核销", timeout=6000)
    expect(page.locator("[data-test=qr]")).to_be_hidden()
    expect(page.locator("[data-test=done-note]")).to_contain_text("已经使用")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-voucher-redeemed")
    page.goto(f"{live_server.url}/vouchers")
    expect(page.locator("[data-test=voucher]").first).to_contain_text("已核销")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-my-vouchers")


def test_office_approves_and_stops_a_shop_and_an_owner_adds_an_offer(
        page, live_server, artifacts_dir):
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/shops/new")
    page.get_by_label("商户名称").fill("阿香理发")
    page.get_by_label("地址（可不填）").fill("建设北路 3 号")
    page.get_by_label("每单最多可用积分").fill("300")
    check_layout(page)
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=status]")).to_have_text("待审核")
    page.locator("[data-test=approve]").click()
    expect(page.locator("[data-test=status]")).to_have_text("合作中")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-staff-shop")
    page.get_by_label("暂停原因").fill("资料需要更新")
    page.locator("[data-test=suspend]").click()
    expect(page.locator(".flash-success")).to_contain_text("0 张未使用的兑换券已作废")
    expect(page.locator("[data-test=status]")).to_have_text("已暂停")
    page.goto(f"{live_server.url}/staff/shops")
    check_layout(page)
    shoot(page, artifacts_dir, "mall-staff-shops")
    page.locator("[data-test=sign-out]").click()

    sign_in(page, live_server, live_server.users["merchant_owner"])
    page.goto(f"{live_server.url}/merchant/offers/new")
    page.get_by_label("类型").select_option(label="优惠（如满减、折扣）")
    page.get_by_label("名称").fill("满 50 减 5")
    page.get_by_label("兑换所需积分").fill("250")
    check_layout(page)
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=offer]", has_text="满 50 减 5")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "mall-owner-offers")
