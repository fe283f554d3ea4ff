"""Activities on a 390px phone: staff create and publish an activity with one place; a
resident signs up, a second is waitlisted; the first withdraws and the second moves up
and reads the notification. Each person has their own browser (signed in once)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

TITLE = "周六清洁家园"


@pytest.fixture
def people(live_server):
    """Two new residents of the seeded community and an activity type to choose."""
    from points.auth.models import User
    from points.extensions import db
    from tests import factories

    with live_server.app.app_context():
        admin = db.session.get(User, live_server.users["admin"].id)
        community = admin.community
        activity_type = factories.make_activity_type(db.session, community, points="10")
        first = factories.make_resident(db.session, community, name="赵桂兰")
        second = factories.make_resident(db.session, community, name="孙德胜")
        found = (activity_type.id, first, second)
        for user in (first, second):
            db.session.refresh(user)
            db.session.expunge(user)
        db.session.remove()
    return found


@pytest.fixture
def open_browser(browser, browser_context_args):
    contexts = []

    def opened():
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


def tomorrow():
    from points.timeutil import local, utcnow

    return local(utcnow() + timedelta(days=1)).date().isoformat()


def staff_create_and_publish(page, live_server, artifacts_dir, type_id):
    sign_in(page, live_server, live_server.users["admin"])
    page.locator("[data-test=nav]").get_by_role("link", name="活动").click()
    check_layout(page)
    page.locator("[data-test=new-activity]").click()
    page.locator("select[name=type_id]").select_option(str(type_id))
    page.get_by_label("活动名称", exact=True).fill(TITLE)
    page.get_by_label("地点", exact=True).fill("红星网格小广场")
    page.get_by_label("开始时间", exact=True).fill(f"{tomorrow()}T09:00")
    page.get_by_label("结束时间", exact=True).fill(f"{tomorrow()}T11:00")
    page.get_by_label("名额（人）").fill("1")
    page.get_by_label("活动说明（可不填）").fill("请带好手套和水杯。")
    check_layout(page)
    shoot(page, artifacts_dir, "activity-staff-new")
    page.locator("[data-test=submit]").click()

    expect(page.locator("[data-test=status]")).to_have_text("草稿")
    page.locator("[data-test=publish]").click()
    expect(page.locator("[data-test=status]")).to_have_text("已发布")
    expect(page.locator("[data-test=when]")).to_contain_text("09:00–11:00")
    check_layout(page)
    shoot(page, artifacts_dir, "activity-staff-published")
    return page.url


def resident_signs_up(page, live_server, user, name):
    sign_in(page, live_server, user)
    page.locator("[data-test=nav]").get_by_role("link", name="活动").click()
    card = page.locator("[data-test=activity]", has_text=TITLE)
    card.locator("[data-test=open]").click()
    expect(page.locator("[data-test=title]")).to_have_text(TITLE)
    check_layout(page)
    page.locator("[data-test=sign-up]").click()


def test_sign_up_waitlist_withdraw_and_promotion(page, open_browser, live_server, artifacts_dir,
                                                 people):
    type_id, first, second = people
    staff_url = staff_create_and_publish(page, live_server, artifacts_dir, type_id)

    first_page = open_browser()
    resident_signs_up(first_page, live_server, first, "赵桂兰")
    expect(first_page.get_by_role("status").first).to_contain_text("报名成功")
    expect(first_page.locator("[data-test=my-status]")).to_contain_text("您已报名")
    check_layout(first_page)
    shoot(first_page, artifacts_dir, "activity-resident-signed-up")

    second_page = open_browser()
    resident_signs_up(second_page, live_server, second, "孙德胜")
    expect(second_page.locator("[data-test=my-status]")).to_contain_text("候补第 1 位")
    check_layout(second_page)
    shoot(second_page, artifacts_dir, "activity-resident-waitlisted")
    second_page.locator("[data-test=elder]").click()
    expect(second_page.locator("html")).to_have_class("elder")
    check_layout(second_page, elder=True)
    shoot(second_page, artifacts_dir, "activity-resident-waitlisted-elder")
    second_page.locator("[data-test=elder]").click()

    first_page.locator("[data-test=withdraw]").click()
    expect(first_page.get_by_role("status").first).to_contain_text("已取消报名")
    # the freed place went to the waitlist at once: only the waitlist is left to join
    expect(first_page.locator("[data-test=sign-up]")).to_have_text("名额已满，排候补")

    second_page.goto(f"{live_server.url}/home")
    expect(second_page.locator("[data-test=unread-badge]")).to_be_visible()
    second_page.locator("[data-test=nav-notifications]").click()
    newest = second_page.locator("[data-test=notification]").first
    expect(newest).to_contain_text("候补转正")
    expect(newest).to_contain_text(TITLE)
    check_layout(second_page)
    shoot(second_page, artifacts_dir, "activity-resident-promoted-notification")
    newest.locator("[data-test=open]").click()
    expect(second_page.locator("[data-test=my-status]")).to_contain_text("您已报名")

    page.goto(staff_url)
    expect(page.locator("[data-test=signed-up] [data-test=person]")).to_have_count(1)
    expect(page.locator("[data-test=signed-up]")).to_contain_text("孙德胜")
    expect(page.locator("[data-test=signed-up]")).to_contain_text("候补转正")
    expect(page.locator("[data-test=waitlist] [data-test=waiting]")).to_have_count(0)
    check_layout(page)
    shoot(page, artifacts_dir, "activity-staff-after-promotion")

    page.locator("[data-test=nav]").get_by_role("link", name="活动").click()
    card = page.locator("[data-test=activity]", has_text=TITLE)
    expect(card.locator("[data-test=counts]")).to_have_text("1 / 1 人")
    check_layout(page)
    shoot(page, artifacts_dir, "activity-staff-list")


def test_the_resident_nav_with_activities_fits_the_phone_in_elder_mode(page, live_server,
                                                                      artifacts_dir):
    sign_in(page, live_server, live_server.users["resident"])
    page.locator("[data-test=nav]").get_by_role("link", name="活动").click()
    expect(page.get_by_role("heading", name="社区活动")).to_be_visible()
    check_layout(page)

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "activity-browse-elder")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")
