"""操作记录 on a 390px phone: an office worker narrows the log to one kind of object and
downloads what is shown as CSV (a Playwright download) whose rows are the page's events.
The page is measured (check_layout) and photographed."""
import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

HEADERS = ["时间", "操作人", "代办人", "操作", "对象", "对象编号", "修改前", "修改后", "原因"]


@pytest.fixture
def office_log(live_server):
    """A community of its own (the shared server's is other tests'), its office worker,
    and five events: three on claims (one by a family proxy), two on vouchers."""
    from points.audit.services import record
    from points.extensions import db, unit_of_work
    from points.timeutil import utcnow

    with live_server.app.app_context():
        session = db.session
        community = factories.make_community(session, name="东湖社区")
        staff = factories.make_user(session, community, "staff", name="林干事")
        son = factories.make_resident(session, community, name="周小军")
        now = utcnow()
        with unit_of_work(session):
            for number, (action, kind, proxy) in enumerate([
                    ("claim.approve", "claim", None), ("voucher.refund", "voucher", None),
                    ("claim.reject", "claim", son), ("voucher.refund", "voucher", None),
                    ("claim.adjust", "claim", None)]):
                record(session, actor=staff, proxy=proxy, action=action, obj_type=kind,
                       obj_id=100 + number, before={"status": "pending", "points": Decimal("20")},
                       after={"status": "approved", "points": Decimal("15")},
                       reason=f"第{number + 1}条记录", community_id=community.id,
                       now=now - timedelta(minutes=5 - number))
        session.refresh(staff)
        session.expunge(staff)
        db.session.remove()
    return staff


def test_staff_filter_the_log_by_object_and_download_it(page, live_server, artifacts_dir, office_log):
    sign_in(page, live_server, office_log)
    page.goto(f"{live_server.url}/staff/audit")
    expect(page.locator("[data-test=event]")).to_have_count(5)

    page.locator("[data-test=object-type]").select_option(label="积分申报")
    page.get_by_role("button", name="查找").click()

    events = page.locator("[data-test=event]")
    expect(events).to_have_count(3)
    expect(events.locator("[data-test=object]").first).to_have_text("积分申报 #104")
    expect(events.nth(1).locator("[data-test=actor]")).to_contain_text("代办人 周小军")
    expect(events.first.locator("[data-test=after]")).to_have_text("状态：已通过；积分：15")
    expect(page.locator("[data-test=object-type]")).to_have_value("claim")
    check_layout(page)
    shoot(page, artifacts_dir, "audit")

    with page.expect_download() as info:
        page.locator("[data-test=export-csv]").click()
    download = info.value
    assert download.suggested_filename.startswith("audit-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [(row[4], row[5], row[8]) for row in rows[1:]] == [
        ("积分申报", "104", "第5条记录"), ("积分申报", "102", "第3条记录"), ("积分申报", "100", "第1条记录")]
    assert rows[2][1:3] == ["林干事", "周小军"]
    assert rows[1][7] == "状态：已通过；积分：15"

    page.goto(f"{live_server.url}/staff/audit?object=claim&object_id=１０４号")
    expect(page.locator("[data-test=filter-error]")).to_have_text("对象编号只能填数字，如 128")
    expect(page.locator("[data-test=object-id]")).to_have_value("１０４号")
    check_layout(page)
    shoot(page, artifacts_dir, "audit-bad-filter")
