"""Who has not finished: per class (one assignment at a time) and per department (every
non-archived class of a fiscal year), with the last reminder each person got, the 24-hour
check before the same reminder goes out again, and the XLSX of either list.

A row is one person and one target (a whole course, or a single assigned module; see
training/teach/targets.py) that the class's rule does not count as complete
(training/teach/matrix.py, ``counts_earlier_completions`` honoured). Its status is the
matrix's: 期限超過 when the due date has passed, else 未着手 or 受講中.

Departments are the person's current one: the master department when the person is linked
to it, else the free text (compared after training.departments.name_key, so 「区民部,収納課」
and 「区民部 収納課」 are one group while the master is empty).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, type_coerce
from sqlalchemy.orm import noload

from training.dates import format_date, format_datetime, to_jst
from training.departments import display_name, name_key
from training.extensions import db
from training.learn.progress import load_records_for
from training.models import Cohort, CohortMember, Reminder, User, utcnow
from training.models.base import UTCDateTime
from training.spreadsheet import csv_bytes, write_xlsx_table
from training.teach import matrix, years
from training.teach.targets import Target, cohort_targets

#: The list's filter: past the due date (the default), or everyone not complete. The two
#: matrix statuses of those not yet due are accepted too (the older reminder groups).
FILTERS = {"overdue": "期限超過", "unfinished": "未修了すべて"}
NARROWER = {"not_started": "未着手", "in_progress": "受講中"}
#: Reminders that reached the person, or are on their way: they count as "already reminded".
#: A failed one or one without an address reached nobody, so it does not ask for confirmation.
REACHED = ("pending", "sending", "sent", "queued")
WINDOW = dt.timedelta(hours=24)
NO_DEPARTMENT = ("none", "所属なし")


def department_of(user: User) -> tuple[str, str]:
    """(key, label) of the person's current department: ``d<id>`` for a master department,
    ``t<folded text>`` for free text, ``none`` when there is none."""
    if user.department_id:
        return f"d{user.department_id}", user.department or f"所属 {user.department_id}"
    text = (user.department or "").strip()
    if not text:
        return NO_DEPARTMENT
    return "t" + name_key(text), display_name(text)


@dataclass(frozen=True)
class Row:
    user: User
    cohort: Cohort
    target: Target
    status: str
    last_activity: dt.datetime | None
    last_reminder: dt.datetime | None = None
    #: A completion from before the class's start that the class does not count.
    earlier_completion: dt.datetime | None = None

    @property
    def status_label(self) -> str:
        return matrix.STATUS_LABELS[self.status]

    @property
    def department(self) -> tuple[str, str]:
        return department_of(self.user)


def _members(cohort_id: int) -> list[User]:
    # Roles are not shown: not loading them keeps the query count flat.
    return db.session.scalars(select(User).join(CohortMember).where(CohortMember.cohort_id == cohort_id)
                              .options(noload(User.role_rows))).all()


def _sort_key(row: Row):
    return (row.user.name_kana or row.user.display_name, row.user.display_name, row.user.id)


def _rows(cohort: Cohort, target: Target, members: list[User], records, content, today: dt.date,
          last: dict[int, dt.datetime] | None) -> list[Row]:
    built = matrix.build(members, records, target.course, content, target.due_on, today,
                         module_id=target.module.id if target.module else None, since=years.counts_since(cohort))
    rows = [Row(r.user, cohort, target, r.status, r.progress.last_activity,
                (last or {}).get(r.user.id), r.earlier_completion) for r in built if r.status != "complete"]
    return sorted(rows, key=_sort_key)


def class_rows(cohort: Cohort, target: Target, content, today: dt.date) -> list[Row]:
    """Everyone in the class not complete for ``target``, with their last reminder about it."""
    members = _members(cohort.id)
    records = load_records_for([m.id for m in members], target.course.id)
    rows = _rows(cohort, target, members, records, content, today, None)
    last = last_reminders(cohort.id, target.key, [r.user.id for r in rows])
    return [Row(r.user, r.cohort, r.target, r.status, r.last_activity, last.get(r.user.id), r.earlier_completion)
            for r in rows]


def choose(rows: list[Row], status: str, department: str = "") -> list[Row]:
    """The rows the filter asks for (``status`` one of FILTERS or NARROWER; ``department`` a key)."""
    if status == "overdue" or status in NARROWER:
        rows = [r for r in rows if r.status == status]
    if department:
        rows = [r for r in rows if r.department[0] == department]
    return rows


def departments(rows: Iterable[Row]) -> list[tuple[str, str, int]]:
    """(key, label, people) of the departments in ``rows``, by label; people counted once each."""
    people: dict[str, set[int]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        key, label = row.department
        labels.setdefault(key, label)
        people.setdefault(key, set()).add(row.user.id)
    order = sorted(labels, key=lambda k: (k == NO_DEPARTMENT[0], labels[k]))
    return [(k, labels[k], len(people[k])) for k in order]


def _about(target_key: str):
    """Reminders about ``target_key``, or from before targets were stored (about the class)."""
    return or_(Reminder.target_key == target_key, Reminder.target_key.is_(None))


def last_reminders(cohort_id: int, target_key: str, user_ids: list[int]) -> dict[int, dt.datetime]:
    """When each person last got (or was queued) a reminder about the target from this class."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(Reminder.user_id, type_coerce(func.max(Reminder.created_at), UTCDateTime())).where(
            Reminder.cohort_id == cohort_id, Reminder.user_id.in_(user_ids), Reminder.status.in_(REACHED),
            _about(target_key)).group_by(Reminder.user_id)).all())


