"""The reports as files: Chinese headers, typed numbers, and totals that are the ledger's."""
import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import ledger
from ledger.models import Transfer
from merchants import fund
from merchants.models import Settlement
from points import months
from points.activities.models import CheckIn
from points.reports import exports, figures, tables
from points.statements import KIND_LABELS
from tests.points.reports.conftest import seed, seed_more

D = Decimal
CJK = re.compile(r"[\u4e00-\u9fff]")
FORMATS = {exports.POINTS: "0", exports.INT: "0", exports.YUAN: "0.00"}


@pytest.fixture
def seeded(db, tmp_path):
    s = seed(db.session)
    return s, seed_more(db.session, s, tmp_path / "uploads")


def render(app, session, name, community_id, since, until):
    """``(csv rows, xlsx rows as cells)`` of one report, each built afresh (rows stream once)."""
    build = tables.REPORTS[name].build
    with app.test_request_context():
        text = b"".join(exports.csv_chunks(build(session, community_id=community_id, since=since,
                                                 until=until))).decode("utf-8")
        out = io.BytesIO()
        exports.write_xlsx(build(session, community_id=community_id, since=since, until=until), out)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    return rows, [list(row) for row in sheet.iter_rows()]


def of(s, app, session, name, since=None, until=None):
    return render(app, session, name, s.community.id, since or s.since, until or s.until)


def column(rows, header):
    return rows[0].index(header)


def number(text):
    return D(text) if text else D(0)


def two_months(s, more):
    """From the start of last month (the settlement's) to the end of this one."""
    return months.moments_of(months.first_day(more.last_month))[0]


def totals_row(rows, first="合计"):
    [found] = [row for row in rows if first in row[:2]]
    return found


def test_every_report_has_chinese_headers_and_typed_numbers(app, db, seeded):
    s, more = seeded
    for name, report in tables.REPORTS.items():
        rows, cells = of(s, app, db.session, name, since=two_months(s, more))
        columns = report.build(db.session, community_id=s.community.id, since=s.since, until=s.until).columns
        assert all(CJK.search(header) for header in rows[0]), (name, rows[0])
        assert [cell.value for cell in cells[0]] == rows[0]
        assert all(cell.font.b for cell in cells[0])
        assert len(rows) == len(cells) > 2, name  # headers, at least one row, the totals
        for row in cells[1:]:
            for col, cell in zip(columns, row):
                if col.kind in FORMATS and cell.value is not None:
                    assert isinstance(cell.value, (int, float)), (name, col.header, cell.value)
                    assert cell.number_format == FORMATS[col.kind], (name, col.header)
        for row in rows[1:]:
            for col, text in zip(columns, row):
                if col.kind == exports.POINTS and text:
                    assert re.fullmatch(r"-?\d+", text), (name, text)
                if col.kind == exports.YUAN and text:
                    assert re.fullmatch(r"-?\d+\.\d\d", text), (name, text)


def test_the_journal_is_every_points_transfer_and_its_kinds_add_up_to_the_summary(app, db, seeded):
    s, _more = seeded
    rows, cells = of(s, app, db.session, "journal")
    found = figures.summary(db.session, community_id=s.community.id, since=s.since, until=s.until, now=s.now)
    lines = [row for row in rows[1:] if row[-1]]
    count = db.session.scalar(select(func.count(Transfer.id)).where(
        Transfer.community_id == s.community.id, Transfer.ledger == ledger.POINTS,
        Transfer.created_at >= s.since, Transfer.created_at < s.until))
    assert len(lines) == count
    assert len({row[-1] for row in lines}) == count  # each transfer once

    def by(kind):
        return sum((number(row[4]) for row in lines if row[1] == str(KIND_LABELS[kind])), D(0))

    assert by("earn") + by("grant") + by("coupon") - by("reverse") == found.issued
    assert by("redeem") - by("refund") == found.redeemed
    assert by("expire") + by("coupon_expire") == found.expired
    # The totals per kind at the end say the same.
    totals = {row[1]: number(row[4]) for row in rows[1:] if row[1].startswith("合计")}
    assert totals["合计·获得积分"] == by("earn") and totals["合计·积分过期"] == found.expired
    # Accounts in words: whose wallet, which system account.
    grant = next(row for row in lines if row[1] == "社区发放" and row[4] == "100")
    assert grant[2:4] == ["社区积分发放账户", "钱二（个人）"]
    assert any(row[3] == "兑换券冻结账户" for row in lines)
    assert any(row[3] == "北新小馆（商户）" for row in lines)
    # Times are local, ascending; the XLSX has real datetimes.
    times = [row[0] for row in lines]
    assert times == sorted(times)
    assert cells[1][0].number_format == "yyyy-mm-dd hh:mm:ss"


