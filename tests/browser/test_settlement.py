"""Settling a shop's month on a 390px phone: the office records a donation into the fund,
runs last month's settlement of a shop with two redemptions (one refunded), downloads the
statement as CSV and XLSX (Playwright downloads) whose totals match the ledger, and
records the payment; the shop owner then reads and prints it. Every page is measured
(check_layout) and photographed."""
import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from ledger.models import Transfer
from merchants import services, settlement as settling
from merchants.models import Settlement
from points.communities.models import Community
from points.timeutil import utcnow
from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in
from tests.merchants.test_settlement import last_month

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_month(live_server):
    """A shop of its own in 北新社区 (the seeded one is other tests'), its owner, and last
    month's two redemptions there: 120 points kept, 80 refunded by the owner."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = session.scalar(select(Community).where(Community.code == "beixin"))
        shop = factories.make_merchant(session, community, name="李记早餐")
        owner = factories.make_user(session, community, "merchant_owner", name="李老板",
                                    merchant=shop)
        resident = factories.make_resident(session, community, name="孙桂兰", points="600")
        now = utcnow()
        factories.make_redemption(session, resident, shop, 120, last_month(now, day=3))
        refunded = factories.make_redemption(session, resident, shop, 80, last_month(now, day=4))
        services.refund_redemption(session, actor=owner, voucher_id=refunded.id,
                                   reason="餐品售罄", now=last_month(now, day=4, hour=13))
        found = {"shop_id": shop.id, "period": settling.previous_period(now), "owner": owner}
        session.refresh(owner)
        session.expunge(owner)
        db.session.remove()
    return found


def ledger_of(live_server, shop_id, period):
    """The settlement's two transfers as the ledger recorded them."""
    from points.extensions import db

    with live_server.app.app_context():
        settlement = db.session.scalar(select(Settlement).where(
            Settlement.merchant_id == shop_id, Settlement.period == period))
        found = {"id": settlement.id,
                 "points": db.session.get(Transfer, settlement.points_transfer_id).amount,
                 "yuan": db.session.get(Transfer, settlement.cny_transfer_id).amount}
        db.session.remove()
    return found


def sign_out(page):
    page.locator("[data-test=sign-out]").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def download(page, selector, tmp_path):
    with page.expect_download() as info:
        page.locator(selector).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_the_office_settles_a_shops_month_and_the_owner_downloads_it(
        page, live_server, artifacts_dir, shop_month, tmp_path):
    shop_id, period = shop_month["shop_id"], shop_month["period"]
    sign_in(page, live_server, live_server.users["admin"])

    # A donation into the fund.
    page.goto(f"{live_server.url}/staff/fund")
    page.get_by_label("金额（元，最多两位小数）").fill("500.00")
    page.get_by_label("捐赠人或义卖活动").fill("北新商会")
    page.get_by_label("备注（可不填）").fill("微街长活动捐赠")
    page.locator("[data-test=record]").click()
    expect(page.locator(".flash-success")).to_contain_text("已记入社区基金：¥500.00")
    expect(page.locator("[data-test=movement]").first).to_contain_text("北新商会")
    expect(page.locator("[data-test=coverage-percent]")).to_contain_text("%")
    check_layout(page)
    shoot(page, artifacts_dir, "staff-fund")

    # Last month's shops, then this shop's statement: 200 redeemed, 80 refunded.
    page.goto(f"{live_server.url}/staff/settlements?period={period}")
    shop_card = page.locator(f"[data-test=shop][data-id='{shop_id}']")
    expect(shop_card.locator("[data-test=points]")).to_have_text("120")
    expect(shop_card.locator("[data-test=amount]")).to_have_text("¥2.40")
    check_layout(page)
    shoot(page, artifacts_dir, "staff-settlements")
    shop_card.locator("[data-test=open]").click()
    expect(page.locator("[data-test=line]")).to_have_count(2)
    expect(page.locator("[data-test=line][data-status=refunded]")).to_contain_text("餐品售罄")
    check_layout(page)
    page.locator("[data-test=run]").click()
    expect(page.locator(".flash-success")).to_contain_text("已结算：120 积分，应付 ¥2.40")
    expect(page.locator("[data-test=statement-status]")).to_have_text("已结算，待付款")
    check_layout(page)
    shoot(page, artifacts_dir, "staff-settlement-settled")

    # The downloads' totals are the ledger's.
    moved = ledger_of(live_server, shop_id, period)
    rows = list(csv.reader(io.StringIO(download(page, "[data-test=download-csv]", tmp_path)
                                       .read_text(encoding="utf-8-sig"))))
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert Decimal(summary["结算积分"]) == moved["points"] == Decimal("120")
    assert Decimal(summary["应付金额（元）"]) == moved["yuan"] == Decimal("2.40")
    book = load_workbook(download(page, "[data-test=download-xlsx]", tmp_path))
    cells = {row[0].value: row[1] for row in book.active.iter_rows(max_col=2) if row[0].value}
    assert cells["结算积分"].value == int(moved["points"])
    assert Decimal(str(cells["应付金额（元）"].value)) == moved["yuan"]
    assert cells["应付金额（元）"].number_format == "0.00"

    # The payment.
    page.get_by_label("付款凭证号（如银行转账流水号）").fill("农商行 20261205-0001")
    page.locator("[data-test=mark-paid]").click()
    expect(page.locator("[data-test=statement-status]")).to_have_text("已付款")
    expect(page.locator("[data-test=payment-reference]")).to_have_text("农商行 20261205-0001")
    check_layout(page)
    page.goto(f"{live_server.url}/staff/settlements?period={period}")
    expect(page.locator("[data-test=recent]")).to_contain_text("李记早餐")
    check_layout(page)
    sign_out(page)

    # The owner reads it, downloads it and opens the printable page.
    sign_in(page, live_server, shop_month["owner"])
    page.locator("[data-test=nav] a", has_text="结算").click()
    card = page.locator(f"[data-test=settlement][data-id='{moved['id']}']")
    expect(card.locator("[data-test=amount]")).to_have_text("¥2.40")
    expect(card.locator("[data-test=status]")).to_have_text("已付款")
    check_layout(page)
    shoot(page, artifacts_dir, "merchant-settlements")
    card.locator("[data-test=open]").click()
    expect(page.locator("[data-test=statement-amount]")).to_have_text("¥2.40")
    check_layout(page)
    shoot(page, artifacts_dir, "merchant-settlement-statement")
    owner_csv = download(page, "[data-test=download-csv]", tmp_path / "owner")
    assert "应付金额（元）,2.40" in owner_csv.read_text(encoding="utf-8-sig")
    page.locator("[data-test=print]").click()
    expect(page.locator("[data-test=print-sheet]")).to_contain_text("商户签字")
    check_layout(page)
    shoot(page, artifacts_dir, "merchant-settlement-print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi: paper, not a phone
    page.emulate_media(media="print")
    shoot(page, artifacts_dir, "merchant-settlement-print-media")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})

    # 关怀模式: the same statement with bigger type and targets.
    page.go_back()
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class(re.compile("elder"))
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "merchant-settlement-statement-elder")
    page.locator("[data-test=elder]").click()


