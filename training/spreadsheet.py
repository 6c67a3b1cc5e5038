"""Cells and CSV files that open safely in Excel.

A cell beginning with =, +, -, @, a tab or a carriage return could be run as a formula by a
spreadsheet: such cells are prefixed with an apostrophe. So are the full-width ＝ ＋ － ＠
(U+FF1D, U+FF0B, U+FF0D, U+FF20): Excel with Japanese input may take them for their ASCII
forms, so they are treated as formula starts too. CSV is UTF-8 with a BOM so Excel
reads Japanese correctly; lines end with CRLF.
"""
from __future__ import annotations

import csv
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


def xlsx_print_setup(sheet, *, heading: str, title_rows: str) -> None:
    """Print-ready page set-up for an XLSX sheet (also a write-only one): A4 landscape, every
    column on one page width (as many pages down as needed), the header row(s) ``title_rows``
    (e.g. "1:1") repeated on every page, ``heading`` (what the sheet holds and its filters) at
    the top of each page and 「n / m ページ」 at the foot. Excel's header codes start with &, so
    a & in the heading is doubled."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = title_rows
    sheet.oddHeader.center.text = heading.replace("&", "&&")[:250]
    sheet.oddFooter.center.text = "&P / &N ページ"
