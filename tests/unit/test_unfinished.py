"""Who has not finished: departments as groups and the list's filters (no database)."""
from types import SimpleNamespace

from training import unfinished


def _row(user_id, status, department=None, department_id=None):
    user = SimpleNamespace(id=user_id, department=department, department_id=department_id)
    return unfinished.Row(user=user, cohort=None, target=None, status=status, last_activity=None)


def test_a_department_is_the_master_one_else_the_folded_text():
    assert unfinished.department_of(SimpleNamespace(department="区民部 収納課", department_id=7)) == ("d7", "区民部 収納課")
    assert unfinished.department_of(SimpleNamespace(department="区民部,収納課", department_id=None)) == \
        unfinished.department_of(SimpleNamespace(department="区民部　収納課", department_id=None))
    assert unfinished.department_of(SimpleNamespace(department=" ", department_id=None)) == unfinished.NO_DEPARTMENT


def test_filters_and_counts_per_department():
    rows = [_row(1, "overdue", "福祉部 福祉課"), _row(1, "not_started", "福祉部 福祉課"),
            _row(2, "in_progress", "区民部,収納課"), _row(3, "overdue"), _row(4, "overdue", "区民部 収納課")]
    assert [r.user.id for r in unfinished.choose(rows, "overdue")] == [1, 3, 4]
    assert len(unfinished.choose(rows, "unfinished")) == 5
    key = unfinished.department_of(rows[2].user)[0]
    assert [r.user.id for r in unfinished.choose(rows, "unfinished", key)] == [2, 4]
    # People are counted once per department; 所属なし comes last.
    assert [(label, n) for _key, label, n in unfinished.departments(rows)] == [
        ("区民部 収納課", 2), ("福祉部 福祉課", 1), ("所属なし", 1)]
