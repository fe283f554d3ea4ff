"""The settlement pages: the office runs a month and records the payment; the owner reads,
downloads and prints the statement; nobody else sees it."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from merchants import settlement as settling
from merchants.models import Settlement
from tests import factories
from tests.factories import sign_in
from tests.merchants.test_settlement import World, drain_fund


@pytest.fixture
def world(db):
    world = World(db.session)
    world.redeem(100)
    world.refund(world.redeem(150))
    return world


def detail_url(world):
    return f"/staff/settlements/{world.shop.id}/{world.period}"


def test_the_office_sees_each_shops_month_and_settles_it(client, world):
    sign_in(client, world.staff)

    overview = client.get(f"/staff/settlements?period={world.period}")
    preview = client.get(detail_url(world))
    run = client.post(detail_url(world), follow_redirects=True)

    assert overview.status_code == 200
    page = overview.get_data(as_text=True)
    assert "张记面馆" in page and "2 笔，其中退款 1 笔" in page and "¥2.00" in page
    assert "确认结算" in preview.get_data(as_text=True)
    text = run.get_data(as_text=True)
    assert "已结算：100 积分，应付 ¥2.00" in text and "已结算，待付款" in text
    assert world.payable() == 2


def test_running_a_settled_month_again_says_so_and_moves_nothing(client, world):
    sign_in(client, world.staff)
    client.post(detail_url(world))

    again = client.post(detail_url(world), follow_redirects=True)

    assert "这个月已经结算过了，结算单没有变化" in again.get_data(as_text=True)
    assert world.payable() == 2


def test_a_fund_too_small_is_shown_in_plain_words_and_nothing_moves(client, world):
    drain_fund(world, "1.50")
    sign_in(client, world.staff)

    refused = client.post(detail_url(world), follow_redirects=True)

    assert "社区基金余额不足：现有 ¥1.50，本次结算需要 ¥2.00" in refused.get_data(as_text=True)
    assert world.session.scalar(select(func.count()).select_from(Settlement)) == 0
    assert world.payable() == 0


def test_a_month_not_ended_has_no_run_button(client, world):
    sign_in(client, world.staff)
    this_month = settling.period_of(world.now)

    page = client.get(f"/staff/settlements/{world.shop.id}/{this_month}").get_data(as_text=True)
    refused = client.post(f"/staff/settlements/{world.shop.id}/{this_month}", follow_redirects=True)

    assert "月底过后才能结算" in page and "确认结算" not in page
    assert "还没有结束" in refused.get_data(as_text=True)
    assert world.session.scalar(select(func.count()).select_from(Settlement)) == 0


def test_the_office_records_the_payment(client, world):
    sign_in(client, world.staff)
    client.post(detail_url(world))
    settlement = world.session.scalar(select(Settlement))

    client.post(f"/staff/settlement-payments/{settlement.id}", data={"reference": "农行 0001"})

    page = client.get(detail_url(world)).get_data(as_text=True)
    assert "已付款" in page and "农行 0001" in page
    assert world.payable() == 0


def test_another_communitys_shop_is_404_and_grid_workers_are_refused(client, world):
    far = factories.make_merchant(world.session, factories.make_community(world.session))
    grid_worker = factories.make_user(world.session, world.community, "grid_worker")
    sign_in(client, world.staff)
    assert client.get(f"/staff/settlements/{far.id}/{world.period}").status_code == 404
    assert client.post(f"/staff/settlements/{far.id}/{world.period}").status_code == 404

    client.post("/sign-out")
    sign_in(client, grid_worker)
    for url in ("/staff/settlements", detail_url(world), "/staff/fund", "/staff/coupons"):
        assert client.get(url).status_code == 403
    assert client.post(detail_url(world)).status_code == 403
    assert world.session.scalar(select(func.count()).select_from(Settlement)) == 0


def test_the_owner_reads_downloads_and_prints_the_statement(client, world):
    settlement = world.settle().settlement
    sign_in(client, world.owner)

    listing = client.get("/merchant/settlements").get_data(as_text=True)
    detail = client.get(f"/merchant/settlements/{settlement.id}").get_data(as_text=True)
    csv_file = client.get(f"/settlements/{settlement.id}/statement.csv")
    xlsx_file = client.get(f"/settlements/{settlement.id}/statement.xlsx")
    printable = client.get(f"/settlements/{settlement.id}/print")

    assert world.period in listing and "¥2.00" in listing
    assert "顾客退货" in detail and "王**" in detail
    assert csv_file.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["Content-Disposition"]
    assert "应付金额（元）,2.00" in csv_file.get_data().decode("utf-8-sig")
    book = load_workbook(io.BytesIO(xlsx_file.get_data()))
    assert book.active.title == world.period
    assert printable.status_code == 200 and "商户签字" in printable.get_data(as_text=True)


def test_a_clerk_is_pointed_to_the_owner_and_cannot_download(client, world):
    settlement = world.settle().settlement
    sign_in(client, world.clerk)

    page = client.get("/merchant/settlements").get_data(as_text=True)

    assert "结算单只有店主可以查看" in page
    assert client.get(f"/merchant/settlements/{settlement.id}").status_code == 403
    assert client.get(f"/settlements/{settlement.id}/statement.csv").status_code == 403


def test_another_shops_owner_gets_404(client, world):
    settlement = world.settle().settlement
    other = factories.make_merchant(world.session, world.community, name="李记超市")
    stranger = factories.make_user(world.session, world.community, "merchant_owner", merchant=other)
    sign_in(client, stranger)

    for url in (f"/merchant/settlements/{settlement.id}", f"/settlements/{settlement.id}/statement.xlsx",
                f"/settlements/{settlement.id}/print"):
        assert client.get(url).status_code == 404
    assert "还没有结算单" in client.get("/merchant/settlements").get_data(as_text=True)


def test_running_a_settlement_needs_the_csrf_token(csrf_client):
    client, session = csrf_client
    world = World(session)
    world.redeem(100)
    sign_in_with_token(client, world.staff)
    assert client.get(detail_url(world)).status_code == 200

    refused = client.post(detail_url(world))

    assert refused.status_code == 400
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0


def sign_in_with_token(client, user):
    import re

    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"phone": user.phone, "password": factories.PASSWORD,
                                  "csrf_token": token})
