"""A claim from photo to points, on a 390px phone: a resident files a claim with a real
JPEG, an office worker approves it in the queue, and the resident sees the points and the
notification. Every page is measured (check_layout) and photographed."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from points.communities.models import Community, Grid
from points.earning.services import ensure_default_types
from points.extensions import unit_of_work
from points.timeutil import local, utcnow
from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


def small_jpeg(path):
    """A 480×360 "photo" of a cleaned stairwell: a real JPEG made with Pillow, with GPS."""
    image = Image.new("RGB", (480, 360), (236, 230, 214))
    for step in range(6):
        image.paste((120 + step * 15, 110, 95), (40 + step * 60, 300 - step * 45, 100 + step * 60, 360))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 39.0, 53.0), 3: "E", 4: (104.0, 4.0, 0.5)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    path.write_bytes(out.getvalue())
    return path


def seeded_community(session):
    """北新社区 and 红星网格 of the seed, with the default activity types the app gives a
    community first (other journeys read them)."""
    community = session.scalar(select(Community).where(Community.code == "beixin"))
    with unit_of_work(session):
        ensure_default_types(session, community.id)
    return community, session.scalar(select(Grid).where(Grid.name == "红星网格"))


@pytest.fixture
def claimant(live_server):
    """A resident of 红星网格 of her own (the seeded resident's balance is another test's)
    and a claim type that needs a photo, besides the community's default types."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community, grid = seeded_community(session)
        household = factories.make_household(session, community, grid, address="6栋1单元202")
        resident = factories.make_resident(session, community, household=household, name="赵桂芳")
        factories.make_activity_type(session, community, name="楼道保洁", unit="hour", points="10",
                                     daily_cap="40", photo_required=True)
        session.refresh(resident)
        session.expunge(resident)
        db.session.remove()
    return resident


def sign_out(page):
    page.locator("[data-test=sign-out]").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def test_a_claim_with_a_photo_is_approved_and_the_resident_sees_the_points(
        page, live_server, artifacts_dir, claimant, tmp_path):
    photo = small_jpeg(tmp_path / "stairwell.jpg")
    sign_in(page, live_server, claimant)
    page.locator("[data-test=claims-link]").click()
    expect(page.get_by_role("heading", name="申报积分")).to_be_visible()

    page.get_by_label("做的是哪类工作").select_option(label="楼道保洁")
    page.get_by_label("哪天做的").fill(local(utcnow()).date().isoformat())
    page.get_by_label("做了几个小时（按小时计分的要填）").fill("2")
    page.get_by_label("做了什么").fill("把6栋1单元的楼道从一楼扫到六楼，清走了堆放的纸箱。")
    page.get_by_label("照片（最多 3 张）").set_input_files(str(photo))
    check_layout(page)
    shoot(page, artifacts_dir, "claim-resident-form")
    page.locator("[data-test=submit]").click()

    expect(page.locator("[data-test=status]")).to_have_text("待审核")
    expect(page.locator("[data-test=photo]")).to_have_count(1)
    page.locator("[data-test=photo]").evaluate("img => img.decode()")  # arrived and decoded
    assert page.locator("[data-test=photo]").evaluate("img => img.naturalWidth") == 480
    check_layout(page)
    shoot(page, artifacts_dir, "claim-resident-filed")
    sign_out(page)

    sign_in(page, live_server, live_server.users["admin"])
    page.locator("[data-test=nav]").get_by_role("link", name="审核").click()
    expect(page.locator("[data-test=median]")).to_contain_text("承诺 15 分钟")
    row = page.locator("[data-test=queue-claim]").filter(has_text="赵桂芳")
    expect(row.locator("[data-test=waiting]")).to_have_text(re.compile(r"^已等待 \d+ 分钟$"))
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-queue")
    row.locator("[data-test=open]").click()

    expect(page.locator("[data-test=claimant]")).to_contain_text("赵桂芳")
    expect(page.locator("[data-test=caps]")).to_contain_text("40 分")
    expect(page.get_by_label("记多少积分")).to_have_value("20")
    page.locator("[data-test=photo]").evaluate("img => img.decode()")  # arrived and decoded
    assert page.locator("[data-test=photo]").evaluate("img => img.naturalWidth") == 480
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-detail")
    page.locator("[data-test=approve]").click()

    expect(page.get_by_role("status")).to_contain_text("已通过，给 赵桂芳 记入 20 积分")
    expect(page.locator("[data-test=median]")).to_contain_text(re.compile(r"近30天中位响应 \d+ 分钟"))
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-approved")
    sign_out(page)

    sign_in(page, live_server, claimant)
    expect(page.locator("[data-test=balance]")).to_have_text("20")
    page.locator("[data-test=nav-notifications]").click()
    notification = page.locator("[data-test=notification]").first
    expect(notification).to_contain_text("申报已通过")
    expect(notification).to_contain_text("获得 20 积分")
    check_layout(page)
    shoot(page, artifacts_dir, "claim-resident-notification")
    notification.locator("[data-test=open]").click()

    expect(page.locator("[data-test=status]")).to_have_text("已通过")
    expect(page.locator("[data-test=credit]")).to_contain_text("已记入积分 20 分")
    expect(page.locator("[data-test=approver]")).to_have_text("陈主任")
    check_layout(page)
    shoot(page, artifacts_dir, "claim-resident-approved")


def test_staff_see_a_reused_photo_flagged_and_approve_several_at_once(page, live_server, artifacts_dir):
    from points.claims import services
    from points.claims.views import upload_dir
    from points.extensions import db
    from points.residents.acting import acting_as_self

    with live_server.app.app_context():
        session = db.session
        community, grid = seeded_community(session)
        talk = factories.make_activity_type(session, community, name="邻里调解", unit="participation",
                                            points="20", photo_required=True)
        picture = io.BytesIO()
        Image.new("RGB", (320, 240), (90, 140, 90)).save(picture, format="JPEG")
        claims = []
        for name, address in (("钱大妈", "8栋1单元101"), ("孙大爷", "8栋2单元302")):
            household = factories.make_household(session, community, grid, address=address)
            person = factories.make_resident(session, community, household=household, name=name)
            claims.append(services.file_claim(
                session, acting=acting_as_self(person), type_id=talk.id,
                work_day=local(utcnow()).date(), hours=None, description=f"{name}调解了楼上楼下漏水的纠纷",
                photos=[picture.getvalue()], upload_dir=upload_dir(live_server.app), now=utcnow()).id)
        db.session.remove()

    sign_in(page, live_server, live_server.users["admin"])
    page.goto(f"{live_server.url}/staff/claims")
    flagged = page.locator(f"[data-test=queue-claim][data-id='{claims[1]}']")
    expect(flagged.locator("[data-test=duplicate]")).to_have_text("⚠ 照片重复")
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-queue-duplicate")

    flagged.locator("[data-test=open]").click()
    expect(page.locator("[data-test=duplicate-warning]")).to_contain_text(f"申报 #{claims[0]}")
    expect(page.locator("[data-test=photo-duplicate]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-duplicate")

    page.goto(f"{live_server.url}/staff/claims")
    for claim_id in claims:
        page.locator(f"[data-test=queue-claim][data-id='{claim_id}'] [data-test=pick]").check()
    page.locator("[data-test=approve-selected]").click()

    expect(page.locator("[data-test=summary]")).to_have_text("通过 2 份，进入复核 0 份，未能通过 0 份")
    expect(page.locator("[data-test=outcome][data-status=approved]")).to_have_count(2)
    check_layout(page)
    shoot(page, artifacts_dir, "claim-staff-bulk")
