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
import re
from math import isfinite

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
                     title: str | None = None, cell_by_cell: bool = False) -> int:
    """One sheet as an XLSX file; returns the number of data rows.

    XlsxWriter in constant-memory mode: each row is written out as it comes, so 100,000 rows
    take no more memory than ten. Cells are typed: text stays text (職員番号 keeps its
    leading zeros) and is neutralised against formulas, numbers are numbers, dates and
    date-times are date cells (date-times must be naive: the caller gives Japan time). An
    optional bold ``title`` row, then a styled header row, frozen with everything above it and
    filtered. Print-ready: A4 landscape, all columns on one page width, the header row on
    every page, ``heading`` (the sheet's subject and filters) at the top of each page and
    「n / m ページ」 at the foot.

    The data rows are written by ``_fast_rows`` (the same XML as XlsxWriter's own cell
    methods; the whole file of 100,000 rows in a quarter of the time: see there). ``cell_by_cell=True`` writes them through
    XlsxWriter's public ``write_*`` methods instead: the reference the tests compare with."""
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
    if cell_by_cell or not header or not _fast_rows_fit(ws):
        count = 0
        for values in rows:
            row += 1
            count += 1
            _write_cells(ws, row, values, date_format, time_format)
    else:
        count = _fast_rows(ws, header_row, rows, date_format, time_format)
    ws.autofilter(header_row, 0, header_row + count, len(header) - 1)
    book.close()
    return count


def _write_cells(ws, row: int, values, date_format, time_format) -> None:
    """One data row through XlsxWriter's public cell methods."""
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


#: Text that XlsxWriter changes when it writes a cell (XML escapes, control characters and
#: its own _xHHHH_ escape, non-characters): such a row goes through ``_write_cells``.
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
#: Longer text may pass Excel's 32,767 UTF-16 units, which XlsxWriter truncates.
_LONG = 16_383


def _fast_rows_fit(ws) -> bool:
    """Whether this XlsxWriter has the constant-memory internals ``_fast_rows`` relies on
    (checked by the tests byte for byte; otherwise every row goes cell by cell)."""
    names = ("constant_memory", "fh", "table", "row_info", "previous_row", "dim_rowmax", "dim_colmax", "xls_rowmax",
             "excel_version", "default_row_height", "original_row_height", "_write_single_row", "_convert_date_time")
    return (all(hasattr(ws, name) for name in names) and ws.constant_memory and not ws.row_info
            and ws.excel_version == 2007 and ws.default_row_height == ws.original_row_height)


def _fast_rows(ws, header_row: int, rows, date_format, time_format) -> int:
    """Write the data rows below ``header_row`` as XML straight into the worksheet's
    constant-memory row file; returns how many rows there were.

    XlsxWriter's cell methods cost about 14 µs a cell (argument checks, a tuple per cell, then
    per cell a list of attributes, three regular expressions and several writes): 100,000 rows
    of 12 cells took 17–20 s CPU. Here a row is one f-string: the same <row>/<c> elements XlsxWriter
    writes in constant-memory mode (inline strings, numbers, dates as serial numbers with the
    date format), so Excel sees the same file. Text needing escapes, over-long text, NaN,
    aware date-times and any other type go row by row through ``_write_cells``, i.e.
    XlsxWriter itself, so their handling stays XlsxWriter's."""
    first, special = FORMULA_FIRST, _SPECIAL.search
    ws._write_single_row(header_row + 1)  # writes out the header row (and the title above it)
    write = ws.fh.write
    letters: list[str] = []
    days: dict = {}
    date_style = time_style = None
    row_limit = ws.xls_rowmax
    row, count, last_row, last_column = header_row, 0, None, -1
    for values in rows:
        row += 1
        count += 1
        if values.__class__ is not list and values.__class__ is not tuple:
            values = list(values)  # a generator or a database row: cells counted below
        if len(values) > len(letters):
            from xlsxwriter.utility import xl_col_to_name

            letters = [xl_col_to_name(c) for c in range(len(values))]
        if row >= row_limit:
            continue  # past Excel's last row: XlsxWriter's cell methods drop such cells too
        number = str(row + 1)
        cells = []
        column = -1
        for value in values:
            column += 1
            kind = value.__class__
            if kind is str:
                if not value:
                    continue
                if value[0] in first:
                    value = "'" + value
                if len(value) > _LONG or special(value):
                    break
                if value[0].isspace() or value[-1].isspace():
                    cells.append(f'<c r="{letters[column]}{number}" t="inlineStr"><is><t xml:space="preserve">'
                                 f'{value}</t></is></c>')
                else:
                    cells.append(f'<c r="{letters[column]}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif kind is int or (kind is float and isfinite(value)):
                cells.append(f'<c r="{letters[column]}{number}"><v>{value:.16G}</v></c>')
            elif kind is dt.date:
                serial = days.get(value)
                if serial is None:
                    serial = days[value] = ws._convert_date_time(value)
                if date_style is None:
                    date_style = date_format._get_xf_index()
                cells.append(f'<c r="{letters[column]}{number}" s="{date_style}"><v>{serial:.16G}</v></c>')
            elif kind is dt.datetime and value.tzinfo is None:
                if time_style is None:
                    time_style = time_format._get_xf_index()
                cells.append(f'<c r="{letters[column]}{number}" s="{time_style}">'
                             f'<v>{ws._convert_date_time(value):.16G}</v></c>')
            elif value is None:
                continue
            else:
                break
            if column > last_column:
                last_column = column
        else:
            if cells:
                write(f'<row r="{number}">{"".join(cells)}</row>')
                last_row = row
            continue
        # Something XlsxWriter handles itself: this row cell by cell, written out at once.
        _write_cells(ws, row, values, date_format, time_format)
        ws._write_single_row(row + 1)
    if last_row is not None:
        # The <dimension> of the sheet (XlsxWriter keeps it from its own cell methods; the
        # header row, from column A, has set its top and left).
        ws.dim_rowmax = max(ws.dim_rowmax, last_row)
        ws.dim_colmax = max(ws.dim_colmax, last_column)
    return count