@pytest.fixture
def coupon_holder(live_server):
    """A resident who worked 990 points this month and got this month's 积分券."""
    from points.extensions import db
    from merchants import coupons
    from points.timeutil import local

    with live_server.app.app_context():
        session = db.session
        community = session.scalar(select(Community).where(Community.code == "beixin"))
        resident = factories.make_resident(session, community, name="周大爷")
        now = utcnow()
        factories.make_credit(session, resident, "990", local(now).date())
        staff = factories.make_user(session, community, "staff", name="发券员")
        # A bar only 周大爷 reaches: other tests' residents get no coupon (nor its notice).
        rule = coupons.save_rule(session, actor=staff, community=community, now=now, values=dict(
            name="周末积分券", min_points=Decimal("990"), points=Decimal("50"),
            budget=Decimal("5000"), valid_days=30))
        coupons.issue_coupons(session, actor=staff, community=community, rule_id=rule.id,
                              month=settling.period_of(now), now=now)
        session.refresh(resident)
        session.expunge(resident)
        db.session.remove()
    return resident


def test_a_resident_uses_a_coupon_at_a_partner_shop(page, live_server, artifacts_dir,
                                                     coupon_holder):
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/coupons")
    expect(page.locator("[data-test=rule]", has_text="周末积分券")).to_contain_text("1 张，50 积分")
    check_layout(page)
    shoot(page, artifacts_dir, "staff-coupons")
    sign_out(page)

    sign_in(page, live_server, coupon_holder)
    page.goto(f"{live_server.url}/coupons")
    coupon = page.locator("[data-test=coupon]").first
    expect(coupon).to_contain_text("周末积分券")
    expect(coupon).to_contain_text("50 积分")
    check_layout(page)
    shoot(page, artifacts_dir, "resident-coupons")

    coupon.get_by_label("在哪家店用").select_option(label="张记面馆")
    coupon.locator("[data-test=use]").click()

    expect(page).to_have_url(re.compile(r"/vouchers/\d+$"))
    expect(page.locator("body")).to_contain_text("周末积分券")
    page.goto(f"{live_server.url}/coupons")
    expect(page.locator("[data-test=show-voucher]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "resident-coupons-in-use")
