"""One need from post to points, on a 390px phone in Chinese: an elderly resident posts a
request (群众点单), the office publishes it as a task (组织建单), a volunteer of her grid
claims it, starts and marks it done (志愿者接单), she confirms and rates it, and the
volunteer sees the credited points on his home page. Every page is measured
(check_layout) and photographed."""
import re

import pytest
from sqlalchemy import select
from playwright.sync_api import expect

from points.earning.models import ActivityType
from tests import factories
from tests.browser.test_claims import seeded_community, sign_out
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def neighbours(live_server):
    """宋玉兰 (who needs help) and 董银成 (who helps), both of 红星网格, on their own data."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community, grid = seeded_community(session)
        # The default types arrive only in a community without any: another journey may
        # have made the first type of the shared seed, so make sure of the one used here.
        if not session.scalar(select(ActivityType).where(ActivityType.community_id == community.id,
                                                         ActivityType.name == "敬老助老")):
            factories.make_activity_type(session, community, name="敬老助老", category="elderly",
                                         unit="participation",
                                         points="20", daily_cap="40")
        people = []
        for name, address in (("宋玉兰", "姚家巷7号"), ("董银成", "姚家巷12号")):
            household = factories.make_household(session, community, grid, address=address)
            people.append(factories.make_resident(session, community, household=household,
                                                  name=name))
        for person in people:
            session.refresh(person)
            session.expunge(person)
        db.session.remove()
    return people


def test_a_need_goes_from_the_residents_post_to_the_volunteers_points(
        page, live_server, artifacts_dir, neighbours):
    elder, volunteer = neighbours

    # 群众点单: she posts her need (the form in 关怀模式 first: big type, one column).
    sign_in(page, live_server, elder)
    page.goto(f"{live_server.url}/requests/new")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "task-1a-resident-request-form-elder")
    page.locator("[data-test=elder]").click()
    expect(page.get_by_role("heading", name="我要点单")).to_be_visible()
    page.locator("label.choice", has_text="陪同就医").click()
    page.get_by_label("需要帮什么忙").fill("周三上午要去县医院复查，腿脚不方便，想请人陪我去。")
    expect(page.get_by_label("在哪里")).to_have_value("姚家巷7号")
    page.get_by_label("什么时候方便（可不填，如：周三上午）").fill("周三上午八点")
    check_layout(page)
    shoot(page, artifacts_dir, "task-1-resident-request-form")
    page.locator("[data-test=submit]").click()

    expect(page.locator("[data-test=stage]")).to_have_text("待社区处理")
    expect(page.locator("[data-test=event]")).to_have_count(1)
    request_url = page.url
    check_layout(page)
    shoot(page, artifacts_dir, "task-2-resident-request-received")
    sign_out(page)

    # 组织建单: the office publishes it.
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/requests")
    row = page.locator("[data-test=queue-request]").filter(has_text="宋玉兰")
    expect(row.locator("[data-test=waiting]")).to_contain_text("已等待")
    check_layout(page)
    shoot(page, artifacts_dir, "task-3-staff-queue")
    row.locator("[data-test=open]").click()
    page.get_by_label("任务名称（志愿者看到的）").fill("陪宋奶奶去县医院复查")
    page.get_by_label("按哪类活动记积分").select_option(label="敬老助老")
    page.get_by_label("每位志愿者得多少积分").fill("20")
    check_layout(page)
    shoot(page, artifacts_dir, "task-4-staff-review")
    page.locator("[data-test=publish]").click()
    expect(page.get_by_role("status")).to_contain_text("已发布任务“陪宋奶奶去县医院复查”")
    sign_out(page)

    # 志愿者接单: a volunteer of her grid claims, starts and finishes.
    sign_in(page, live_server, volunteer)
    page.goto(f"{live_server.url}/tasks")
    card = page.locator("[data-test=open-task]").filter(has_text="陪宋奶奶去县医院复查")
    expect(card.locator("[data-test=near]")).to_have_text("我的网格")
    check_layout(page)
    shoot(page, artifacts_dir, "task-5-volunteer-hall")
    card.locator("[data-test=open]").click()
    expect(page.locator("[data-test=requester]")).to_have_text("宋**")
    check_layout(page)
    shoot(page, artifacts_dir, "task-6-volunteer-task")
    page.locator("[data-test=claim]").click()
    expect(page.get_by_role("status").first).to_contain_text("接单成功")
    expect(page.locator("[data-test=requester]")).to_contain_text("宋玉兰")
    page.get_by_label("留言").fill("宋奶奶，周三早上八点我在巷口等您。")
    page.locator("[data-test=send]").click()
    expect(page.locator("[data-test=message]")).to_have_count(1)
    check_layout(page)
    shoot(page, artifacts_dir, "task-7-volunteer-claimed")
    page.locator("[data-test=start]").click()
    expect(page.locator("[data-test=my-status]")).to_contain_text("办理中")
    page.locator("[data-test=done]").click()
    expect(page.locator("[data-test=my-status]")).to_contain_text("已办好")
    check_layout(page)
    shoot(page, artifacts_dir, "task-8-volunteer-done")
    sign_out(page)

    # The office's board: the task waits for her confirmation.
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/tasks")
    row = page.locator("[data-test=board-task]").filter(has_text="陪宋奶奶去县医院复查")
    expect(row.locator("[data-test=flag]")).to_have_text("待确认")
    check_layout(page)
    shoot(page, artifacts_dir, "task-8a-staff-board")
    row.locator("[data-test=open]").click()
    expect(page.locator("[data-test=confirm-form]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "task-8b-staff-task")
    sign_out(page)

    # She confirms and rates; only now are the points credited.
    sign_in(page, live_server, elder)
    page.goto(request_url)
    expect(page.locator("[data-test=stage]")).to_have_text("志愿者说办好了，待确认")
    expect(page.locator("[data-test=message]")).to_contain_text("巷口等您")
    page.locator("label.choice", has_text="5 分 很满意").click()
    page.get_by_label("想说的话（可不填）").fill("小董很细心，谢谢！")
    check_layout(page)
    shoot(page, artifacts_dir, "task-9-resident-confirm")
    page.locator("[data-test=confirm]").click()
    expect(page.locator("[data-test=stage]")).to_have_text("已办结")
    expect(page.locator("[data-test=rating]")).to_contain_text("5 分")
    expect(page.locator("[data-test=event]").last).to_contain_text("已办结")
    kinds = page.locator("[data-test=event]").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["received", "published", "claimed", "started", "done", "confirmed", "closed"]
    check_layout(page)
    shoot(page, artifacts_dir, "task-10-resident-closed")
    sign_out(page)

    # The volunteer sees his points at home.
    sign_in(page, live_server, volunteer)
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("[data-test=balance]")).to_have_text("20")
    check_layout(page)
    shoot(page, artifacts_dir, "task-11-volunteer-home-points")
    page.goto(f"{live_server.url}/tasks")
    mine = page.locator("[data-test=mine]").filter(has_text="陪宋奶奶去县医院复查")
    mine.locator("[data-test=open]").click()
    expect(page.locator("[data-test=my-points]")).to_contain_text("已记入 20 积分")
    check_layout(page)
    shoot(page, artifacts_dir, "task-12-volunteer-task-credited")
    sign_out(page)

    # The office reads how fast it went.
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/tasks/figures")
    expect(page.locator("[data-test=overall] [data-test=to-close]")).to_contain_text("分钟")
    check_layout(page)
    shoot(page, artifacts_dir, "task-13-staff-figures")
