"""操作记录, filtered by object and downloaded: the page narrows to one kind of object (and
one of them by number); CSV and XLSX hold exactly the page's events for the same filters,
read from the database in batches, in plain words and the reader's language; bad filters
are explained, never a 500; only the office of the community reads them."""
import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from sqlalchemy import event

from points.audit import services as audit
from points.audit.views import COLUMNS
from points.extensions import unit_of_work
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import sign_in

HEADERS = ["时间", "操作人", "代办人", "操作", "对象", "对象编号", "修改前", "修改后", "原因"]
EVENT = re.compile(r'<section class="card" data-test="event">(.*?)</section>', re.S)


@pytest.fixture
def office(db):
    community = factories.make_community(db.session, name="北新社区")
    staff = factories.make_user(db.session, community, "staff", name="李干事")
    return community, staff


def record(db, community, actor, *, action="claim.approve", obj_type="claim", obj_id=1, now=None,
           **values):
    with unit_of_work(db.session):
        return audit.record(db.session, actor=actor, action=action, obj_type=obj_type, obj_id=obj_id,
                            community_id=community.id, now=now or utcnow(), **values)


def record_many(db, community, staff, proxy, count):
    """``count`` events in one transaction: every 12th on a voucher, the rest on claims,
    every 3rd by a family proxy, oldest first, a minute apart."""
    now = utcnow()
    with unit_of_work(db.session):
        for number in range(count):
            voucher = number % 12 == 0
            audit.record(
                db.session, actor=staff, proxy=proxy if number % 3 == 0 else None,
                action="voucher.refund" if voucher else ("claim.approve" if number % 2 else "claim.reject"),
                obj_type="voucher" if voucher else "claim", obj_id=number + 1,
                before={"status": "pending"}, after={"status": "approved", "points": Decimal("20")},
                reason=f"第{number}条", community_id=community.id,
                now=now - timedelta(minutes=count - number))


