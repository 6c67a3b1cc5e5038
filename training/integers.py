"""Integers read from requests: ids in URLs, page numbers and years in query strings, digits in forms.

Two traps this module closes (issue 12):

- ``str.isdigit()`` is true for ``²`` and other non-ASCII digits, which ``int()`` then refuses
  (a 500), or accepts (``int("٣") == 3``, so one id would have many spellings). Only ASCII
  digits count here.
- Werkzeug's ``int`` converter accepts any length, and PostgreSQL raises on a value beyond
  its INTEGER (int4) column, SQLite beyond 2^63. Every id column is an INTEGER, so nothing
  above 2^31 - 1 can name a row: such a URL is a 404 before the database is asked.
"""
from __future__ import annotations

from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError

#: The largest PostgreSQL INTEGER, the type of every id column (and of SQLite's rowids in use).
MAX_INT = 2**31 - 1
#: Ten digits are enough for MAX_INT; longer strings are refused before ``int()`` sees them.
_MAX_DIGITS = len(str(MAX_INT))


def is_ascii_digits(value: str) -> bool:
    """Whether ``value`` is one or more ASCII digits 0-9 (``²`` and ``٣`` are not)."""
    return value.isascii() and value.isdigit()


def parse_int(value: str | None, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """``value`` as an int when it is ASCII digits within ``minimum..maximum``; otherwise None.

    Surrounding spaces are allowed (a pasted year); signs, decimals and other digits are not.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    # Leading zeros are harmless, but a string of a million digits should not reach int().
    if not is_ascii_digits(value) or len(value.lstrip("0")) > _MAX_DIGITS:
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def query_int(name: str, default: int, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """The query-string integer ``name``: ``default`` when absent or empty, 400 when not a
    whole number in range (one rule for page numbers and years on every page)."""
    raw = request.args.get(name, "")
    if raw.strip() == "":
        return default
    number = parse_int(raw, minimum=minimum, maximum=maximum)
    if number is None:
        abort(400, description=f"「{name}」は{minimum}〜{maximum}の半角数字で指定してください。")
    return number


class IdConverter(BaseConverter):
    """``<int:…>`` in every route: ASCII digits naming a possible row id, else 404.

    Registered in place of Werkzeug's converter, so routes keep writing ``<int:cohort_id>``.
    """

    regex = r"[0-9]+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        """The id, or a routing miss (404) when it cannot be a row id."""
        number = parse_int(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        """Ids are built as plain decimal numbers."""
        return str(int(value))
