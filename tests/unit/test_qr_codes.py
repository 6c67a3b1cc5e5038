"""QR check-in codes (issue 17): current and previous minute, expired, invalid; the period."""
import datetime as dt

import pytest

from training.dates import JST
from training.inperson.qr import CodeError, checkin_period, make_code, read_code, seconds_left, window_of

NOW = dt.datetime(2026, 11, 20, 14, 0, 59, tzinfo=JST)


def _kind(code, now=NOW, key="k"):
    with pytest.raises(CodeError) as raised:
        read_code(key, code, now)
    return raised.value.kind


def test_codes():
    w = window_of(NOW)
    assert read_code("k", make_code("k", 7, w), NOW) == (7, w)
    assert read_code("k", make_code("k", 7, w - 1), NOW) == (7, w - 1)
    assert seconds_left(NOW) == 1 and window_of(NOW + dt.timedelta(seconds=1)) == w + 1
    assert _kind(make_code("k", 7, w - 2)) == "expired"
    assert _kind(make_code("k", 7, w + 1)) == "invalid"
    assert _kind(make_code("other key", 7, w)) == "invalid"
    assert _kind("8" + make_code("k", 7, w)[1:]) == "invalid"
    assert _kind("") == "invalid" and _kind("7-1-" + "A" * 22) == "invalid"


def test_period_opens_thirty_minutes_before_the_start():
    opens, closes = checkin_period(dt.date(2026, 11, 20), dt.time(14), dt.time(16))
    assert (opens, closes) == (dt.datetime(2026, 11, 20, 13, 30, tzinfo=JST), dt.datetime(2026, 11, 20, 16, tzinfo=JST))
