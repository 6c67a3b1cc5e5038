"""Dates and times as people here read them: JST clock times and fiscal years (年度).

The one date formatter of the project; 和暦 formatting joins it with the certificates.
"""
from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def to_jst(moment: dt.datetime) -> dt.datetime:
    """A UTC-aware timestamp in Japan time."""
    return moment.astimezone(JST)


def format_datetime(moment: dt.datetime | None) -> str:
    """``2026年11月26日 09:05`` in JST; empty for None."""
    if moment is None:
        return ""
    local = to_jst(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_date(day: dt.date | None) -> str:
    """``2026年11月26日``; empty for None."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a date falls in: 2026-04-01..2027-03-31 is 2026年度."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year ``year``."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