def text_of(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def page_events(client, query):
    """The events the page shows for ``query``, following 更早的记录 to the end."""
    found, url = [], "/staff/audit"
    while url:
        response = client.get(url, query_string=query if url == "/staff/audit" else None)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for block in EVENT.findall(body):
            shown = dict(re.findall(r'data-test="(\w+)">(.*?)</(?:dd|h2)>', block, re.S))
            found.append(tuple(text_of(shown[name]) if name in shown else ""
                               for name in ("when", "actor", "action", "object", "before", "after",
                                            "reason")))
        earlier = re.search(r'data-test="earlier" href="([^"]+)"', body)
        url = html.unescape(earlier.group(1)) if earlier else None
    return found


def as_shown(row):
    """A CSV row as the page writes the same event."""
    when, actor, proxy, action, kind, number, before, after, reason = row
    return (when[:16], f"{actor} · 代办人 {proxy}" if proxy else actor, action,
            f"{kind} #{number}" if number else kind, before, after, reason)


def csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_object_filter_narrows_the_page_to_one_kind_and_one_number(client, db, office):
    community, staff = office
    record(db, community, staff, obj_type="claim", obj_id=7, reason="第一份申报")
    record(db, community, staff, obj_type="claim", obj_id=8, reason="第二份申报")
    record(db, community, staff, action="voucher.refund", obj_type="voucher", obj_id=7, reason="退券")
    sign_in(client, staff)

    page = client.get("/staff/audit").get_data(as_text=True)
    claims = client.get("/staff/audit?object=claim").get_data(as_text=True)
    one = client.get("/staff/audit?object=claim&object_id=8").get_data(as_text=True)

    chooser = re.search(r'<select name="object".*?</select>', page, re.S).group(0)
    assert sorted(re.findall(r'<option value="(\w*)"', chooser)) == ["", "claim", "voucher"]  # present
    assert "积分申报" in chooser and "兑换券" in chooser and "结算单" not in chooser
    assert page.count('data-test="event"') == 3
    assert claims.count('data-test="event"') == 2 and "退券" not in claims
    assert '<option value="claim" selected>' in claims
    assert one.count('data-test="event"') == 1 and "第二份申报" in one
    assert 'value="8"' in one  # the number stays in its box


def test_the_export_links_carry_the_filters_but_not_the_page_cursor(client, db, office, monkeypatch):
    community, staff = office
    monkeypatch.setattr(audit, "PAGE_SIZE", 1)
    for number in (1, 2):
        record(db, community, staff, obj_id=5, reason=f"第{number}次")
    sign_in(client, staff)
    today = local(utcnow()).date().isoformat()

    body = client.get("/staff/audit", query_string={
        "object": "claim", "object_id": "5", "action": "claim.approve", "actor": staff.id,
        "start": today, "end": today}).get_data(as_text=True)

    links = {name: html.unescape(href) for name, href in
             re.findall(r'data-test="(export-csv|export-xlsx|earlier)" href="([^"]+)"', body)}
    for name, fmt in (("export-csv", "csv"), ("export-xlsx", "xlsx")):
        assert links[name].startswith(f"/staff/audit/export.{fmt}?")
        for part in ("object=claim", "object_id=5", "action=claim.approve", f"actor={staff.id}",
                     f"start={today}", f"end={today}"):
            assert part in links[name]
        assert "before=" not in links[name]
    assert "object=claim" in links["earlier"] and "before=" in links["earlier"]
    assert "导出 CSV" in body and "导出 Excel" in body


def test_the_csv_holds_the_pages_events_for_the_same_filters_read_in_batches(client, db, office,
                                                                              monkeypatch):
    community, staff = office
    proxy = factories.make_resident(db.session, community, name="王小明")
    record_many(db, community, staff, proxy, 1200)
    monkeypatch.setattr(audit, "PAGE_SIZE", 150)
    sign_in(client, staff)
    reads = []

    def count_reads(conn, cursor, statement, parameters, context, executemany):
        if "FROM audit_events" in statement and "LIMIT" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_reads)
    try:
        rows = csv_rows(client.get("/staff/audit/export.csv?object=claim"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count_reads)

    assert rows[0] == HEADERS
    assert len(rows) - 1 == 1100 and len(reads) == 3  # 500 + 500 + 100, keyset on id
    shown = page_events(client, {"object": "claim"})
    assert [as_shown(row) for row in rows[1:]] == shown
    assert rows[1][1:] == ["李干事", "", "通过积分申报", "积分申报", "1200", "状态：待审核",
                           "状态：已通过；积分：20", "第1199条"]
    assert rows[3][2] == "王小明"  # number 1197, by the family proxy


def test_combined_filters_export_what_the_page_shows(client, db, office):
    community, staff = office
    other_staff = factories.make_user(db.session, community, "admin", name="赵主任")
    now = utcnow()
    record(db, community, staff, obj_id=3, reason="今天的", now=now)
    record(db, community, staff, obj_id=3, reason="上周的", now=now - timedelta(days=7))
    record(db, community, other_staff, obj_id=3, reason="别人批的", now=now)
    record(db, community, staff, obj_id=4, reason="另一份", now=now)
    record(db, community, staff, action="claim.reject", obj_id=3, reason="退回的", now=now)
    sign_in(client, staff)
    today = local(now).date().isoformat()
    query = {"object": "claim", "object_id": "3", "action": "claim.approve", "actor": staff.id,
             "start": today, "end": today}

    rows = csv_rows(client.get("/staff/audit/export.csv", query_string=query))

    assert [row[-1] for row in rows[1:]] == ["今天的"]
    assert [as_shown(row) for row in rows[1:]] == page_events(client, query)


def test_the_xlsx_has_the_same_rows_with_real_times_and_numbers(client, db, office):
    community, staff = office
    record(db, community, staff, obj_id=11, after={"status": "approved", "photo_required": True,
                                                   "note": ""}, reason="=SUM(A1)")
    record(db, community, staff, action="voucher.refund", obj_type="voucher", obj_id=12)
    sign_in(client, staff)

    response = client.get("/staff/audit/export.xlsx?object=claim")
    csv_body = csv_rows(client.get("/staff/audit/export.csv?object=claim"))

    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "操作记录"
    assert rows[0] == HEADERS and len(rows) == 2
    when, actor, proxy, action, kind, number, before, after, reason = rows[1]
    assert when.strftime("%Y-%m-%d %H:%M:%S") == csv_body[1][0]
    assert (actor, proxy, action, kind, number) == ("李干事", None, "通过积分申报", "积分申报", 11)
    assert after == "状态：已通过；需要照片：是；备注：—" == csv_body[1][7]
    assert reason == "'=SUM(A1)" == csv_body[1][8]  # never a formula
    assert before is None


def test_headers_and_words_follow_the_language_cookie(client, app, db, office):
    community, staff = office
    record(db, community, staff, after={"status": "approved", "photo_required": False})
    sign_in(client, staff)
    client.set_cookie("lang", "en")

    rows = csv_rows(client.get("/staff/audit/export.csv"))

    with app.test_request_context(), force_locale("en"):
        english = [gettext(column.header) for column in COLUMNS]
        approve, claim, approved, no = (gettext(words) for words in
                                        ("通过积分申报", "积分申报", "已通过", "否"))
    assert rows[0] == english and english[0] == "Time" and english[-1] == "Reason"
    assert rows[1][3] == approve != "通过积分申报" and rows[1][4] == claim != "积分申报"
    assert approved in rows[1][7] and no in rows[1][7]


def test_another_communitys_events_never_appear(client, db, office):
    community, staff = office
    record(db, community, staff, reason="本社区的")
    elsewhere = factories.make_community(db.session, name="南湖社区")
    stranger = factories.make_user(db.session, elsewhere, "staff", name="陈外人")
    record(db, elsewhere, stranger, reason="外社区的")
    record(db, elsewhere, stranger, obj_type="settlement", reason="外社区的结算")
    sign_in(client, staff)

    for fmt in ("csv", "xlsx"):
        body = client.get(f"/staff/audit/export.{fmt}").get_data()
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(body), read_only=True).active
            body = repr([row for row in sheet.iter_rows(values_only=True)]).encode()
        text = body.decode("utf-8")
        assert "本社区的" in text and "外社区" not in text and "陈外人" not in text
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "结算单" not in page  # the other community's kinds are not offered either


