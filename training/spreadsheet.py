"""Cells and CSV files that open safely in Excel.

A cell beginning with =, +, -, @, a tab or a carriage return could be run as a formula by a
spreadsheet: such cells are prefixed with an apostrophe. So are the full-width ＝ ＋ － ＠
(U+FF1D, U+FF0B, U+FF0D, U+FF20): Excel with Japanese input may take them for their ASCII
forms, so they are treated as formula starts too. CSV is UTF-8 with a BOM so Excel
reads Japanese correctly; lines end with CRLF.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value) -> str:
    """The cell as text, with formula-like text made inert."""
    text = value if type(value) is str else ("" if value is None else str(value))
    return "'" + text if text[:1] in FORMULA_FIRST else text


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """A whole CSV file (UTF-8 with BOM, CRLF) with every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")



def write_xlsx_table(target, *, sheet: str, header: list[str], widths: list[int], rows, heading: str,
                     title: str | None = None) -> int:
    """One sheet as an XLSX file; returns the number of data rows.

    XlsxWriter in constant-memory mode: each row is written out as it comes, so 100,000 rows
    take no more memory than ten (openpyxl's write-only mode still built every cell as an
    object: 25 times the CSV's time). Cells are typed: text stays text (職員番号 keeps its
    leading zeros) and is neutralised against formulas, numbers are numbers, dates and
    date-times are date cells (date-times must be naive: the caller gives Japan time). An
    optional bold ``title`` row, then a styled header row, frozen with everything above it and
    filtered. Print-ready: A4 landscape, all columns on one page width, the header row on
    every page, ``heading`` (the sheet's subject and filters) at the top of each page and
    「n / m ページ」 at the foot."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    date_format = book.add_format({"num_format": "yyyy/mm/dd"})
    time_format = book.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    header_format = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F6F6B",
                                     "align": "center"})
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    row = 0
    if title is not None:
        ws.write_string(0, 0, neutralise(title), book.add_format({"bold": True, "font_size": 12}))
        row = 1
    header_row = row
    for column, text in enumerate(header):
        ws.write_string(header_row, column, neutralise(text), header_format)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    # Excel's header codes start with &: a & of the text is doubled. 255 characters at most.
    ws.set_header("&C" + heading.replace("&", "&&")[:240])
    ws.set_footer("&C&P / &N ページ")
    count = 0
    for values in rows:
        row += 1
        count += 1
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(row, column, value, time_format)
            elif isinstance(value, dt.date):
                ws.write_datetime(row, column, value, date_format)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, column, value)
            else:
                ws.write_string(row, column, neutralise(value))
    ws.autofilter(header_row, 0, header_row + count, len(header) - 1)
    book.close()
    return count
