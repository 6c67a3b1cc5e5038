"""The rule for 職員番号 (employee numbers), shared by the roster, the admin forms and the CLI.

Employee numbers are text: personnel's numbers keep their leading zeros (000101). Excel drops
them when a CSV is opened and saved with the column as a number, so numbers that differ only
in leading zeros are treated as the same number written wrongly, never as two people.
"""
from __future__ import annotations

import re

#: ASCII letters and digits, then also ``_`` and ``-``; never starting with a sign or a space.
EMPLOYEE_NO_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
MAX_LENGTH = 32


def employee_no_problem(number: str) -> str | None:
    """A Japanese message when ``number`` is not a valid 職員番号, else None."""
    if not EMPLOYEE_NO_RE.fullmatch(number):
        return f"職員番号「{printable(number)}」は半角英数字で書いてください（先頭は英数字、{MAX_LENGTH}文字まで）"
    return None


def zero_stripped(number: str) -> str:
    """The number without leading zeros: the form Excel would have turned it into."""
    return number.lstrip("0") or "0"


def printable(value: str, limit: int = 40) -> str:
    """``value`` shortened and with control characters shown as ?, for messages."""
    shown = "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in value[:limit])
    return shown + ("…" if len(value) > limit else "")
