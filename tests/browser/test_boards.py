"""Leaderboards on a 390px phone, and the public 光荣榜 on a phone and on a 1920×1080 hall
screen. A community of its own (光明社区) so no other journey's data changes the boards."""
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from points.timeutil import local, utcnow
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

VOLUNTEERS = (  # name, grid (0: 光明一网格, 1: 光明二网格), points this month, earlier points
    ("王秀英", 0, "120", "300"), ("李建华", 0, "95", "40"), ("赵桂兰", 1, "95", "0"),
    ("孙玉梅", 1, "80", "500"), ("周建国", 0, "60", "0"), ("吴晓红", 1, "45", "20"),
    ("郑海燕", 0, "40", "0"), ("冯志强", 1, "30", "0"), ("陈淑芬", 0, "25", "0"),
    ("褚文华", 1, "20", "0"), ("卫国庆", 0, "10", "0"), ("蒋丽娟", 1, "5", "0"),
)


@pytest.fixture(scope="session")  # once per live server, whatever order the tests run in
def boards_world(live_server):
    """光明社区: two grids, twelve volunteers with this month's and earlier credits, two
    清洁户 households this month; 王秀英 (first) is the one who signs in."""
    from points import months
    from points.extensions import db, unit_of_work
    from points.earning import services as earning
    from points.inspections import services as inspections
    from tests import factories

    now = utcnow()
    today = local(now).date()
    earlier = months.preceding(today.replace(day=1))
    with live_server.app.app_context():
        session = db.session
        community = factories.make_community(session, name="光明社区", code="guangming")
        grids = [factories.make_grid(session, community, name=name) for name in ("光明一网格", "光明二网格")]
        staff = factories.make_user(session, community, "staff", name="黄主任")
        cleaning = factories.make_activity_type(session, community, name="环境卫生",
                                                unit="participation", points="10")
        people = []
        for number, (name, grid, points, before) in enumerate(VOLUNTEERS):
            home = factories.make_household(session, community, grids[grid], f"{number + 1}栋1单元101")
            person = factories.make_resident(session, community, household=home, name=name)
            for day, amount, posted in ((today, points, now), (earlier, before, now - timedelta(days=31))):
                if Decimal(amount) > 0:
                    with unit_of_work(session):
                        earning.credit_work(session, user=person, activity_type=cleaning,
                                            source="test", source_id=9000 + number * 2 + (day == today),
                                            work_day=day, points=Decimal(amount), now=posted)
            people.append(person)
        for grid_index, members in ((0, (0, 4)), (1, (2,))):
            inspections.score_grid(
                session, actor=staff, community=community, grid_id=grids[grid_index].id,
                month=months.month_of(now), now=now,
                entries=[{"household_id": people[i].household_id, "personal": 9, "home": 9,
                          "public": 8} for i in members])
        session.refresh(people[0])
        session.expunge(people[0])
        db.session.remove()
    return people[0]


def test_a_resident_reads_the_leaderboard_and_chooses_how_she_shows(page, live_server, artifacts_dir,
                                                                   boards_world):
    sign_in(page, live_server, boards_world)
    page.goto(f"{live_server.url}/leaderboard")

    expect(page.locator("[data-test=my-rank-number]")).to_have_text("第 1 名")
    expect(page.locator("[data-test=entry]").first.locator("[data-test=name]")).to_have_text("王**")
    expect(page.locator("[data-test=entry]").nth(2).locator("[data-test=rank]")).to_have_text("2")
    check_layout(page)
    shoot(page, artifacts_dir, "leaderboard-month")

    page.locator("[data-test=period-all]").click()
    expect(page.locator("[data-test=board-title]")).to_have_text("总榜（历来累计）")
    expect(page.locator("[data-test=entry]").first.locator("[data-test=name]")).to_have_text("孙**")
    expect(page.locator("[data-test=my-rank-number]")).to_have_text("第 2 名")
    check_layout(page)
    shoot(page, artifacts_dir, "leaderboard-all")

    page.locator("[data-test=scope-mine]").click()
    expect(page.locator("[data-test=board-title]")).to_contain_text("光明一网格")
    expect(page.locator("[data-test=entry]")).to_have_count(6)
    page.locator("[data-test=grids-link]").click()
    expect(page.locator("[data-test=grid-entry]")).to_have_count(2)
    check_layout(page)
    shoot(page, artifacts_dir, "leaderboard-grids")

    page.goto(f"{live_server.url}/leaderboard")
    page.locator("[data-test=choice-link]").click()
    check_layout(page)
    shoot(page, artifacts_dir, "leaderboard-choice")
    page.locator("[data-test=choice-named]").click()
    expect(page.get_by_role("status").first).to_have_text("已保存：排行榜上显示您的全名")
    expect(page.locator("[data-test=shown-as]")).to_have_text("榜上显示为：王秀英")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "leaderboard-elder")
    page.locator("[data-test=elder]").click()
    page.locator("[data-test=choice-link]").click()
    page.locator("[data-test=choice-masked]").click()
    expect(page.locator("[data-test=shown-as]")).to_have_text("榜上显示为：王**")


def test_the_honour_board_on_a_phone(page, live_server, artifacts_dir, boards_world):
    page.goto(f"{live_server.url}/honour/guangming")

    expect(page.get_by_role("heading", level=1)).to_contain_text("光明社区")
    expect(page.locator("[data-test=volunteer]")).to_have_count(10)
    expect(page.locator("[data-test=clean-household]")).to_have_count(3)
    expect(page.locator("body")).not_to_contain_text("王秀英")
    expect(page.locator("body")).not_to_contain_text("单元")
    check_layout(page)
    shoot(page, artifacts_dir, "honour-phone")


# Sizes on the hall screen: nothing cut off or sideways-scrolling, names and figures
# readable across a room, the whole board on one 1920×1080 screen.
HALL = """
() => {
  const px = (selector) => Math.min(...[...document.querySelectorAll(selector)]
    .map((el) => parseFloat(getComputedStyle(el).fontSize)));
  return {
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    body: parseFloat(getComputedStyle(document.body).fontSize),
    name: px(".honour-name"), figure: px(".honour-stats strong"), title: px(".honour-head h1"),
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  };
}
"""


def test_the_honour_board_on_a_hall_screen(browser, live_server, artifacts_dir, boards_world):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/honour/guangming")
        expect(page.locator("[data-test=volunteer]")).to_have_count(10)
        page.wait_for_load_state("load")

        found = page.evaluate(HALL)
        shoot(page, artifacts_dir, "honour-hall-1920")

        assert found["width"] <= 1920 and found["height"] <= 1080, found
        assert found["body"] >= 26 and found["name"] >= 34 and found["figure"] >= 56, found
        assert found["title"] >= 52 and found["inlineScripts"] == 0, found
    finally:
        context.close()
