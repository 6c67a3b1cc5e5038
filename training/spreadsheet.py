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