def test_a_district_admin_exports_the_chosen_community(client, db, office):
    community, staff = office
    record(db, community, staff, reason="北新的")
    elsewhere = factories.make_community(db.session, name="南湖社区")
    record(db, elsewhere, factories.make_user(db.session, elsewhere, "staff"), reason="南湖的")
    sign_in(client, factories.make_user(db.session, None, "district_admin"))

    unchosen = client.get("/staff/audit/export.csv")
    client.post("/staff/residents/community", data={"community_id": community.id})
    rows = csv_rows(client.get("/staff/audit/export.csv"))

    assert unchosen.status_code == 302 and "/staff/residents/community" in unchosen.location
    assert [row[-1] for row in rows[1:]] == ["北新的"]


@pytest.mark.parametrize("role", ["resident", "merchant_owner", "grid_worker"])
def test_only_the_office_may_download(client, db, office, role):
    community, staff = office
    record(db, community, staff)
    merchant = factories.make_merchant(db.session, community) if role == "merchant_owner" else None
    sign_in(client, factories.make_user(db.session, community, role, merchant=merchant))

    for fmt in ("csv", "xlsx"):
        response = client.get(f"/staff/audit/export.{fmt}")
        assert response.status_code == 403
        assert "李干事" not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, db, office):
    response = client.get("/staff/audit/export.csv")

    assert response.status_code in (302, 401)


@pytest.mark.parametrize("query, message", [
    ({"start": "2026-13-01"}, "日期不对"), ({"end": "昨天"}, "日期不对"),
    ({"start": "0001-01-01"}, "日期不对"), ({"end": "9999-12-31"}, "日期不对"),
    ({"start": "2026-03-02", "end": "2026-03-01"}, "开始日期晚于结束日期"),
    ({"action": "claim.nope"}, "没有这种操作"), ({"object": "spaceship"}, "没有这种对象"),
    ({"object": "claim", "object_id": "12a"}, "对象编号只能填数字"),
    ({"object": "claim", "object_id": "-3"}, "对象编号只能填数字"),
    ({"object": "claim", "object_id": "9" * 20}, "对象编号只能填数字"),
    ({"object_id": "12"}, "请同时选择是哪种对象"),
    ({"actor": "someone"}, "没有这个操作人"), ({"before": "x"}, "翻页位置不对"),
])
def test_bad_filters_are_explained_not_a_500(client, db, office, query, message):
    community, staff = office
    record(db, community, staff, reason="不该出现")
    sign_in(client, staff)

    page = client.get("/staff/audit", query_string=query)
    download = client.get("/staff/audit/export.csv", query_string=query)

    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'data-test="filter-error"' in body and message in body
    assert 'data-test="event"' not in body and "导出 CSV" not in body
    assert download.status_code == 422 and message in download.get_data(as_text=True)


def test_full_width_digits_and_a_known_but_absent_kind_are_accepted(client, db, office):
    community, staff = office
    record(db, community, staff, obj_id=12, reason="十二号")
    sign_in(client, staff)

    wide = client.get("/staff/audit", query_string={"object": "claim", "object_id": "１２"})
    absent = client.get("/staff/audit", query_string={"object": "settlement"})

    assert wide.status_code == 200 and "十二号" in wide.get_data(as_text=True)
    assert absent.status_code == 200 and 'data-test="none"' in absent.get_data(as_text=True)
    assert '<option value="settlement" selected>' in absent.get_data(as_text=True)


def test_an_empty_filter_result_offers_no_download_but_still_downloads_headers(client, db, office):
    community, staff = office
    sign_in(client, staff)

    page = client.get("/staff/audit").get_data(as_text=True)
    rows = csv_rows(client.get("/staff/audit/export.csv"))

    assert 'data-test="none"' in page and "导出 CSV" not in page
    assert rows == [HEADERS]
