"""A shop owner on a 390px phone opens 扫码设备 from the home page, adds the till's tablet
(signed in as a clerk), sees its token once with a QR code, then stops it after the
confirmation page; the token is refused at once. Pages measured and photographed."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from points.communities.models import Community
from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(live_server):
    """A shop of its own in 北新社区 with its owner and one clerk."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = session.scalar(select(Community).where(Community.code == "beixin"))
        merchant = factories.make_merchant(session, community, name="王记杂货")
        owner = factories.make_user(session, community, "merchant_owner", name="王老板",
                                    merchant=merchant)
        factories.make_user(session, community, "merchant_clerk", name="刘小梅", merchant=merchant)
        session.refresh(owner)
        session.expunge(owner)
        db.session.remove()
    return owner


def test_owner_adds_a_device_sees_its_qr_once_and_stops_it(page, live_server, artifacts_dir, shop):
    sign_in(page, live_server, shop)
    page.locator("[data-test='shortcut-merchant_devices.index']").click()
    expect(page.locator("[data-test=no-devices]")).to_be_visible()

    page.get_by_label("设备名称（如“收银台平板”）").fill("收银台平板")
    page.get_by_label("用谁的身份登录").select_option(label="刘小梅")
    page.locator("[data-test=add]").click()

    expect(page.locator("[data-test=issued]")).to_contain_text("“收银台平板”已开通")
    expect(page.locator("[data-test=device-qr]")).to_be_visible()
    raw = page.locator("[data-test=device-token]").inner_text().strip()
    assert len(raw) >= 40
    me = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status == 200 and me.json()["name"] == "刘小梅"
    check_layout(page)
    shoot(page, artifacts_dir, "devices")

    page.locator("[data-test=done]").click()
    device = page.locator("[data-test=device]")
    expect(device).to_contain_text("刘小梅")
    assert raw not in page.content()
    device.locator("[data-test=revoke]").click()
    expect(page.locator("h1")).to_have_text("停用设备")
    check_layout(page)
    shoot(page, artifacts_dir, "devices-revoke")
    page.locator("[data-test=confirm-revoke]").click()

    expect(page.locator(".flash-success")).to_contain_text("已停用")
    expect(page.locator("[data-test=no-devices]")).to_be_visible()
    refused = page.request.get(f"{live_server.url}/api/v1/me",
                               headers={"Authorization": f"Bearer {raw}"})
    assert refused.status == 401
