"""A statement as CSV and XLSX: Chinese headers, points as whole numbers, yuan as numbers
with two decimals, the same totals as the ledger, and no formulas from shop text."""
import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from merchants import exports, settlement as settling
from ledger.models import Transfer
from tests.merchants.test_settlement import World


@pytest.fixture
def statement(db, app):
    world = World(db.session)
    world.redeem(100)
    world.refund(world.redeem(150))
    world.redeem(37)
    settlement = world.settle().settlement
    with app.test_request_context():  # the headers are in the request's language
        yield world, settling.statement_of_settlement(world.session, settlement)


def test_the_csv_has_chinese_headers_and_the_ledgers_totals(statement):
    world, found = statement
    data = exports.to_csv(found)

    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    summary = {row[0]: row[1] for row in rows[:rows.index([])]}
    assert summary["商户"] == "张记面馆" and summary["结算月份"] == world.period
    assert summary["结算积分"] == "137" and summary["应付金额（元）"] == "2.74"
    assert summary["核销积分"] == "287" and summary["退款积分"] == "150"
    header = rows[rows.index([]) + 1]
    assert header == ["核销时间", "券码", "商品或项目", "支付方式", "积分", "居民", "状态", "退款时间",
                      "退款原因"]
    lines = rows[rows.index([]) + 2:]
    assert [line[4] for line in lines] == ["100", "150", "37"]
    assert [line[6] for line in lines] == ["已核销", "已退款", "已核销"]
    assert lines[1][8] == "顾客退货" and lines[0][5] == "王**"
    yuan = world.session.get(Transfer, found.settlement.cny_transfer_id).amount
    assert Decimal(summary["应付金额（元）"]) == yuan


def test_the_xlsx_keeps_numbers_as_numbers_and_yuan_with_two_decimals(statement):
    world, found = statement

    book = load_workbook(io.BytesIO(exports.to_xlsx(found)))

    sheet = book.active
    assert sheet.title == world.period
    summary = {row[0].value: row[1] for row in sheet.iter_rows(max_col=2) if row[0].value}
    amount = summary["应付金额（元）"]
    assert amount.value == pytest.approx(2.74) and amount.number_format == "0.00"
    assert summary["结算积分"].value == 137 and isinstance(summary["结算积分"].value, int)
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "核销时间")
    lines = list(sheet.iter_rows(min_row=header_row[0].row + 1, values_only=True))
    assert [line[4] for line in lines] == [100, 150, 37]
    assert all(isinstance(line[4], int) for line in lines)
    net = sum(line[4] for line in lines if line[6] == "已核销")
    points_move = world.session.get(Transfer, found.settlement.points_transfer_id).amount
    assert net == summary["结算积分"].value == points_move


def test_shop_text_is_never_written_as_a_formula(statement):
    world, found = statement
    found.lines[0].voucher.title = "=HYPERLINK(\"http://x\")"
    found.lines[1].voucher.refund_reason = "+1"

    cells = exports.line_cells(found.lines[0])
    refund = exports.line_cells(found.lines[1])
    book = load_workbook(io.BytesIO(exports.to_xlsx(found)))
    world.session.rollback()

    assert cells[2] == "'=HYPERLINK(\"http://x\")" and refund[8] == "'+1"
    assert not any(cell.data_type == "f" for row in book.active.iter_rows() for cell in row)


def test_the_file_name_is_plain_ascii(statement):
    _world, found = statement

    name = exports.filename(found, "xlsx")

    assert name == f"statement-{found.merchant.id}-{found.period}.xlsx" and name.isascii()
