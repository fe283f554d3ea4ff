"""The resident's own pages on a 390px phone: the home page (also in 关怀模式), 我的徽章 and
积分明细, for a resident with credits, badges, a held voucher, activities signed up for
and unread notifications; then a grid worker prints the member cards of a grid, issuing
the missing ones in one go. Every page is measured (check_layout) and photographed."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from points import months
from points.communities.models import Community
from points.earning.services import credit_work
from points.extensions import unit_of_work
from points.notifications.services import notify
from points.timeutil import utcnow
from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


def detached(session, *rows):
    for row in rows:
        session.refresh(row)
        session.expunge(row)
    return rows


@pytest.fixture
def volunteer(live_server):
    """孙秀兰 of 北新社区: 200 points granted, a credit in each of the last three months
    (two badges), 清洁家园 attended today, a voucher held at 张记面馆, two activities
    ahead (one waitlisted) and an unread notification besides the badges'."""
    from merchants.models import Merchant
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = session.scalar(select(Community).where(Community.code == "beixin"))
        household = factories.make_household(session, community, address="7栋3单元501")
        resident = factories.make_resident(session, community, household=household, name="孙秀兰",
                                           points="200")
        sweeping = factories.make_activity_type(session, community, name="河道巡护",
                                                unit="participation", points="20")
        for back in (2, 1):
            day = months.this_month(utcnow())
            for _ in range(back):
                day = months.preceding(day)
            factories.make_credit(session, resident, "20", day + timedelta(days=3),
                                  activity_type=sweeping)
        attended = factories.make_activity(session, community, title="清洁家园",
                                           activity_type=sweeping)
        with unit_of_work(session):
            credit_work(session, user=resident, activity_type=sweeping, source="activity",
                        source_id=attended.id, work_day=date.today(), points=Decimal("20"),
                        now=utcnow())
        shop = session.scalar(select(Merchant).where(Merchant.name == "张记面馆"))
        factories.make_held_voucher(session, resident, shop, title="牛肉面一碗", points="30")
        for title, days, status in (("周六义诊服务", 2, "signed_up"), ("社区读书会", 5, "waitlisted")):
            activity = factories.make_activity(session, community, title=title,
                                               starts_at=utcnow() + timedelta(days=days))
            factories.make_signup(session, activity, resident, status=status)
        with unit_of_work(session):
            notify(session, user=resident, kind="test", title="积分已到账",
                   body="“清洁家园”出勤已确认，获得 20 积分。", now=utcnow())
        detached(session, resident)
        db.session.remove()
    return resident


@pytest.fixture
def grid_of_cards(live_server):
    """幸福网格 with twelve residents, two of whom already have a card, and its grid worker."""
    from points.activities import checkin
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = session.scalar(select(Community).where(Community.code == "beixin"))
        grid = factories.make_grid(session, community, name="幸福网格")
        names = ["王建华", "李秀英", "张桂芳", "刘玉兰", "陈志强", "杨淑珍", "赵国庆", "黄丽华",
                 "周文斌", "吴美玲", "徐海燕", "孙德明"]
        people = [factories.make_resident(
            session, community, name=name,
            household=factories.make_household(session, community, grid,
                                               address=f"{n // 4 + 1}栋{n % 4 + 1}单元{101 + n}"))
            for n, name in enumerate(names)]
        for person in people[:2]:
            checkin.card_of(session, person, now=utcnow())
        worker = factories.make_user(session, community, "grid_worker", name="马网格", grids=[grid])
        detached(session, worker, grid)
        db.session.remove()
    return worker, grid


def test_the_residents_home_badges_and_statement_on_a_phone(page, live_server, artifacts_dir, volunteer):
    sign_in(page, live_server, volunteer)

    expect(page.locator("[data-test=balance]")).to_have_text("230")
    expect(page.locator("[data-test=held]")).to_contain_text("30")
    expect(page.locator("[data-test=level-name]")).to_have_text("志愿新星")
    expect(page.locator("[data-test=level-next]")).to_have_text("再得 40 分升为“志愿能手”")
    expect(page.locator("[data-test=streak]")).to_have_text("连续参加 3 个月 · 最长 3 个月")
    expect(page.locator("[data-test=newest-badges] li")).to_have_count(2)
    expect(page.locator("[data-test=my-activity]")).to_have_count(2)
    expect(page.locator("[data-test=my-activity]").nth(1)).to_contain_text("候补")
    expect(page.locator("[data-test=home-unread-title]").first).to_have_text("积分已到账")
    expect(page.locator("[data-test=home-line]").first).to_contain_text("兑换券“牛肉面一碗”冻结")
    expect(page.locator("[data-test=home-line]").nth(1)).to_contain_text("参加“清洁家园”活动")
    check_layout(page)
    shoot(page, artifacts_dir, "me-home-zh")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "me-home-elder")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")

    page.locator("[data-test=badges-link]").click()
    expect(page).to_have_url(re.compile(r"/me/badges$"))
    expect(page.locator("[data-test=earned-badge]")).to_have_count(2)
    expect(page.locator("[data-test=locked-badge][data-code=activities_10]")).to_contain_text("3 / 10")
    check_layout(page)
    shoot(page, artifacts_dir, "me-badges-zh")

    page.goto(f"{live_server.url}/home")
    page.locator("[data-test=statement-link]").click()
    expect(page.locator("[data-test=line]")).to_have_count(5)
    expect(page.locator("[data-test=line-amount]").first).to_have_text("−30")
    check_layout(page)
    shoot(page, artifacts_dir, "me-statement-zh")

    page.get_by_label("类型").select_option(label="获得")
    page.locator("[data-test=apply]").click()
    expect(page).to_have_url(re.compile(r"kind=gain"))
    expect(page.locator("[data-test=line]")).to_have_count(4)
    check_layout(page)
    shoot(page, artifacts_dir, "me-statement-gain")


def test_a_grid_worker_issues_and_prints_a_grids_member_cards(page, live_server, artifacts_dir,
                                                               grid_of_cards):
    worker, grid = grid_of_cards
    sign_in(page, live_server, worker)
    page.goto(f"{live_server.url}/staff/cards")
    page.locator("[data-test=grid]", has_text=grid.name).click()

    expect(page.locator("[data-test=member-card]")).to_have_count(2)
    check_layout(page)
    shoot(page, artifacts_dir, "staff-cards-missing")
    page.locator("[data-test=issue]").click()

    expect(page.get_by_role("status")).to_have_text("已为 10 位居民补发会员卡")
    expect(page.locator("[data-test=member-card]")).to_have_count(12)
    expect(page.locator("[data-test=issue]")).to_have_count(0)
    for image in page.locator(".member-card-qr").all():
        image.evaluate("img => img.decode()")  # every QR arrived
    check_layout(page)
    shoot(page, artifacts_dir, "staff-cards")

    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 sheet at 96 dpi
    page.emulate_media(media="print")
    shoot(page, artifacts_dir, "staff-cards-print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts_dir / "staff-cards.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2  # ten bank-card-size cards an A4 sheet
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