def recent(cohort_id: int, target_key: str, user_ids: list[int], batch_key: str,
           now: dt.datetime | None = None) -> dict[int, Reminder]:
    """The latest reminder about the target from this class in the last 24 hours, per person,
    leaving out the batch being sent (a double click is not "again": the batch key stops it)."""
    if not user_ids:
        return {}
    since = (now or utcnow()) - WINDOW
    found: dict[int, Reminder] = {}
    for reminder in db.session.scalars(select(Reminder).where(
            Reminder.cohort_id == cohort_id, Reminder.user_id.in_(user_ids), Reminder.status.in_(REACHED),
            Reminder.created_at >= since, _about(target_key),
            or_(Reminder.batch_key.is_(None), Reminder.batch_key != batch_key)).order_by(Reminder.created_at)):
        found[reminder.user_id] = reminder
    return found


# Per department: every non-archived class of a fiscal year ------------------------------------

def year_rows(fiscal_year: int, content, today: dt.date) -> list[Row]:
    """Everyone not complete for some target of the year's non-archived classes: one row per
    person, class and target (a person in two classes is listed under each)."""
    cohorts = db.session.scalars(select(Cohort).where(Cohort.fiscal_year == fiscal_year,
                                                      Cohort.archived.is_(False)).order_by(Cohort.name)).all()
    rows: list[Row] = []
    for cohort in cohorts:
        targets = cohort_targets(cohort, content)
        if not targets:
            continue
        members = _members(cohort.id)
        ids = [m.id for m in members]
        records: dict[str, dict] = {}
        for target in targets:
            if target.course.id not in records:
                records[target.course.id] = load_records_for(ids, target.course.id)
            rows.extend(_rows(cohort, target, members, records[target.course.id], content, today, None))
    return sorted(rows, key=lambda r: (r.department[1], *_sort_key(r), r.cohort.name, r.target.key))


# XLSX -------------------------------------------------------------------------------------------



def excel_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A timestamp as Excel holds it: Japanese time, no zone (Excel has none)."""
    return to_jst(moment).replace(tzinfo=None, microsecond=0) if moment else None


def write_xlsx(target, *, sheet: str, title: str, header: list[str], widths: list[int],
               rows: Iterable[list]) -> int:
    """A one-sheet workbook with ``title`` as its first row and as each printed page's header
    (training.spreadsheet.write_xlsx_table). Returns the number of data rows."""
    return write_xlsx_table(target, sheet=sheet, header=header, widths=widths, rows=rows, heading=title, title=title)


CLASS_HEADER = ["職員番号", "氏名", "ふりがな", "所属", "対象", "期限", "状態", "最終学習日時", "最後のお願い"]
CLASS_WIDTHS = [12, 18, 20, 22, 36, 12, 10, 18, 18]
YEAR_HEADER = ["所属", "職員番号", "氏名", "ふりがな", "クラス", "対象", "期限", "状態", "最終学習日時"]
YEAR_WIDTHS = [22, 12, 18, 20, 28, 36, 12, 10, 18]


def as_of(today: dt.date) -> str:
    return f"{format_date(today)}時点"


def class_sheet_rows(rows: list[Row]) -> Iterable[list]:
    for r in rows:
        yield [r.user.employee_no or "", r.user.display_name, r.user.name_kana or "", r.department[1]
               if r.department != NO_DEPARTMENT else "", r.target.label, r.target.due_on, r.status_label,
               excel_time(r.last_activity), excel_time(r.last_reminder)]


def year_sheet_rows(rows: list[Row]) -> Iterable[list]:
    for r in rows:
        yield [r.department[1] if r.department != NO_DEPARTMENT else "", r.user.employee_no or "",
               r.user.display_name, r.user.name_kana or "", r.cohort.name, r.target.label, r.target.due_on,
               r.status_label, excel_time(r.last_activity)]


# The outbox ------------------------------------------------------------------------------------

OUTBOX_HEADER = ["氏名", "メールアドレス", "件名", "本文", "対象", "記録日時"]


def outbox_csv(items: Iterable[tuple], *, with_class: bool = False) -> bytes:
    """The outbox as CSV (UTF-8 with BOM, cells neutralised): one line per ``(reminder, user,
    class name, target label)``; the class column (before 対象) when ``with_class``."""
    header = OUTBOX_HEADER[:4] + (["クラス"] if with_class else []) + OUTBOX_HEADER[4:]
    lines = []
    for reminder, user, class_name, label in items:
        line = [user.display_name, reminder.email or "", reminder.subject, reminder.body]
        if with_class:
            line.append(class_name or "")
        lines.append(line + [label, format_datetime(reminder.created_at)])
    return csv_bytes(header, lines)


def target_label(content, target_key: str | None) -> str:
    """The label of a stored target key (course, or course/module), or the key when the content changed."""
    if not target_key:
        return ""
    course_id, _slash, module_id = target_key.partition("/")
    course = content.course(course_id)
    module = content.module(module_id) if module_id else None
    if course is None or (module_id and module is None):
        return target_key
    return Target(course, module, None).label


def parse_ids(raw: list[str]) -> list[int] | None:
    """Form ids as ints without repeats, in order; None when one is not a whole number."""
    from training.integers import parse_int
    ids = [parse_int(value) for value in raw]
    return None if None in ids else list(dict.fromkeys(ids))
