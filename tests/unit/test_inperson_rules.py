"""The counting rule of attendance (issue 17): which statuses complete, and the kind made."""
import pytest

from training.inperson.rules import STATUSES, completion_kind, counts, label


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
