"""报表下载 on a 390px phone: an office worker of a community of their own opens the
reports page from the tab bar, picks this month and downloads every report as CSV and as
XLSX; each file opens with its Chinese header row. The page is measured and photographed."""
import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from points import months
from points.reports import tables
from points.timeutil import utcnow
from tests.browser.test_journeys import check_layout, shoot, sign_in
from tests.points.reports.conftest import seed

pytestmark = pytest.mark.browser


@pytest.fixture
def office_worker(live_server):
    """The reports' seeded community (its own, not the shared 北新社区 of code beixin)."""
    from points.extensions import db

    with live_server.app.app_context():
        staff = seed(db.session).staff
        db.session.refresh(staff)
        db.session.expunge(staff)
        db.session.remove()
    return staff


def header_of(path):
    if path.suffix == ".csv":
        return next(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    return [cell.value for cell in next(load_workbook(path).active.iter_rows())]


def test_the_office_downloads_every_report_of_a_month(page, live_server, artifacts_dir, tmp_path,
                                                         office_worker):
    sign_in(page, live_server, office_worker)
    page.locator("[data-test=nav] a", has_text="数据").click()
    page.locator("[data-test=reports-link]").click()
    expect(page.get_by_role("heading", name="报表下载")).to_be_visible()
    this = months.month_of(utcnow())
    page.locator("[data-test=month]").fill(this)
    page.locator("[data-test=choose-month]").click()
    expect(page.locator("[data-test=period]")).to_contain_text(this)
    check_layout(page)
    shoot(page, artifacts_dir, "reports")

    # The page is in Chinese: the headers are the message ids as they are.
    expected = {name: [column.header for column in report.columns] for name, report in tables.REPORTS.items()}
    chosen = page.url
    for name in tables.REPORTS:
        # Chromium stops a page's downloads after about ten, as a guard against sites that
        # flood them: open the page afresh for each report, as a clerk coming back would.
        page.goto(chosen)
        card = page.locator(f"[data-test=report][data-name={name}]")
        for fmt in ("csv", "xlsx"):
            with page.expect_download() as info:
                card.locator(f"[data-test={fmt}]").click()
            assert info.value.suggested_filename == f"{name}-{this}.{fmt}"
            path = tmp_path / info.value.suggested_filename
            info.value.save_as(path)
            assert header_of(path) == expected[name], (name, fmt)
