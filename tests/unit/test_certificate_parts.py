"""和暦, fiscal years, serials, verification codes, name masking, validity."""
import datetime as dt

import pytest

from training.certificates.codes import ALPHABET, mask_name, new_verification_code, normalise_code, serial_for
from training.certificates.issue import EXPIRED, REVOKED, SUPERSEDED, VALID, add_years, state
from training.dates import fiscal_year_of, format_fiscal_year, format_wareki
from training.models import Certificate


@pytest.mark.parametrize(("day", "text"), [
    (dt.date(2019, 4, 30), "平成31年4月30日"),
    (dt.date(2019, 5, 1), "令和元年5月1日"),
    (dt.date(2020, 1, 1), "令和2年1月1日"),
    (dt.date(2026, 11, 26), "令和8年11月26日"),
    (dt.date(1989, 1, 7), "昭和64年1月7日"),
    (dt.date(1989, 1, 8), "平成元年1月8日"),
])
def test_wareki(day, text):
    assert format_wareki(day) == text


@pytest.mark.parametrize(("year", "wareki", "text"), [
    (2026, True, "令和8年度"), (2019, True, "令和元年度"), (2018, True, "平成30年度"), (2026, False, "2026年度"),
])
def test_fiscal_year_labels(year, wareki, text):
    assert format_fiscal_year(year, wareki=wareki) == text


def test_fiscal_year_across_the_year_end():
    assert fiscal_year_of(dt.date(2027, 3, 31)) == 2026 and fiscal_year_of(dt.date(2027, 4, 1)) == 2027


def test_serials():
    assert serial_for(2026, 42) == "GK2026-00042"
    assert serial_for(2026, 42, 2) == "GK2026-00042-2"


def test_verification_codes_are_random_and_typeable():
    codes = {new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 24 and code.count("-") == 4
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    assert normalise_code(code.lower().replace("-", " ")) == code


@pytest.mark.parametrize("typed", ["", "abc", "ABCD-EFGH-JKMN-PQRS-TVWU", "ABCD-EFGH-JKMN-PQRS-TVWXY", "<script>"])
def test_malformed_codes_are_rejected_without_lookup(typed):
    assert normalise_code(typed) is None


def test_confusable_letters_are_forgiven():
    assert normalise_code("oooo-iiii-llll-0000-1111") == "0000-1111-1111-0000-1111"


@pytest.mark.parametrize(("name", "masked"), [
    ("光が丘 健", "光＊＊ ＊"), ("李 明", "＊ ＊"), ("𠮷田　花子", "𠮷＊ 花＊"), ("髙﨑", "髙＊"),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_add_years_on_a_leap_day():
    assert add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert add_years(dt.date(2026, 11, 26), 3) == dt.date(2029, 11, 26)


def test_states():
    today = dt.date(2026, 11, 26)
    cert = Certificate(valid_until=None)
    assert state(cert, today) == VALID
    cert.valid_until = dt.date(2026, 11, 25)
    assert state(cert, today) == EXPIRED
    cert.superseded_at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert state(cert, today) == SUPERSEDED
    cert.revoked_at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert state(cert, today) == REVOKED
