"""The counting rule of attendance (issue 17): which statuses complete, and the kind made."""
import datetime as dt
from types import SimpleNamespace

import pytest

from training.dates import fiscal_year_of, to_jst
from training.inperson.rules import STATUSES, completion_kind, counts, label, session_end


@pytest.mark.parametrize("status, confirmed, expected", [
    ("attended", False, True),
    ("late", False, True),
    ("left_early", False, False),
    ("left_early", True, True),
    ("absent", False, False),
    ("absent", True, False),     # a stray confirmation changes nothing
    (None, False, False),        # not yet recorded
    ("unknown", True, False),
])
def test_which_statuses_count(status, confirmed, expected):
    assert counts(status, confirmed) is expected


@pytest.mark.parametrize("mode, elearning_done, kind", [
    ("in_person", False, "in_person"),
    ("in_person", True, "in_person"),
    ("blended", False, None),     # waits for the e-learning
    ("blended", True, "blended"),
])
def test_the_kind_of_completion_an_attendance_makes(mode, elearning_done, kind):
    assert completion_kind(mode, elearning_done) == kind


def test_unknown_mode_is_refused_and_labels_are_japanese():
    with pytest.raises(ValueError):
        completion_kind("online", True)
    assert [label(s) for s in STATUSES] == ["出席", "遅刻", "早退", "欠席"]
    assert label(None) == "未記録"


@pytest.mark.parametrize("held_on, ends_at, fiscal_year", [
    (dt.date(2027, 3, 31), dt.time(20, 30), 2026),   # the last evening of the 年度 (11:30 UTC)
    (dt.date(2027, 4, 1), dt.time(8, 30), 2027),     # the first morning of the next (31 March, 23:30 UTC)
])
def test_a_session_completes_in_the_fiscal_year_of_its_date(held_on, ends_at, fiscal_year):
    end = session_end(SimpleNamespace(held_on=held_on, ends_at=ends_at))
    assert end.utcoffset() == dt.timedelta(hours=9)
    assert fiscal_year_of(to_jst(end.astimezone(dt.timezone.utc)).date()) == fiscal_year
