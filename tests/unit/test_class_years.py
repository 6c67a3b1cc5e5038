"""Classes across years: dates one year on, the next year's name, a class's start (issue 16)."""
import datetime as dt
from types import SimpleNamespace

from training.teach.years import counts, counts_since, next_year_name, shift_year, start_date


def test_dates_move_one_year_and_29_february_becomes_28():
    assert shift_year(dt.date(2027, 6, 30)) == dt.date(2028, 6, 30)
    assert shift_year(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert shift_year(None) is None


def test_the_name_carries_the_new_year():
    assert next_year_name("2026年度 窓口職員", 2026) == "2027年度 窓口職員"
    assert next_year_name("令和8年度 窓口職員", 2026) == "令和9年度 窓口職員"
    assert next_year_name("令和元年度 研修", 2019) == "令和2年度 研修"
    assert next_year_name("窓口職員", 2026) == "窓口職員（2027年度）"
    assert len(next_year_name("あ" * 120, 2026)) == 120


def test_a_class_starts_on_its_start_date_or_on_1_april_jst():
    cohort = SimpleNamespace(starts_on=None, fiscal_year=2027, counts_earlier_completions=False)
    assert start_date(cohort) == dt.date(2027, 4, 1)
    since = counts_since(cohort)
    assert since == dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.timezone.utc)
    assert not counts(dt.datetime(2027, 3, 31, 14, 59, tzinfo=dt.timezone.utc), since)
    assert counts(dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.timezone.utc), since)
    assert not counts(None, since)
    cohort.starts_on = dt.date(2027, 10, 1)
    assert start_date(cohort) == dt.date(2027, 10, 1)
    cohort.counts_earlier_completions = True
    assert counts_since(cohort) is None and counts(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), None)
