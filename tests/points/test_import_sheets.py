"""Reading the office's sheet (no database): XLSX or CSV told apart by content, CSV in
UTF-8 with or without BOM or in GBK, header variants, row numbers as Excel shows them."""
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from points.residents import sheets
from points.residents.errors import (
    EmptySheetError,
    FileTooLargeError,
    MissingColumnsError,
    OldExcelFileError,
    TooManyRowsError,
    WrongFileTypeError,
)

HEADER = ["姓名", "手机号", "网格", "门牌/户号", "备注"]
ROW = ["王秀英", "13811112222", "东街网格", "1栋101", "独居老人"]


def csv_bytes(rows, encoding="utf-8"):
    return "\r\n".join(",".join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data, max_rows=100):
    return sheets.read_sheet(data, max_bytes=5 * 1024 * 1024, max_rows=max_rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding):
    rows = read(csv_bytes([HEADER, ROW], encoding))

    assert rows == [sheets.SheetRow(2, "王秀英", "13811112222", "东街网格", "1栋101", "独居老人")]


def test_xlsx_keeps_a_numeric_phone_whole_and_numbers_rows_as_excel_does():
    rows = read(xlsx_bytes([HEADER[:4], [], ["王秀英", 13811112222, "东街网格", "1栋101"]]))

    assert [(row.number, row.phone, row.note) for row in rows] == [(3, "13811112222", "")]


def test_header_variants_and_column_order_are_accepted():
    rows = read(csv_bytes([["门牌号", "姓名*", "手机号码（必填）", "所属网格"],
                           ["1栋101", "王秀英", "13811112222", "东街网格"]]))

    assert (rows[0].name, rows[0].phone, rows[0].address) == ("王秀英", "13811112222", "1栋101")


def test_tab_separated_text_is_read():
    text = "\n".join("\t".join(row) for row in [HEADER, ROW]).encode("utf-8")

    assert read(text)[0].grid == "东街网格"


def test_a_missing_header_column_is_named():
    with pytest.raises(MissingColumnsError) as refused:
        read(csv_bytes([["姓名", "手机号"], ["王秀英", "13811112222"]]))

    assert refused.value.params == {"columns": "网格、门牌/户号"}


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", csv_bytes([HEADER]), xlsx_bytes([HEADER])])
def test_a_sheet_without_data_rows_is_empty(data):
    with pytest.raises(EmptySheetError):
        read(data)


def test_more_rows_than_allowed_are_refused():
    with pytest.raises(TooManyRowsError):
        read(csv_bytes([HEADER, ROW, ROW, ROW]), max_rows=2)


def test_a_file_over_the_limit_is_refused_before_reading():
    with pytest.raises(FileTooLargeError) as refused:
        sheets.read_sheet(b"x" * (sheets.MIB + 1), max_bytes=sheets.MIB, max_rows=10)

    assert refused.value.params == {"limit": "1 MB"}


def zipped(**parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",   # a photo named .csv
    zipped(**{"word/document.xml": "<w/>", "[Content_Types].xml": "<t/>"}),  # a .docx
    b"PK\x03\x04 not really a zip",
    zipped(**{"[Content_Types].xml": "<t/>", "xl/workbook.xml": "<broken"}),  # a damaged .xlsx
    "姓名,手机号\n".encode("utf-16"),
])
def test_files_that_are_neither_xlsx_nor_text_are_refused(data):
    with pytest.raises(WrongFileTypeError):
        read(data)


def test_an_old_xls_file_gets_its_own_hint():
    with pytest.raises(OldExcelFileError):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_the_template_has_the_header_and_lists_the_grids():
    workbook = load_workbook(io.BytesIO(sheets.template_workbook(["东街网格", "西街网格"])))

    header = [cell.value for cell in workbook.worksheets[0][1]]
    notes = [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True)]
    assert header == HEADER
    assert "东街网格" in notes and "西街网格" in notes