def test_the_vouchers_redeemed_less_refunded_are_the_summarys_redeemed(app, db, seeded):
    s, _more = seeded
    rows, _cells = of(s, app, db.session, "vouchers")
    found = figures.summary(db.session, community_id=s.community.id, since=s.since, until=s.until, now=s.now)
    total = totals_row(rows)
    used, back = column(rows, "本期核销积分"), column(rows, "本期退款积分")
    assert number(total[used]) - number(total[back]) == found.redeemed == D(20)
    lines = rows[1:-1]
    assert sum(number(row[used]) for row in lines) == number(total[used]) == D(50)
    assert {row[column(rows, "状态")] for row in lines} == {"已核销", "已退款", "未使用"}
    assert all(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}(-[0-9A-Z]+)?", row[0]) for row in lines)
    # Last month's redemption is in last month's report, not this one's.
    assert len(lines) == 3


def test_participation_totals_are_the_summary_and_grids_add_up(app, db, seeded):
    s, _more = seeded
    rows, _cells = of(s, app, db.session, "participation")
    found = figures.summary(db.session, community_id=s.community.id, since=s.since, until=s.until, now=s.now)
    total = [number(cell) for cell in totals_row(rows)[2:]]
    assert total == [found.residents, found.active_residents, found.issued, found.redeemed, found.outstanding]
    for grid in (s.grid1, s.grid2):
        part = figures.summary(db.session, community_id=s.community.id, since=s.since, until=s.until,
                               grid_id=grid.id, now=s.now)
        [sub] = [row for row in rows if row[0] == grid.name and row[1] == "小计"]
        assert [number(cell) for cell in sub[2:]] == [
            part.residents, part.active_residents, part.issued, part.redeemed, part.outstanding]
    h3 = s.households[2]
    [row] = [row for row in rows if row[1] == h3.address]
    assert row[2:] == ["1", "1", "48", "0", "48"]  # r3: attendance 8, claim 20; h3 passed: 20


def test_claims_show_both_approvers_and_formulas_stay_text(app, db, seeded):
    s, more = seeded
    rows, cells = of(s, app, db.session, "claims")
    by_id = {row[0]: row for row in rows[1:]}
    approved, rejected = by_id[str(more.approved.id)], by_id[str(more.rejected.id)]
    header = rows[0]
    assert approved[header.index("状态")] == "已通过"
    assert approved[header.index("审批人")] == "周干事" and approved[header.index("第二审批人")] == "吴主任"
    assert approved[header.index("申报积分")] == approved[header.index("入账积分")] == "20"
    assert rejected[header.index("状态")] == "未通过" and rejected[header.index("入账积分")] == ""
    assert rejected[header.index("原因或说明")] == "'=照片看不清"
    xlsx_reason = next(row[header.index("原因或说明")].value for row in cells[1:]
                       if row[0].value == more.rejected.id)
    assert xlsx_reason == "'=照片看不清"
    total = totals_row(rows, "合计")
    assert total[header.index("申报积分")] == "40" and total[header.index("入账积分")] == "20"


