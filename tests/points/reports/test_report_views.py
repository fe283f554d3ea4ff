"""报表下载 over HTTP: the page, the period, the downloads, and who may have them."""
import csv
import io
import re

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook

from points import months
from points.reports import figures, tables
from points.residents.views import COMMUNITY_KEY
from tests import factories
from tests.points.reports.conftest import seed

INDEX = "/staff/reports"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def seeded(db):
    return seed(db.session)


def signed_in(client, user):
    assert factories.sign_in(client, user).status_code == 302
    return client


def csv_rows(response):
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_page_lists_every_report_with_two_buttons(client, seeded):
    signed_in(client, seeded.staff)
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    this = months.month_of(seeded.now)
    for name in tables.REPORTS:
        assert f'href="/staff/reports/{name}.csv?month={this}"' in html
        assert f'href="/staff/reports/{name}.xlsx?month={this}"' in html
    assert "积分流水" in html and "参与情况" in html
    days = client.get(INDEX, query_string={"since": "2026-01-01", "until": "2026-02-01"})
    assert days.status_code == 200
    assert "/staff/reports/journal.csv?since=2026-01-01&amp;until=2026-02-01" in days.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    {"month": "2026-13"}, {"month": "十一月"}, {"since": "2026-01-01"}, {"until": "2026-01-01"},
    {"since": "2026-02-01", "until": "2026-01-01"}, {"since": "2025-01-01", "until": "2026-02-01"},
    {"since": "2026-02-30", "until": "2026-03-01"}, {"month": "2026-01", "since": "2026-01-01"},
    {"since": "0001-01-01", "until": "0001-02-01"}, {"since": "9999-12-01", "until": "9999-12-31"},
])
def test_a_bad_period_is_said_in_words_not_a_500(client, seeded, query):
    signed_in(client, seeded.staff)
    for url in (INDEX, "/staff/reports/journal.csv", "/staff/reports/claims.xlsx"):
        response = client.get(url, query_string=query)
        assert response.status_code == 400, url
        html = response.get_data(as_text=True)
        assert 'data-test="period-error"' in html and "最长一年" in html
        assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_a_download_is_a_streamed_attachment_of_the_community(client, db, seeded):
    signed_in(client, seeded.staff)
    this = months.month_of(seeded.now)
    response = client.get("/staff/reports/participation.csv", query_string={"month": this})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=participation-{this}.csv")
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    found = figures.summary(db.session, community_id=seeded.community.id, since=seeded.since,
                            until=seeded.until, now=seeded.now)
    assert rows[-1] == ["合计", "", str(found.residents), str(found.active_residents), str(found.issued),
                        str(found.redeemed), str(found.outstanding)]
    xlsx = client.get("/staff/reports/participation.xlsx", query_string={"month": this})
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    last = [cell.value for cell in list(sheet.iter_rows())[-1]]
    assert last == ["合计", None, 4, 2, 160, 20, 140]
    days = client.get("/staff/reports/journal.csv", query_string={
        "since": seeded.since.date().isoformat(), "until": "2099-01-01"})
    assert days.status_code == 400  # more than a year


def test_every_report_downloads_in_both_formats(client, seeded):
    signed_in(client, seeded.staff)
    for name in tables.REPORTS:
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/staff/reports/{name}.{fmt}")  # this month by default
            assert response.status_code == 200, (name, fmt)
            body = response.get_data()
            if fmt == "csv":
                header = csv_rows(response)[0]
            else:
                header = [cell.value for cell in next(load_workbook(io.BytesIO(body)).active.iter_rows())]
            assert header and all(CJK.search(text) for text in header), (name, header)
            assert "吴外".encode() not in body and "南城".encode() not in body


def test_english_headers_with_the_language_cookie(app, client, seeded):
    signed_in(client, seeded.staff)
    client.set_cookie("lang", "en")
    rows = csv_rows(client.get("/staff/reports/settlements.csv"))
    with app.test_request_context(), force_locale("en"):
        expected = [gettext(column.header) for column in tables.SETTLEMENT_COLUMNS]
    assert rows[0] == expected
    assert not CJK.search(rows[0][0])  # 商户 has its English already
    book = load_workbook(io.BytesIO(client.get("/staff/reports/settlements.xlsx").get_data()))
    assert [cell.value for cell in next(book.active.iter_rows())] == expected


def test_an_unknown_report_or_format_is_not_found(client, seeded):
    signed_in(client, seeded.staff)
    assert client.get("/staff/reports/salaries.csv").status_code == 404
    assert client.get("/staff/reports/journal.pdf").status_code == 404


@pytest.mark.parametrize("role", ["resident", "merchant_clerk", "merchant_owner", "grid_worker"])
def test_residents_shops_and_grid_workers_are_refused(client, db, seeded, role):
    extra = {"merchant": seeded.merchant} if role.startswith("merchant") else {}
    user = factories.make_user(db.session, seeded.community, role, **extra)
    signed_in(client, user)
    assert client.get(INDEX).status_code == 403
    assert client.get("/staff/reports/journal.csv").status_code == 403
    assert client.get("/staff/reports/vouchers.xlsx").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, seeded):
    response = client.get("/staff/reports/journal.csv")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_admins_read_their_own_community_only(client, db, seeded):
    admin = factories.make_user(db.session, seeded.other, "admin", name="南城管理员")
    signed_in(client, admin)
    body = client.get("/staff/reports/journal.csv").get_data().decode("utf-8")
    assert "吴外" in body and "赵一" not in body and "钱二" not in body


def test_district_admins_choose_a_community_first(client, db, seeded):
    admin = factories.make_user(db.session, None, "district_admin", name="钱文")
    signed_in(client, admin)
    response = client.get(INDEX)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/residents/community")
    with client.session_transaction() as session:
        session[COMMUNITY_KEY] = seeded.community.id
    body = client.get("/staff/reports/journal.csv").get_data().decode("utf-8")
    assert "赵一" in body and "吴外" not in body
    assert client.get(INDEX).status_code == 200
