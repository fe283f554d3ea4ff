"""The issue's "done when" for scanning, in Chromium on a 390px phone: a resident makes a
voucher in the mall; the clerk's scan page reads that voucher's own QR from a fake camera
(Chromium's ``--use-file-for-fake-video-capture``, fed a Y4M frame of the QR the resident's
page shows) and turns green, while the resident's page turns to 已核销 without a reload;
scanning it again is red. The fallbacks (typed code, the QR opened by the phone's own
camera app, photo upload) run in the session's browser, which has no camera.
"""
import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from points.qr import qr_png
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

FRAME = (640, 480)
QR_SIDE = 400
FAKE_CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def y4m_of(png, path):
    """One 640×480 frame of ``png`` (a QR) centred on white, as YUV4MPEG2 4:2:0 (jpeg
    siting): the header, ``FRAME``, then the Y, U and V planes. Chromium loops it."""
    code = Image.open(io.BytesIO(png)).convert("RGB").resize((QR_SIDE, QR_SIDE), Image.NEAREST)
    frame = Image.new("RGB", FRAME, "white")
    frame.paste(code, ((FRAME[0] - QR_SIDE) // 2, (FRAME[1] - QR_SIDE) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\nFRAME\n")
        out.write(y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes())
    return path


def seeded(live_server, name, points="500"):
    """A resident of the live server's community with ``points`` (each test its own, so
    the session's seeded resident keeps the balance other journeys check), and an offer
    of 张记面馆 to spend them on."""
    from merchants.models import Merchant, Offer
    from points.communities.models import Community
    from points.extensions import db, unit_of_work
    from tests import factories

    with live_server.app.app_context():
        session = db.session
        community = session.get(Community, live_server.users["admin"].community_id)
        shop = session.query(Merchant).filter_by(name="张记面馆").one()
        resident = factories.make_resident(session, community, name=name, points=points)
        with unit_of_work(session):
            offer = Offer(community_id=community.id, merchant_id=shop.id, title="牛肉面一碗",
                          points=Decimal("120"), stock=10)
            session.add(offer)
        session.refresh(resident)
        session.expunge(resident)
        offer_id = offer.id
        db.session.remove()
    return resident, offer_id


def voucher_made_by_service(live_server, resident, offer_id):
    """``(code, QR URL)`` of a voucher made without the resident's pages (one sign-in
    fewer: the live server's sign-in form allows 20 a minute for all the journeys)."""
    from merchants import qr, services
    from points.extensions import db
    from points.residents.acting import acting_as_self
    from points.timeutil import utcnow

    with live_server.app.app_context():
        voucher = services.issue_voucher(db.session, acting=acting_as_self(resident),
                                         offer_id=offer_id, now=utcnow()).voucher
        token = qr.voucher_token(live_server.app.config["SECRET_KEY"], voucher)
        code = voucher.code
        db.session.remove()
    return code, f"{live_server.url}/v/{token}"


def make_voucher_in_the_mall(page, live_server, resident, offer_id):
    sign_in(page, live_server, resident)
    page.goto(f"{live_server.url}/mall/offers/{offer_id}")
    page.locator("[data-test=buy]").click()
    expect(page).to_have_url(re.compile(r"/vouchers/\d+$"))
    expect(page.locator("[data-test=status]")).to_have_text("可以使用")
    return int(page.url.rsplit("/", 1)[1])


@pytest.fixture
def fake_camera(playwright, chromium_path, browser_context_args, tmp_path):
    """``open(png)``: a new Chromium whose camera shows ``png``, and a page in it."""
    browsers = []

    def open_with(png):
        video = y4m_of(png, tmp_path / "qr.y4m")
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=CHROMIUM_ARGS + FAKE_CAMERA_ARGS + [f"--use-file-for-fake-video-capture={video}"])
        browsers.append(browser)
        return browser.new_context(**browser_context_args).new_page()

    yield open_with
    for browser in browsers:
        browser.close()


def test_the_clerks_camera_scans_the_voucher_and_both_screens_show_it(
        page, live_server, artifacts_dir, fake_camera):
    resident, offer_id = seeded(live_server, "孙桂芝")
    voucher_id = make_voucher_in_the_mall(page, live_server, resident, offer_id)
    check_layout(page)
    shoot(page, artifacts_dir, "scan-resident-voucher-held")
    png = page.request.get(f"{live_server.url}/vouchers/{voucher_id}/qr.png").body()

    clerk = fake_camera(png)
    sign_in(clerk, live_server, live_server.users["merchant_clerk"])
    clerk.goto(f"{live_server.url}/merchant/scan")

    result = clerk.locator("[data-test=scan-result]")
    expect(result).to_have_attribute("data-outcome", "ok", timeout=20000)
    expect(clerk.locator("[data-test=result-title]")).to_have_text("牛肉面一碗")
    expect(clerk.locator("[data-test=result-points]")).to_have_text("120 积分")
    expect(clerk.locator("[data-test=result-resident]")).to_have_text("孙**")
    check_layout(clerk)
    shoot(clerk, artifacts_dir, "scan-green")

    # The resident's page, never reloaded, polls its status and turns to 已核销.
    expect(page.locator("[data-test=status]")).to_have_text("已核销", timeout=10000)
    expect(page.locator("[data-test=voucher]")).to_have_attribute("data-state", "redeemed")
    shoot(page, artifacts_dir, "scan-resident-voucher-redeemed")
    # Measured after a reload: Playwright's full-page screenshot of this page, earlier,
    # left an empty style="" on its hidden inputs, which check_layout would count.
    page.reload()
    expect(page.locator("[data-test=status]")).to_have_text("已核销")
    check_layout(page)

    # 继续扫码: the camera starts again, reads the same QR, and the screen is red.
    clerk.locator("[data-test=scan-again]").click()
    expect(result).to_have_attribute("data-outcome", "refused", timeout=20000)
    expect(clerk.locator("[data-test=result-reason]")).to_have_text("这张券已经核销过了")
    expect(clerk.locator("[data-test=result-when]")).to_be_visible()
    check_layout(clerk)
    shoot(clerk, artifacts_dir, "scan-red-already-redeemed")


def test_without_a_camera_the_clerk_types_the_code_or_uploads_a_photo(
        page, live_server, artifacts_dir, tmp_path):
    resident, offer_id = seeded(live_server, "钱淑珍")
    code, url = voucher_made_by_service(live_server, resident, offer_id)
    png = qr_png(url)

    sign_in(page, live_server, live_server.users["merchant_clerk"])
    page.goto(f"{live_server.url}/merchant/scan")
    expect(page.locator("[data-test=scanner-status]")).to_have_text(
        re.compile("没有摄像头权限|这个浏览器不能扫码"))
    check_layout(page)
    shoot(page, artifacts_dir, "scan-page-no-camera")

    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")  # the check character mistyped
    page.locator("[data-test=code-input]").fill(wrong)
    page.locator("[data-test=code-submit]").click()
    expect(page.locator("[data-test=scan-result]")).to_have_attribute("data-outcome", "refused")
    expect(page.locator("[data-test=result-reason]")).to_have_text("号码有误（校验位不对），请再核对一遍")
    check_layout(page)
    shoot(page, artifacts_dir, "scan-red-wrong-check-character")

    # What the phone's own camera app opens from the QR: a question, never a redemption.
    page.goto(url)
    expect(page.locator("[data-test=confirm-question]")).to_have_text("核销“牛肉面一碗”？")
    check_layout(page)
    shoot(page, artifacts_dir, "scan-confirm-from-phone-camera")

    page.goto(f"{live_server.url}/merchant/scan")
    photo = tmp_path / "voucher.png"
    photo.write_bytes(png)
    page.locator("[data-test=photo-input]").set_input_files(str(photo))
    page.locator("[data-test=photo-submit]").click()
    expect(page.locator("[data-test=scan-result]")).to_have_attribute("data-outcome", "ok")
    expect(page.locator("[data-test=result-resident]")).to_have_text("钱**")

    page.get_by_role("link", name="查看核销记录").click()
    expect(page.locator("[data-test=redemption]").first).to_contain_text("钱**")
    check_layout(page)
    shoot(page, artifacts_dir, "scan-redemptions-list")
