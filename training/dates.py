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


#: (first day, era name), newest first.
ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1873, 1, 1), "明治"),
)


def wareki_year(day: dt.date) -> tuple[str, int]:
    """(era, year in era) for a date: 2019-05-01 is ("令和", 1)."""
    for start, era in ERAS:
        if day >= start:
            return era, day.year - start.year + 1
    raise ValueError(f"和暦に換算できない日付です: {day}")


def format_wareki(day: dt.date) -> str:
    """``令和8年11月26日``; the first year of an era is 元年."""
    era, year = wareki_year(day)
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def format_fiscal_year(year: int, *, wareki: bool = False) -> str:
    """``2026年度`` or ``令和8年度``."""
    if not wareki:
        return f"{year}年度"
    # A fiscal year is named in the era in force in its middle (1 October), as the government
    # does: 2019年度 (April 2019 to March 2020) is 令和元年度 although it began in 平成31年,
    # and 1988年度 stays 昭和63年度.
    era, era_year = wareki_year(dt.date(year, 10, 1))
    return f"{era}{'元' if era_year == 1 else era_year}年度"


def today_jst() -> dt.date:
    """Today's date in Japan."""
    return dt.datetime.now(JST).date()
