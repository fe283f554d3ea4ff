"""A settlement statement as a file: CSV and XLSX (openpyxl) with the same rows.

The headers are the page's language (Chinese by default). In the XLSX, points are whole
numbers and yuan are numbers shown with two decimals (format ``0.00``), so a shop's
accountant can add them up; the CSV writes yuan as ``12.30`` and starts with a BOM so
that Excel opens the Chinese correctly. Text that a spreadsheet would take for a formula
(an offer's title typed by a shop starting with ``=``) is written as plain text.
"""
import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

import ledger
from ledger.errors import N_
from points import codes
from points.timeutil import local

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "0.00"
STATUS_LABELS = {"open": N_("未结算"), "settled": N_("已结算，待付款"), "paid": N_("已付款")}
LINE_LABELS = {"redeemed": N_("已核销"), "refunded": N_("已退款")}
FUNDING_LABELS = {"wallet": N_("积分"), "coupon": N_("积分券")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def status_label(status):
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def line_status(line):
    status = line.voucher.status
    return _(LINE_LABELS[status]) if status in LINE_LABELS else status


def moment(value):
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def safe_text(text):
    """Text a spreadsheet will never run as a formula."""
    text = text or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def headers():
    return [_("核销时间"), _("券码"), _("商品或项目"), _("支付方式"), _("积分"), _("居民"),
            _("状态"), _("退款时间"), _("退款原因")]


def line_cells(line):
    voucher = line.voucher
    return [moment(voucher.redeemed_at), codes.display(voucher.code), safe_text(voucher.title),
            _(FUNDING_LABELS.get(voucher.funding, FUNDING_LABELS["wallet"])),
            int(voucher.points), safe_text(line.resident_name), line_status(line),
            moment(voucher.refunded_at), safe_text(voucher.refund_reason)]


def summary(statement):
    """``(label, value)`` rows above the lines; numbers stay numbers (yuan: Decimal)."""
    settlement = statement.settlement
    rows = [(_("商户"), safe_text(statement.merchant.name)), (_("结算月份"), statement.period),
            (_("结算比例（每元折合积分）"), int(statement.rate)),
            (_("状态"), status_label(statement.status)),
            (_("核销笔数"), len(statement.lines)), (_("核销积分"), int(statement.redeemed_points)),
            (_("退款笔数"), len(statement.refunds)), (_("退款积分"), int(statement.refunded_points)),
            (_("结算积分"), int(statement.points)), (_("应付金额（元）"), statement.amount_cny)]
    if settlement is not None:
        rows.append((_("结算时间"), moment(settlement.settled_at)))
    if settlement is not None and settlement.payment_reference:
        rows += [(_("付款时间"), moment(settlement.paid_at)),
                 (_("付款凭证号"), safe_text(settlement.payment_reference))]
    return rows


def _csv_value(value):
    if hasattr(value, "quantize"):  # a Decimal: yuan
        return ledger.format_amount(value, ledger.CNY)
    return value


def to_csv(statement):
    """The statement as UTF-8 CSV bytes (with a BOM): summary, a blank row, the lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in summary(statement):
        writer.writerow([label, _csv_value(value)])
    writer.writerow([])
    writer.writerow(headers())
    for line in statement.lines:
        writer.writerow(line_cells(line))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(statement):
    """The statement as an XLSX workbook (bytes): one sheet, the same rows as the CSV."""
    book = Workbook()
    sheet = book.active
    sheet.title = statement.period
    bold = Font(bold=True)
    for label, value in summary(statement):
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        if hasattr(value, "quantize"):
            sheet.cell(row=sheet.max_row, column=2).number_format = YUAN_FORMAT
    sheet.append([])
    sheet.append(headers())
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for line in statement.lines:
        sheet.append(line_cells(line))
    for column, width in zip("ABCDEFGHI", (20, 14, 24, 10, 10, 10, 10, 20, 24)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(statement, extension):
    """An ASCII file name: the shop's id and the month."""
    return f"statement-{statement.merchant.id}-{statement.period}.{extension}"
