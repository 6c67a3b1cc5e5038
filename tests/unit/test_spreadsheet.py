"""Formula neutralisation for every leading character, the CSV file shape, and XLSX cells."""
import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from training.spreadsheet import _fast_rows_fit, csv_bytes, neutralise, write_xlsx_table


@pytest.mark.parametrize("value", ["=1+1", "+81-3", "-2", "@SUM(A1)", "\tTAB", "\rCR"])
def test_formula_starts_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [("光が丘 健", "光が丘 健"), ("000123", "000123"), (None, ""),
                                                 (42, "42"), ("a=b", "a=b"), ("", "")])
def test_ordinary_values_are_unchanged(value, expected):
    assert neutralise(value) == expected


def test_csv_bytes_is_excel_ready():
    data = csv_bytes(["氏名", "所属"], [["=cmd", "税務課"], ["髙橋", '"引用"']])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["氏名", "所属"], ["'=cmd", "税務課"], ["髙橋", '"引用"']]


# Rows that take every branch of write_xlsx_table's fast row writer and of its fallback to
# XlsxWriter's own cell methods (escapes, control characters, long text, other types).
ROWS = [
    ["0001234", "光が丘 健", "=HYPERLINK(\"x\")", "＋収納課", 95, dt.date(2026, 4, 1), dt.datetime(2026, 4, 1, 9, 30)],
    ["-5", "@SUM(A1)", "\tタブ", " 前に空白", "後に空白 ", 0.1, dt.date(1900, 2, 28)],
    [None, "", "税務課", None, -3.5, dt.date(1900, 3, 1), dt.datetime(2026, 12, 31, 23, 59, 59, 500000)],
    ["A&B <c>", "ok"],
    ["\x07ベル", "_x0041_", "\ufffe", "改行\r\nあり"],
    [True, Decimal("1.50"), 10**17, "😀 絵文字"],
    [None, None, None],
    ["長い" * 9000, "x"],
    ["ふつう", "000", 0, dt.date(2099, 12, 31)],
    ("タプル", 7),
]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def _xlsx(rows, **options) -> bytes:
    target = io.BytesIO()
    write_xlsx_table(target, sheet="修了者", header=["a", "b", "c", "d", "e", "f", "g"], widths=[10] * 7,
                     rows=iter(rows), heading="見出し & 条件", **options)
    return target.getvalue()


@pytest.mark.parametrize("title", [None, "2026年度 未修了者"])
def test_fast_rows_write_the_same_file_as_xlsxwriters_cell_methods(title):
    import xlsxwriter

    # The installed XlsxWriter takes the fast path (otherwise both files below are the same trivially).
    with xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True}) as book:
        assert _fast_rows_fit(book.add_worksheet())
    fast, reference = _xlsx(ROWS, title=title), _xlsx(ROWS, title=title, cell_by_cell=True)
    assert _members(fast) == _members(reference)


def test_xlsx_cells_stay_typed_and_neutralised():
    sheet = openpyxl.load_workbook(io.BytesIO(_xlsx(ROWS))).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G11"
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("0001234", "s")
    assert sheet["C2"].value == "'=HYPERLINK(\"x\")" and sheet["D2"].value == "'＋収納課"
    assert sheet["A3"].value == "'-5" and sheet["B3"].value == "'@SUM(A1)" and sheet["C3"].value == "'\tタブ"
    assert sheet["E2"].value == 95 and sheet["F3"].value == 0.1 and sheet["E4"].value == -3.5
    assert sheet["F2"].value == dt.datetime(2026, 4, 1) and sheet["F2"].number_format == "yyyy/mm/dd"
    assert sheet["G2"].value == dt.datetime(2026, 4, 1, 9, 30) and sheet["G2"].number_format == "yyyy/mm/dd hh:mm"
    assert sheet["G3"].value == dt.datetime(1900, 2, 28) and sheet["F4"].value == dt.datetime(1900, 3, 1)
    assert sheet["D3"].value == " 前に空白" and sheet["E3"].value == "後に空白 "
    assert sheet["A4"].value is None and sheet["B4"].value is None and sheet["C4"].value == "税務課"
    # XlsxWriter escapes a literal _xHHHH_ (Excel shows "_x0041_"; openpyxl does not unescape it).
    assert sheet["A5"].value == "A&B <c>" and sheet["B6"].value == "_x005F_x0041_"
    assert sheet["A7"].value == "True" and sheet["B7"].value == "1.50" and sheet["D7"].value == "😀 絵文字"
    assert sheet["B10"].value == "000" and sheet["C10"].value == 0 and sheet["D10"].value == dt.datetime(2099, 12, 31)
    assert sheet["A11"].value == "タプル" and sheet["B11"].value == 7
