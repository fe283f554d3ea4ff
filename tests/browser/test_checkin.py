"""Check-in journeys on a 390px phone:

1. Staff create and publish an activity, a resident signs up and reads out their member
   code, staff check them in by typing it at the desk, confirm attendance, and the
   resident sees the new balance on their home page.
2. The screen shows the rotating QR; the resident's phone opens the URL it encodes (read
   from the PNG by the same zxing-wasm the scanner uses), signs in and is checked in; an
   old code is refused; the screen's QR changes at the next 30-second slot.
"""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from points.activities import checkin_rules, checkin_views
from points.timeutil import local, utcnow
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

BOX = "%Y-%m-%dT%H:%M"  # a datetime-local box, in the community's local time

# Reads the QR of an image on the page with the vendored zxing-wasm (as a phone
# camera would), returning the decoded texts.
DECODE = """
async ([script, wasm, selector]) => {
  if (!window.ZXingWASM) {
    await new Promise((done, fail) => {
      const tag = document.createElement("script");
      tag.src = script; tag.onload = done; tag.onerror = fail;
      document.head.appendChild(tag);
    });
    window.ZXingWASM.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
      fireImmediately: true,
    });
  }
  const image = document.querySelector(selector);
  const blob = await (await fetch(image.currentSrc || image.src)).blob();
  const found = await window.ZXingWASM.readBarcodes(blob, { formats: ["QRCode"] });
  return found.map((result) => result.text);
}
"""


def seed(live_server, build):
    """Run ``build(session, community, admin)`` in the live server's database."""
    from points.auth.models import User
    from points.extensions import db

    with live_server.app.app_context():
        admin = db.session.get(User, live_server.users["admin"].id)
        made = build(db.session, admin.community, admin)
        for row in made:
            db.session.refresh(row)
            db.session.expunge(row)
        db.session.remove()
    return made


@pytest.fixture
def phone(browser, browser_context_args):
    """A second phone: the resident's, beside the staff member's ``page``."""
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def decode(page, live_server, selector="[data-test=rotating-qr]"):
    texts = page.evaluate(DECODE, [
        f"{live_server.url}/static/vendor/zxing-wasm/zxing-reader.js",
        f"{live_server.url}/static/vendor/zxing-wasm/zxing_reader.wasm", selector])
    assert len(texts) == 1, texts
    return texts[0]


def test_staff_check_a_resident_in_by_typed_code_and_the_points_arrive(
        page, phone, live_server, artifacts_dir, monkeypatch):
    from tests import factories

    kind, resident = seed(live_server, lambda session, community, admin: (
        factories.make_activity_type(session, community, name="楼道清扫", unit="hour",
                                     points="10", daily_cap="40"),
        factories.make_resident(session, community, name="赵桂兰")))
    starts = local(utcnow()).replace(second=0, microsecond=0) + timedelta(minutes=3)

    # Staff create and publish the activity.
    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/activities/new")
    page.locator("select[name=type_id]").select_option(label="楼道清扫（每小时 10 分）")
    page.get_by_label("活动名称").fill("楼道大扫除")
    page.get_by_label("地点", exact=True).fill("3栋楼道")
    page.get_by_label("开始时间").fill(starts.strftime(BOX))
    page.get_by_label("结束时间").fill((starts + timedelta(hours=2)).strftime(BOX))
    page.get_by_label("名额（人）").fill("10")
    page.locator("[data-test=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/activities/\d+$"))
    activity_id = int(page.url.rsplit("/", 1)[1])
    page.locator("[data-test=publish]").click()
    expect(page.locator("[data-test=checkin-links]")).to_be_visible()

    # The resident signs up and opens their member code.
    sign_in(phone, live_server, resident)
    phone.goto(f"{live_server.url}/activities/{activity_id}")
    phone.locator("[data-test=sign-up]").click()
    expect(phone.locator("[data-test=my-status]")).to_contain_text("您已报名")
    phone.goto(f"{live_server.url}/me/card")
    code = phone.locator("[data-test=member-code]").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-.", code)
    assert decode(phone, live_server, "[data-test=card-qr]") == "JFM:" + code.replace("-", "")
    check_layout(phone)
    shoot(phone, artifacts_dir, "checkin-member-card")
    phone.locator("[data-test=elder]").click()
    check_layout(phone, elder=True)
    shoot(phone, artifacts_dir, "checkin-member-card-elder")
    phone.locator("[data-test=elder]").click()
    phone.locator("[data-test=print-card]").click()
    expect(phone.locator("[data-test=card-code]")).to_have_text(code)
    check_layout(phone)
    shoot(phone, artifacts_dir, "checkin-member-card-print")
    phone.emulate_media(media="print")
    size = phone.locator("[data-test=member-card]").bounding_box()
    assert (round(size["width"]), round(size["height"])) == (324, 204)  # 85.6 × 54 mm at 96 dpi
    shoot(phone, artifacts_dir, "checkin-member-card-printed")
    phone.emulate_media(media="screen")

    # At the desk the camera is not available here: staff type the code read out.
    page.locator("[data-test=checkin-desk]").click()
    page.locator("[data-test=code-input]").fill(code.lower())
    page.locator("[data-test=code-submit]").click()
    expect(page.locator("[data-test=checkin-ok]")).to_contain_text("已签到 赵**")
    expect(page.locator("[data-test=checked-in-person]")).to_have_count(1)
    check_layout(page)
    shoot(page, artifacts_dir, "checkin-desk-ok")
    page.locator("[data-test=code-input]").fill(code)
    page.locator("[data-test=code-submit]").click()
    expect(page.locator("[data-test=checkin-refused]")).to_contain_text("已经签到过了")
    shoot(page, artifacts_dir, "checkin-desk-again")

    # Ten minutes after the start, staff confirm attendance.
    started = starts.astimezone(utcnow().tzinfo) + timedelta(minutes=10)
    monkeypatch.setattr(checkin_views, "utcnow", lambda: started)
    page.locator("[data-test=attendance-link]").click()
    expect(page.locator("[data-test=present]")).to_be_checked()
    expect(page.locator("[data-test=hours]")).to_have_value("2")
    check_layout(page)
    shoot(page, artifacts_dir, "checkin-attendance")
    page.locator("[data-test=confirm]").click()
    expect(page.locator("[data-test=credited]")).to_contain_text("+20 分")
    check_layout(page)
    shoot(page, artifacts_dir, "checkin-attendance-confirmed")

    # The resident sees the points on the home page, and was told.
    phone.goto(f"{live_server.url}/home")
    expect(phone.locator("[data-test=balance]")).to_have_text("20")
    check_layout(phone)
    shoot(phone, artifacts_dir, "checkin-resident-balance")
    phone.goto(f"{live_server.url}/notifications")
    expect(phone.locator("[data-test=notification]").first).to_contain_text("获得 20 积分")


