"""Tables as downloads that stream: CSV (UTF-8 with a BOM) and XLSX (openpyxl, write-only).

A ``Sheet`` names its columns and kinds and gives its rows as an iterator, so a year of
journal is read from the database in batches (``yield_per``) and written out as it comes:
the CSV leaves in chunks of ``CHUNK_ROWS`` rows; the XLSX is written row by row to a
temporary file by openpyxl's write-only mode and then sent in 64 KiB blocks. Neither holds
the whole table in memory.

Kinds: ``text`` (a formula-looking start is escaped), ``int``, ``points`` (whole numbers
in the XLSX, ``12`` or ``12.5`` in the CSV), ``yuan`` (format ``0.00``; ``12.30`` in the
CSV), ``ratio`` (a percentage in the XLSX, ``0.8400`` in the CSV), ``moment`` (an aware
datetime shown in local time) and ``day`` (a date). Headers are message ids, translated
into the page's language when the sheet is written.
"""
import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response, stream_with_context
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

import ledger
from merchants.exports import XLSX_MIME, safe_text
from points.timeutil import local

TEXT, INT, POINTS, YUAN, RATIO, MOMENT, DAY = "text", "int", "points", "yuan", "ratio", "moment", "day"
FORMATS = {INT: "0", POINTS: "0", YUAN: "0.00", RATIO: "0.00%",
           MOMENT: "yyyy-mm-dd hh:mm:ss", DAY: "yyyy-mm-dd"}
WIDTHS = {TEXT: 18, INT: 10, POINTS: 12, YUAN: 14, RATIO: 10, MOMENT: 20, DAY: 12}
CSV_MIME = "text/csv; charset=utf-8"
CHUNK_ROWS = 500
BLOCK = 64 * 1024
FORMATS_ALLOWED = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    header: str  # a message id (N_), translated when written
    kind: str = TEXT
    width: int | None = None


@dataclass
class Sheet:
    """``stem``: the ASCII file name without extension; ``title``: the sheet's name (a
    message id); ``rows``: an iterable of lists of values, one per column."""

    stem: str
    title: str
    columns: list
    rows: object


def csv_cell(kind, value):
    if value is None:
        return ""
    if kind == TEXT:
        return safe_text(str(value))
    if kind == POINTS:
        return ledger.format_amount(Decimal(value), ledger.POINTS)
    if kind == YUAN:
        return ledger.format_amount(Decimal(value), ledger.CNY)
    if kind == RATIO:
        return str(Decimal(value).quantize(Decimal("0.0001")))
    if kind == MOMENT:
        return local(value).strftime("%Y-%m-%d %H:%M:%S")
    if kind == DAY:
        return value.isoformat()
    return str(value)


def xlsx_value(kind, value):
    if value is None:
        return None
    if kind == TEXT:
        return safe_text(str(value))
    if kind in (POINTS, YUAN, RATIO):
        return Decimal(value)
    if kind == MOMENT:
        return local(value).replace(tzinfo=None)
    if kind == DAY and isinstance(value, datetime):
        return value.date()
    return value


def csv_chunks(sheet):
    """The CSV as encoded chunks: BOM and headers first, then ``CHUNK_ROWS`` rows at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_(column.header) for column in sheet.columns])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    kinds = [column.kind for column in sheet.columns]
    count = 0
    out.seek(0)
    out.truncate()
    for row in sheet.rows:
        writer.writerow([csv_cell(kind, value) for kind, value in zip(kinds, row)])
        count += 1
        if count % CHUNK_ROWS == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def write_xlsx(sheet, target):
    """Write the sheet to the open binary file ``target`` (openpyxl write-only mode)."""
    book = Workbook(write_only=True)
    page = book.create_sheet(title=_(sheet.title)[:31])
    for index, column in enumerate(sheet.columns):
        letter = get_column_letter(index + 1)
        page.column_dimensions[letter].width = column.width or WIDTHS.get(column.kind, 14)
    bold = Font(bold=True)
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(page, value=_(column.header))
        cell.font = bold
        header.append(cell)
    page.append(header)
    page.freeze_panes = "A2"
    kinds = [column.kind for column in sheet.columns]
    for row in sheet.rows:
        cells = []
        for kind, value in zip(kinds, row):
            cell = WriteOnlyCell(page, value=xlsx_value(kind, value))
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
            cells.append(cell)
        page.append(cells)
    book.save(target)


def xlsx_blocks(sheet):
    """The XLSX in 64 KiB blocks, written first to a temporary file that is then removed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as target:
            write_xlsx(sheet, target)
        with open(path, "rb") as source:
            while block := source.read(BLOCK):
                yield block
    finally:
        os.unlink(path)


def download(sheet, fmt):
    """A streamed attachment of ``sheet`` as ``fmt`` (``csv`` or ``xlsx``)."""
    if fmt == "xlsx":
        body, mimetype = xlsx_blocks(sheet), XLSX_MIME
    else:
        body, mimetype = csv_chunks(sheet), CSV_MIME
    name = f"{sheet.stem}.{fmt}"
    response = Response(stream_with_context(body), content_type=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "no-store"
    return response

