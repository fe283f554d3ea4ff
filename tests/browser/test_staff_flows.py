"""Journeys of the office and the resident beyond the home page, on a 390px phone:
staff register a resident and find it in the audit log; a resident reads a notification.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


def test_admin_registers_a_resident_and_finds_it_in_the_audit_log(page, live_server, artifacts_dir):
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/residents/new")
    page.get_by_label("姓名").fill("赵桂兰")
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("门牌/户号（如 3栋2单元401）").fill("7栋3单元502")
    check_layout(page)
    page.locator("[data-test=submit]").click()

    expect(page.locator("[data-test=password]")).to_have_text(re.compile(r"^\d{8}$"))
    check_layout(page)
    shoot(page, artifacts_dir, "staff-resident-registered")

    page.goto(f"{live_server.url}/staff/audit")
    first = page.locator("[data-test=event]").first
    expect(first.locator("[data-test=actor]")).to_contain_text(live_server.users["admin"].name)
    expect(first.locator("[data-test=object]")).to_contain_text("居民账号")
    expect(first.locator("[data-test=after]")).to_contain_text("姓名：赵桂兰")
    expect(first.locator("[data-test=after]")).to_contain_text("登记方式：逐个登记")
    expect(first).not_to_contain_text("13912345678")  # the log keeps a masked phone
    check_layout(page)
    shoot(page, artifacts_dir, "staff-audit-log")


def test_resident_reads_a_notification_and_marks_all_read(page, live_server, artifacts_dir):
    from points.extensions import db, unit_of_work
    from points.notifications.services import notify
    from points.timeutil import utcnow

    resident = live_server.users["resident"]
    with live_server.app.app_context():
        with unit_of_work(db.session):
            notify(db.session, user=db.session.merge(resident, load=True), kind="approved",
                   title="审核通过", body="您参加“清洁家园”活动获得 20 积分。", link="/home",
                   now=utcnow())
        db.session.remove()

    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/notifications")
    expect(page.locator("[data-test=notification]").first).to_contain_text("获得 20 积分")
    expect(page.locator("[data-test=unread-count]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "resident-notifications")

    page.locator("[data-test=read-all]").click()
    expect(page.locator("[data-test=unread-count]")).to_have_count(0)