def test_activities_count_sign_ups_check_ins_and_credits(app, db, seeded):
    s, more = seeded
    rows, _cells = of(s, app, db.session, "activities")
    [line] = [row for row in rows[1:] if row[0] == "'=清洁家园"]
    checked_in = db.session.scalar(select(func.count(CheckIn.id))
                                   .where(CheckIn.activity_id == more.activity.id))
    header = rows[0]
    names = ("报名人数", "候补人数", "签到人数", "获得积分人数", "发放积分")
    assert [line[header.index(name)] for name in names] == ["2", "1", str(checked_in), "2", "16"]
    assert line[header.index("状态")] == "已确认出勤"


def test_inspections_and_settlements_of_the_months_in_the_period(app, db, seeded):
    s, more = seeded
    rows, _cells = of(s, app, db.session, "inspections")
    header = rows[0]
    lines = rows[1:-1]
    assert sorted(row[header.index("是否合格")] for row in lines) == ["不合格", "合格", "合格"]
    assert totals_row(rows)[header.index("积分")] == "40"
    assert {row[header.index("总分")] for row in lines} == {"26", "12"}

    settlement = db.session.scalar(select(Settlement))
    first = months.first_day(more.last_month)
    since, until = months.moments_of(first)
    rows, cells = of(s, app, db.session, "settlements", since=since, until=until)
    header = rows[0]
    assert rows[1][:7] == ["北新小馆", more.last_month, "1", "15", "50", "0.30", "已结算，待付款"]
    assert cells[1][header.index("应付金额（元）")].value == pytest.approx(0.3)
    assert cells[1][header.index("应付金额（元）")].number_format == "0.00"
    assert settlement.amount_cny == D("0.30")
    # This month has no settlement: only the totals.
    rows, _cells = of(s, app, db.session, "settlements")
    assert len(rows) == 2


def test_another_communitys_rows_are_never_in_a_report(app, db, seeded):
    s, _more = seeded
    for name in tables.REPORTS:
        rows, _cells = of(s, app, db.session, name)
        text = "\n".join(",".join(row) for row in rows)
        assert "吴外" not in text and "南城" not in text, name
    rows, _cells = render(app, db.session, "journal", s.other.id, s.since, s.until)
    assert "赵一" not in "\n".join(",".join(row) for row in rows)


def test_a_long_journal_is_read_in_keyset_batches_without_losing_a_row(app, db, seeded, monkeypatch):
    s, _more = seeded
    whole, _cells = of(s, app, db.session, "journal")
    monkeypatch.setattr(tables, "BATCH", 2)
    batched, _cells = of(s, app, db.session, "journal")
    assert batched == whole
    assert len(whole) > 10


def test_the_period_holds_nothing_before_or_after(app, db, seeded):
    s, more = seeded
    since, until = months.moments_of(months.first_day("2020-01"))
    for name in tables.REPORTS:
        rows, _cells = render(app, db.session, name, s.community.id, since, until)
        assert len(rows) <= 2 + (name == "participation") * 10, name
        assert rows[-1][0] == "合计" or rows[-1][1].startswith("合计") or name == "journal", name
    journal, _cells = render(app, db.session, "journal", s.community.id, since, until)
    assert journal == [journal[0]]  # no transfer then: headers only


def test_the_fund_report_lists_the_yuan_in_and_out_and_ends_at_the_balance(app, db, seeded):
    s, more = seeded
    rows, cells = of(s, app, db.session, "fund")
    header = rows[0]
    lines = rows[1:-1]
    assert [row[header.index("类型")] for row in lines] == ["捐赠", "商户结算"]
    assert lines[0][header.index("收入（元）")] == "1000.00" and lines[0][header.index("支出（元）")] == ""
    assert lines[1][header.index("支出（元）")] == "0.30"
    assert lines[1][header.index("说明")] == f"北新小馆 {more.last_month}"
    assert D(lines[-1][header.index("余额（元）")]) == fund.fund_balance(db.session, s.community.id)
    assert rows[-1][1:4] == ["合计", "1000.00", "0.30"]
    assert cells[1][header.index("收入（元）")].number_format == "0.00"
    assert "300.00" not in "\n".join(",".join(row) for row in rows)  # the other community's fund
