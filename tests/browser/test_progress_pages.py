"""The office on a 390px phone: edits the community's levels (and in 关怀模式), then takes
back the points of an approved claim from its page; the resident's claim page shows the
points as taken back, with the reason. Every page is measured and photographed."""
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from points.claims import approvals
from points.claims import services as claims
from points.residents.acting import acting_as_self
from points.timeutil import local, utcnow
from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def office(live_server, tmp_path):
    """A community of its own (its ladder is changed here), its office, a resident and her
    approved claim of 20 points."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = factories.make_community(session, name="南桥社区", code=f"nq{tmp_path.name[-12:]}")
        grid = factories.make_grid(session, community, name="南桥一网格")
        home = factories.make_household(session, community, grid, address="2栋3单元501")
        resident = factories.make_resident(session, community, household=home, name="孙秀兰")
        staff = factories.make_user(session, community, "admin", name="吴主任")
        mediation = factories.make_activity_type(session, community, name="矛盾调解",
                                                 category="mediation", unit="participation",
                                                 points="20")
        now = utcnow()
        claim = claims.file_claim(session, acting=acting_as_self(resident), type_id=mediation.id,
                                  work_day=local(now).date(), hours=None,
                                  description="调解了楼上楼下的漏水纠纷", photos=[],
                                  upload_dir=tmp_path / "uploads", now=now)
        approvals.approve_claim(session, actor=staff, community=community, claim_id=claim.id,
                                now=now)
        found = SimpleNamespace(staff=SimpleNamespace(phone=staff.phone),
                                resident=SimpleNamespace(phone=resident.phone), claim_id=claim.id)
        db.session.remove()
    return found


def test_the_office_edits_levels_and_takes_back_a_claims_points(page, live_server, artifacts_dir,
                                                                office):
    sign_in(page, live_server, office.staff)
    expect(page).to_have_url(re.compile(r"/staff$"))
    page.goto(f"{live_server.url}/staff/levels")
    expect(page.get_by_role("heading", name="等级设置")).to_be_visible()
    expect(page.locator("[data-test=default-ladder]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "levels-default")

    page.locator("[name=rows-5-name]").fill("社区之光")
    page.locator("[name=rows-5-threshold]").fill("8000")
    page.locator("[data-test=save]").click()
    expect(page.get_by_text("等级已保存")).to_be_visible()
    expect(page.locator("[data-test=level]")).to_have_count(6)
    check_layout(page)
    shoot(page, artifacts_dir, "levels-saved")

    page.locator("[name=rows-0-threshold]").fill("10")
    page.locator("[data-test=save]").click()
    expect(page.get_by_text("第一个等级的门槛必须是 0 分")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "levels-refused")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "levels-elder")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")

    page.goto(f"{live_server.url}/staff/claims/{office.claim_id}")
    expect(page.locator("[data-test=reverse-form]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "claim-reverse-form")
    page.locator("[data-test=reverse-reason]").fill("核实后发现当天他不在社区")
    page.locator("[data-test=reverse]").click()
    expect(page.get_by_text("已撤销这笔 20 分的积分，并通知了本人")).to_be_visible()
    expect(page.locator("[data-test=reversal-reason]")).to_have_text("核实后发现当天他不在社区")
    expect(page.locator("[data-test=status]")).to_have_text("已撤销")
    check_layout(page)
    shoot(page, artifacts_dir, "claim-reversed-staff")

    page.locator("[data-test=sign-out]").click()
    sign_in(page, live_server, office.resident)
    page.goto(f"{live_server.url}/claims/{office.claim_id}")
    expect(page.locator("[data-test=reversed]")).to_contain_text("原因：核实后发现当天他不在社区")
    check_layout(page)
    shoot(page, artifacts_dir, "claim-reversed-resident")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "claim-reversed-resident-elder")
    page.locator("[data-test=elder]").click()