def test_the_residents_phone_opens_the_rotating_qr_and_is_checked_in(
        page, phone, live_server, artifacts_dir):
    from tests import factories

    activity, resident = seed(live_server, lambda session, community, admin: (
        factories.make_activity(session, community, title="敬老院陪护", created_by=admin),
        factories.make_resident(session, community, name="孙阿姨")))

    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/activities/{activity.id}/screen")
    expect(page.locator("[data-test=rotating-qr]")).to_have_js_property("complete", True)
    check_layout(page)
    shoot(page, artifacts_dir, "checkin-screen")
    url = decode(page, live_server)
    expected = rf"{live_server.url}/activities/{activity.id}/checkin\?t=\d+-[0-9a-f]{{20}}"
    assert re.fullmatch(expected, url)

    # The phone's camera opens the URL; the resident signs in first, then is checked in.
    phone.goto(url)
    expect(phone).to_have_url(re.compile(r"/sign-in\?next="))
    phone.get_by_label("手机号").fill(resident.phone)
    phone.get_by_label("密码").fill(factories.PASSWORD)
    phone.locator("[data-test=submit]").click()
    expect(phone.locator("[data-test=checkin-ok]")).to_contain_text("签到成功")
    expect(phone.locator("[data-test=activity-title]")).to_have_text("敬老院陪护")
    check_layout(phone)
    shoot(phone, artifacts_dir, "checkin-rotating-ok")

    # A photo of an older code, forwarded: refused.
    old = checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                       checkin_rules.slot_of(utcnow()) - 3)
    phone.goto(f"{live_server.url}/activities/{activity.id}/checkin?t={old}")
    expect(phone.locator("[data-test=checkin-refused]")).to_have_text(
        "二维码已过期，请重新扫描屏幕上的二维码")
    check_layout(phone)
    shoot(phone, artifacts_dir, "checkin-rotating-expired")

    # The desk lists her as checked in from the screen.
    page.goto(f"{live_server.url}/staff/activities/{activity.id}/checkin")
    expect(page.locator("[data-test=checked-in-person]")).to_contain_text("孙**")
    expect(page.locator("[data-test=checked-in-person]")).to_contain_text("扫大屏")

    # The screen fetches a new code when the next slot starts.
    page.goto(f"{live_server.url}/staff/activities/{activity.id}/screen")
    first = decode(page, live_server)
    page.wait_for_function(
        "() => document.querySelector('[data-test=rotating-qr]').src.includes('n=')",
        timeout=(checkin_rules.SLOT_SECONDS + 5) * 1000)
    expect(page.locator("[data-test=rotating-qr]")).to_have_js_property("complete", True)
    assert decode(page, live_server) != first
