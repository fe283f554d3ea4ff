"""文明积分 on a 390px phone: a grid worker scores 红星网格 for this month (one household
passes, one fails, one is left for later), sees the results read-only and the month's
清洁户; a resident of the clean household sees the household's points and the notice."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from points.inspections.rules import month_of
from points.timeutil import utcnow
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

SCORES = {"3栋2单元401": ("9", "8", "8"), "3栋2单元402": ("9", "9", "4")}


def fill(card, values):
    for item, value in zip(("personal", "home", "public"), values):
        card.locator(f"[data-test={item}]").fill(value)


def test_a_grid_worker_scores_a_grid_and_the_clean_household_sees_its_points(
        page, live_server, artifacts_dir):
    month = month_of(utcnow())
    sign_in(page, live_server, live_server.users["grid_worker"])
    page.locator("[data-test=inspections-link]").click()
    expect(page.locator("[data-test=month]")).to_have_value(month)
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-choose")

    page.locator("[data-test=open-sheet]").click()
    expect(page.locator("h1")).to_contain_text(f"红星网格 · {month}")
    for address, values in SCORES.items():
        fill(page.locator("[data-test=pending]", has_text=address), values)
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-sheet")
    page.locator("[data-test=save]").click()

    expect(page.get_by_role("status").first).to_contain_text("1 户评为清洁户，1 户未达标")
    clean = page.locator("[data-test=scored]", has_text="3栋2单元401")
    expect(clean.locator("[data-test=result]")).to_have_text(re.compile(r"清洁户\s*\+20"))
    expect(clean.locator("[data-test=total]")).to_have_text("25")
    expect(page.locator("[data-test=scored]", has_text="3栋2单元402")
           .locator("[data-test=result]")).to_have_text("未达标")
    expect(page.locator("[data-test=pending]", has_text="5栋1单元101")).to_be_visible()
    expect(page.locator("[data-test=correct]")).to_have_count(0)  # grid workers do not re-score
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-saved")

    page.locator("[data-test=clean-link]").last.click()
    expect(page.locator("[data-test=clean-household]")).to_have_count(1)
    expect(page.locator("[data-test=clean-household]")).to_contain_text("3栋2单元401")
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-clean-list")
    page.locator("[data-test=sign-out]").click()

    sign_in(page, live_server, live_server.users["resident"])
    expect(page.locator("[data-test=household-points]")).to_have_text("20")
    expect(page.locator("[data-test=clean-month]")).to_have_text(f"{month} 清洁户")
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-resident-home")

    page.locator("[data-test=nav-notifications]").click()
    notice = page.locator("[data-test=notification]", has_text="本户获得文明积分").first
    expect(notice).to_contain_text("3栋2单元401 评为清洁户，本户文明积分 +20")
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-resident-notification")


def default_cleaning_type(live_server):
    """The programmes' 环境卫生 rule as a new community gets it (other journeys may have
    given this server types of their own first, so the defaults may not be there)."""
    from points.communities.models import Community
    from points.earning.models import ActivityType
    from points.earning.services import DEFAULT_TYPES
    from points.extensions import db, unit_of_work

    name, category, unit, points, day, month, photo, place, second = DEFAULT_TYPES[0]
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "beixin"))
        with unit_of_work(db.session):
            if db.session.scalar(select(ActivityType).where(
                    ActivityType.community_id == community.id, ActivityType.name == name)) is None:
                db.session.add(ActivityType(
                    community_id=community.id, name=name, category=category, unit=unit,
                    points=Decimal(points), daily_cap=Decimal(day), monthly_cap=Decimal(month),
                    photo_required=photo, location_required=place,
                    second_approval_above=Decimal(second)))
        db.session.remove()


def test_the_office_reads_the_rules_of_activity_types(page, live_server, artifacts_dir):
    default_cleaning_type(live_server)
    sign_in(page, live_server, live_server.users["admin"])
    page.locator("[data-test=activity-types-link]").click()

    # Other journeys add types of their own (环境卫生9, …): pick the default one by name.
    first = page.locator("[data-test=type]").filter(
        has=page.get_by_role("heading", name="环境卫生", exact=True)).first
    expect(first.locator("[data-test=rule]")).to_have_text(
        "每小时 10 分，每天最多 40 分，每月最多 300 分，需要照片，超过 100 分需第二人复核")
    check_layout(page)
    shoot(page, artifacts_dir, "activity-types")

    first.locator("[data-test=edit]").click()
    expect(page.locator("[data-test=new-credits-only]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "activity-type-edit")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "activity-type-edit-elder")
    page.locator("[data-test=elder]").click()


def own_grid(live_server, address):
    """A grid of its own with one household, so this journey does not depend on which
    other journeys ran before it on this server."""
    from points.communities.models import Community
    from points.extensions import db
    from tests import factories

    with live_server.app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "beixin"))
        grid = factories.make_grid(db.session, community, name="更正演示网格")
        factories.make_household(db.session, community, grid, address=address)
        grid_id = grid.id
        db.session.remove()
    return grid_id


def test_the_office_corrects_a_score_with_a_reason(page, live_server, artifacts_dir):
    month = month_of(utcnow())
    grid_id = own_grid(live_server, "9栋1单元101")
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/inspections/{grid_id}/{month}")
    fill(page.locator("[data-test=pending]", has_text="9栋1单元101"), ("8", "8", "6"))
    page.locator("[data-test=save]").click()
    page.locator("[data-test=scored]", has_text="9栋1单元101").locator("[data-test=correct]").click()

    page.get_by_label("公共卫生").fill("9")
    page.get_by_label("更正原因（必填，居民会看到）").fill("复查：公共区域已清理干净")
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-correct")
    page.locator("[data-test=submit]").click()

    corrected = page.locator("[data-test=scored]", has_text="9栋1单元101")
    expect(corrected.locator("[data-test=result]")).to_have_text(re.compile(r"清洁户\s*\+20"))
    expect(corrected.locator("[data-test=corrected]")).to_contain_text("公共区域已清理干净")
    expect(page.locator("h1")).to_contain_text(month)
    check_layout(page)
    shoot(page, artifacts_dir, "inspections-corrected")
