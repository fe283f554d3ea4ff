"""Reading the office's resident sheet: an XLSX workbook or a CSV file, told apart by
content (never by file name), into plain rows. No database here.

The header row names the columns: 姓名, 手机号, 网格, 门牌/户号 and optionally 备注 (a few
common variants are accepted, e.g. 手机号码, 门牌号). Row numbers are those Excel shows,
header included, so that an error "第 5 行" points at the line the office sees.
CSV comes from Excel in China as GBK, elsewhere as UTF-8 with or without BOM; GB18030
(a superset of GBK) decodes the former.
"""
import codecs
import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from points.residents.errors import (
    EmptySheetError,
    FileTooLargeError,
    MissingColumnsError,
    OldExcelFileError,
    TooManyRowsError,
    WrongFileTypeError,
)
from points.residents.rules import clean_text

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and other old Office files
XLSX_PARTS = frozenset({"[Content_Types].xml", "xl/workbook.xml"})
# A small sheet unzips to a few times its size; far more is a zip bomb.
MAX_UNZIPPED_RATIO = 40
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MIB = 1024 * 1024

COLUMNS = {
    "name": ("姓名",),
    "phone": ("手机号", "手机号码", "手机", "电话", "联系电话"),
    "grid": ("网格", "所属网格"),
    "address": ("门牌/户号", "门牌号/户号", "门牌号", "门牌", "户号", "住址", "地址"),
    "note": ("备注",),
}
REQUIRED = ("name", "phone", "grid", "address")
LABELS = {"name": "姓名", "phone": "手机号", "grid": "网格", "address": "门牌/户号", "note": "备注"}
TEMPLATE_HEADER = tuple(LABELS.values())


@dataclass(frozen=True)
class SheetRow:
    number: int
    name: str
    phone: str
    grid: str
    address: str
    note: str


def read_sheet(data, *, max_bytes, max_rows):
    """The data rows of an uploaded sheet. Raises ``FileTooLargeError``,
    ``WrongFileTypeError``, ``OldExcelFileError``, ``EmptySheetError``,
    ``MissingColumnsError`` or ``TooManyRowsError``."""
    if len(data) > max_bytes:
        raise FileTooLargeError(limit=size_label(max_bytes))
    if not data.strip():
        raise EmptySheetError()
    return rows_of(table_of(data), max_rows)


def size_label(size):
    """5 MB, 100 KB: a limit as the office reads it."""
    return f"{size / MIB:g} MB" if size >= MIB else f"{size // 1024} KB"


def table_of(data):
    """The cells of the first worksheet (XLSX) or of the file (CSV), as text, row by row."""
    if data.startswith(ZIP_MAGIC):
        return _xlsx_table(data)
    if data.startswith(OLE_MAGIC):
        raise OldExcelFileError()
    return _csv_table(data)


def _open_xlsx_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise WrongFileTypeError() from None
    if not XLSX_PARTS <= set(archive.namelist()):
        raise WrongFileTypeError()  # a .docx, .zip or anything else zipped
    if sum(info.file_size for info in archive.infolist()) > len(data) * MAX_UNZIPPED_RATIO:
        raise WrongFileTypeError()
    return archive


def _xlsx_table(data):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _open_xlsx_zip(data)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; the data is still read.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for cells in workbook.worksheets[0].iter_rows(values_only=True):
                    yield [cell_text(value) for value in cells]
            finally:
                workbook.close()
    except (InvalidFileException, zipfile.BadZipFile, ParseError, KeyError, IndexError,
            ValueError, TypeError, OSError):
        raise WrongFileTypeError() from None


def cell_text(value):
    """A cell as the office typed it: 13800138000 stays whole, not 13800138000.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode_text(data):
    """The text of a CSV file: UTF-8 (BOM or not) or GBK/GB18030; else not a CSV."""
    if data.startswith(codecs.BOM_UTF8):
        candidates, data = ("utf-8",), data[len(codecs.BOM_UTF8):]
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not CONTROL_CHARS.search(text):
            return text
    raise WrongFileTypeError()


def _csv_table(data):
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    # Excel's "文本文件（制表符分隔）" is the other export an office may pick.
    dialect = "excel-tab" if "\t" in first_line and "," not in first_line else "excel"
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect=dialect))
    except csv.Error:
        raise WrongFileTypeError() from None


def header_key(cell):
    """姓名*, 手机号（必填）, 门牌 / 户号 → the bare column name."""
    text = re.sub(r"[（(][^）)]*[）)]", "", clean_text(cell))
    return re.sub(r"[\s*]", "", text)


def columns_of(header):
    """Column index of each known column; ``MissingColumnsError`` naming any required one absent."""
    keys = [header_key(cell) for cell in header]
    found = {}
    for column, names in COLUMNS.items():
        index = next((keys.index(name) for name in names if name in keys), None)
        if index is not None:
            found[column] = index
    missing = [LABELS[column] for column in REQUIRED if column not in found]
    if missing:
        raise MissingColumnsError(columns="、".join(missing))
    return found


def _is_blank(cells):
    return not any(clean_text(cell) for cell in cells)


def _row(number, cells, columns):
    def cell(column):
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    return SheetRow(number=number, name=cell("name"), phone=cell("phone"), grid=cell("grid"),
                    address=cell("address"), note=cell("note"))


def rows_of(table, max_rows):
    """``SheetRow``s under the first non-blank row (the header); blank lines are skipped."""
    columns, rows = None, []
    for number, cells in enumerate(table, start=1):
        if _is_blank(cells):
            continue
        if columns is None:
            columns = columns_of(cells)
            continue
        if len(rows) == max_rows:
            raise TooManyRowsError(limit=max_rows)
        rows.append(_row(number, cells, columns))
    if not rows:
        raise EmptySheetError()
    return rows


TEMPLATE_NOTES = (
    "第一行是表头，请不要改动；从第二行起每行填一位居民。",
    "姓名、手机号、网格、门牌/户号必须填写；备注可以不填。",
    "手机号为 11 位数字。同一门牌/户号的家人会登记在同一户。",
    "网格请填下面列出的名称之一（与系统里的网格名称一致）。",
    "保存为 .xlsx 或 CSV 后上传；任何一行有错，整张表都不会导入，改好后再传即可。",
)


def template_workbook(grid_names):
    """An empty registration sheet (.xlsx) with the header, and a notes sheet that lists
    the grids to choose from."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民登记"
    sheet.append(list(TEMPLATE_HEADER))
    for letter, width in zip("ABCDE", (12, 16, 14, 22, 24)):
        sheet.column_dimensions[letter].width = width
    # Typed as text, so that Excel keeps the 11 digits of a phone instead of 1.38E+10.
    sheet.column_dimensions["B"].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["可填的网格："])
    for name in grid_names:
        notes.append([name])
    notes.column_dimensions["A"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
