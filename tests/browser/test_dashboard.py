"""The 数据看板 on a 390px phone and a 1280px desk, and the 月度汇总 sheet on screen and as
one A4 page. A community of its own (丰收社区) with a year of numbers, so the charts have
something to draw and no other journey's data changes them."""
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from points.timeutil import local, utcnow
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

PEOPLE = (  # name, grid (0: 东片, 1: 西片), points this month
    ("黄淑珍", 0, "60"), ("何建军", 0, "45"), ("罗美兰", 1, "30"), ("梁志明", 1, "20"), ("宋桂芳", 0, "10"),
)

# Every chart drawn: a Chart.js chart on the canvas and at least one painted pixel.
DRAWN = """
() => [...document.querySelectorAll("canvas[data-chart]")].map((canvas) => {
  const context = canvas.getContext("2d");
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return {name: canvas.dataset.chart, chart: Boolean(window.Chart && window.Chart.getChart(canvas)),
          width: canvas.width, painted};
})
"""

# Records Content-Security-Policy violations (init scripts run outside the page's CSP).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""

# Chart.js sizes its canvases through the CSSOM (canvas.style.width…), which the
# Content-Security-Policy allows; check_layout counts style attributes written in the
# page, so the canvases' are set aside while it measures and put back after.
SET_ASIDE = """() => document.querySelectorAll("canvas[style]").forEach((canvas) => {
  canvas.dataset.style = canvas.getAttribute("style"); canvas.removeAttribute("style"); })"""
PUT_BACK = """() => document.querySelectorAll("canvas[data-style]").forEach((canvas) => {
  canvas.setAttribute("style", canvas.dataset.style); delete canvas.dataset.style; })"""


@pytest.fixture(scope="session")  # once per live server, whatever order the tests run in
def dashboard_world(live_server):
    """丰收社区: two grids, five volunteers with credits this month and in each of the
    last five months, redemptions at a shop and at the store, a fund, one 清洁户."""
    from merchants import services as shops
    from points import months
    from points.earning import services as earning
    from points.extensions import db, unit_of_work
    from points.inspections import services as inspections
    from tests import factories

    now = utcnow()
    today = local(now).date()
    with live_server.app.app_context():
        session = db.session
        community = factories.make_community(session, name="丰收社区", code="fengshou")
        grids = [factories.make_grid(session, community, name=name) for name in ("东片网格", "西片网格")]
        staff = factories.make_user(session, community, "staff", name="孔主任")
        shop = factories.make_merchant(session, community, name="丰收粮油")
        cleaning = factories.make_activity_type(session, community, name="楼道清扫", unit="participation",
                                                points="10")
        caring = factories.make_activity_type(session, community, name="关爱老人", unit="participation",
                                              points="10")
        people = []
        for number, (name, grid, points) in enumerate(PEOPLE):
            home = factories.make_household(session, community, grids[grid], f"{number + 1}号楼101")
            person = factories.make_resident(session, community, household=home, name=name)
            for back in range(6):
                day = today - timedelta(days=31 * back)
                amount = Decimal(points) + 5 * back
                with unit_of_work(session):
                    earning.credit_work(session, user=person, activity_type=(cleaning, caring)[number % 2],
                                        source="dashboard", source_id=7000 + number * 10 + back,
                                        work_day=day, points=amount, now=now - timedelta(days=31 * back))
            people.append(person)
        for back in range(1, 5):
            factories.make_redemption(session, people[back], shop, 10 * back, now - timedelta(days=31 * back))
        factories.make_redemption(session, people[0], shop, 25, now)
        store = factories.make_held_voucher(session, people[1], None, points="40", title="大米 5 斤", now=now)
        shops.redeem_voucher(session, clerk=staff, voucher_id=store.id, now=now)
        factories.give_fund(session, community, "80.00")
        inspections.score_grid(session, actor=staff, community=community, grid_id=grids[0].id,
                               month=months.month_of(now), now=now,
                               entries=[{"household_id": people[0].household_id, "personal": 9, "home": 9,
                                         "public": 9}])
        session.refresh(staff)
        session.expunge(staff)
        db.session.remove()
    return staff


def test_staff_read_the_dashboard_and_print_the_monthly_sheet(page, live_server, artifacts_dir,
                                                              dashboard_world):
    page.add_init_script(LISTEN)
    sign_in(page, live_server, dashboard_world)
    page.goto(f"{live_server.url}/staff/dashboard")

    expect(page.get_by_role("heading", level=1)).to_have_text("数据看板")
    expect(page.locator("[data-test=scope]")).to_contain_text("丰收社区")
    expect(page.locator("canvas[data-drawn]")).to_have_count(6)
    drawn = page.evaluate(DRAWN)
    assert len(drawn) == 6 and all(chart["chart"] and chart["painted"] > 500 for chart in drawn), drawn
    assert page.evaluate("window.__csp") == []
    expect(page.locator("[data-test=shop-row]")).to_have_count(2)
    expect(page.locator("[data-test=shops]")).to_contain_text("社区积分超市")
    expect(page.locator("[data-test=activities]")).to_contain_text("家庭卫生评比")
    page.evaluate(SET_ASIDE)
    check_layout(page)
    page.evaluate(PUT_BACK)
    shoot(page, artifacts_dir, "dashboard")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    expect(page.locator("canvas[data-drawn]")).to_have_count(6)
    page.evaluate(SET_ASIDE)
    check_layout(page, elder=True)
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")

    page.locator("[data-test=grid]").select_option(label="西片网格")
    page.locator("[data-test=show]").click()
    expect(page.locator("[data-test=scope]")).to_contain_text("西片网格")
    expect(page.locator("[data-test=grid-note]")).to_be_visible()
    expect(page.locator("canvas[data-drawn]")).to_have_count(5)  # 西片 redeemed nothing at shops

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/staff/dashboard")
    expect(page.locator("canvas[data-drawn]")).to_have_count(6)
    shoot(page, artifacts_dir, "dashboard-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=monthly-link]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("积分超市月度汇总")
    expect(page.locator("[data-test=volunteer]")).to_have_count(5)
    expect(page.locator("[data-test=volunteer-name]").first).to_have_text("黄淑珍")
    expect(page.locator("[data-test=clean-household]")).to_have_text(["1号楼101"])
    check_layout(page)
    shoot(page, artifacts_dir, "monthly")

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    shoot(page, artifacts_dir, "monthly-print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1, "the sheet is not one A4 page"
