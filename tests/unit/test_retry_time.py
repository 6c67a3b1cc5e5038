"""The 429 page's 「…以降に」: a JST clock time rounded up, never a moment early."""
import datetime as dt

import pytest

from training.errors import retry_time_text

UTC = dt.timezone.utc


@pytest.mark.parametrize("when, text", [
    (dt.datetime(2026, 12, 1, 1, 4, tzinfo=UTC), "10時04分以降に"),
    (dt.datetime(2026, 12, 1, 1, 4, 0, 1, tzinfo=UTC), "10時05分以降に"),
    (dt.datetime(2026, 12, 1, 14, 59, 30, tzinfo=UTC), "00時00分以降に"),
    (None, "しばらく時間をおいて"),
])
def test_retry_time_text(when, text):
    assert retry_time_text(when) == text
