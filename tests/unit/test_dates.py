"""Fiscal years and Japanese date formatting."""
import datetime as dt

import pytest

from training.dates import fiscal_year_bounds, fiscal_year_of, format_date, format_datetime


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2026, 4, 1), 2026),
        (dt.date(2027, 3, 31), 2026),
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2026, 12, 31), 2026),
        (dt.date(2027, 1, 1), 2026),
    ],
)
def test_fiscal_year_runs_april_to_march(day, year):
    assert fiscal_year_of(day) == year


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2026) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))


def test_datetime_is_shown_in_japan_time():
    moment = dt.datetime(2026, 11, 26, 15, 30, tzinfo=dt.timezone.utc)
    assert format_datetime(moment) == "2026年11月27日 00:30"
    assert format_datetime(None) == ""


def test_date_format():
    assert format_date(dt.date(2026, 4, 1)) == "2026年4月1日"
