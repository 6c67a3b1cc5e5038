"""The progress matrix of a class: members × modules, with filters, sorting and CSV."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from training.content.model import Content, Course
from training.dates import format_datetime
from training.learn.progress import CourseProgress, ModuleStatus, Records, course_progress
from training.spreadsheet import csv_bytes

STATUS_LABELS = {"not_started": "未着手", "in_progress": "受講中", "overdue": "期限超過", "complete": "修了"}
SORTS = {"name": "氏名順", "progress": "進み具合順", "activity": "最終学習日時順"}


@dataclass(frozen=True)
class MemberRow:
    user: object
    progress: CourseProgress
    status: str
    #: Set when the matrix shows a single assigned module: the row is about that module only.
    module: ModuleStatus | None = None
    #: A completion from before the class's start that the class does not count (its rule).
    earlier_completion: dt.datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def percent(self) -> int:
        """Of the course, or of the module shown (its sections and its check quiz)."""
        if self.module is None:
            return self.progress.percent
        m = self.module
        if m.completed_at:
            return 100
        return round(100 * (m.sections_viewed + (1 if m.quiz.passed else 0)) / (m.sections_total + 1))


def _counts(completed_at: dt.datetime | None, since: dt.datetime | None) -> bool:
    """Whether a completion counts for a class whose rule counts completions from ``since`` on
    (None: any completion counts)."""
    return completed_at is not None and (since is None or completed_at >= since)


def member_status(progress: CourseProgress, due_on: dt.date | None, today: dt.date,
                  since: dt.datetime | None = None) -> str:
    if _counts(progress.completed_at, since):
        return "complete"
    if due_on and today > due_on:
        return "overdue"
    return "in_progress" if progress.started else "not_started"


def module_member_status(status: ModuleStatus, due_on: dt.date | None, today: dt.date,
                         since: dt.datetime | None = None) -> str:
    """A single assigned module: complete when the module is, whatever the rest of the course."""
    if _counts(status.completed_at, since):
        return "complete"
    if due_on and today > due_on:
        return "overdue"
    return "in_progress" if status.sections_viewed or status.quiz.count else "not_started"


def build(members, records: dict[int, Records], course: Course, content: Content, due_on: dt.date | None,
          today: dt.date, module_id: str | None = None, since: dt.datetime | None = None) -> list[MemberRow]:
    """One row per member (pure: no database access); about one module when ``module_id`` is given.
    ``since``: the class counts only completions from then on (training.teach.years.counts_since);
    an earlier one is kept on the row as ``earlier_completion`` and the row is not complete.
    Give ``records`` loaded with the same ``since`` (load_records_for): a member taking the
    course again is then shown with their progress since the class's start."""
    rows = []
    for user in members:
        progress = course_progress(course, content, records[user.id])
        # Taking the course again for the class: the records before its start are left out of
        # the records (load_records_for), the last completion is kept for the note.
        again = records[user.id].refresher.get(course.id)
        previous = again.previous if again else None
        if module_id is None:
            done = progress.completed_at
            rows.append(MemberRow(user, progress, member_status(progress, due_on, today, since),
                                  earlier_completion=done if done and not _counts(done, since) else previous))
            continue
        status = next(m for m in progress.modules if m.module.id == module_id)
        done = status.completed_at
        rows.append(MemberRow(user, progress, module_member_status(status, due_on, today, since), status,
                              earlier_completion=done if done and not _counts(done, since) else previous))
    return rows


def filter_and_sort(rows: list[MemberRow], status: str, sort: str) -> list[MemberRow]:
    if status in STATUS_LABELS:
        rows = [r for r in rows if r.status == status]
    if sort == "progress":
        return sorted(rows, key=lambda r: (-r.percent, r.user.name_kana or r.user.display_name))
    if sort == "activity":
        epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return sorted(rows, key=lambda r: r.progress.last_activity or epoch, reverse=True)
    return sorted(rows, key=lambda r: (r.user.name_kana or r.user.display_name, r.user.display_name))


def counts(rows: list[MemberRow]) -> dict[str, int]:
    result = {key: 0 for key in STATUS_LABELS}
    for row in rows:
        result[row.status] += 1
    return result


def cell_text(status) -> str:
    """A module cell for the CSV: 修了 / 学習中 (3/5節・クイズ80点) / 未着手."""
    if status.completed_at:
        return f"修了（{status.quiz.best_percent}点）"
    if status.sections_viewed == 0 and status.quiz.count == 0:
        return "未着手"
    quiz = f"・クイズ最高{status.quiz.best_percent}点" if status.quiz.count else ""
    return f"学習中（{status.sections_viewed}/{status.sections_total}節{quiz}）"


def to_csv(rows: list[MemberRow], course: Course, content: Content, module_id: str | None = None,
           attendance: dict[int, list[str]] | None = None) -> bytes:
    """The matrix as an Excel-ready CSV (UTF-8 with BOM); of one module when ``module_id`` is given.
    ``attendance`` (the class has linked in-person sessions): a last column 集合研修, e.g.
    「11月20日 出席」, several joined by 「、」."""
    extra_header = ["集合研修"] if attendance is not None else []

    def extra(row) -> list[str]:
        return ["、".join(attendance.get(row.user.id, []))] if attendance is not None else []

    if module_id is not None:
        header = ["職員番号", "氏名", "ふりがな", "所属", "状態", "進捗率(%)", "最終学習日時",
                  content.module(module_id).title, "モジュール修了日時", *extra_header]
        return csv_bytes(header, [[
            row.user.employee_no or "", row.user.display_name, row.user.name_kana or "", row.user.department or "",
            row.status_label, row.percent, format_datetime(row.progress.last_activity), cell_text(row.module),
            format_datetime(row.module.completed_at), *extra(row)] for row in rows])
    modules = [content.module(m) for m in course.modules]
    header = ["職員番号", "氏名", "ふりがな", "所属", "状態", "進捗率(%)", "最終学習日時",
              *[m.title for m in modules], *[f"シナリオ：{content.quiz(s).title}" for s in course.scenarios], "修了日時",
              *extra_header]
    body = []
    for row in rows:
        p = row.progress
        body.append([
            row.user.employee_no or "", row.user.display_name, row.user.name_kana or "", row.user.department or "",
            row.status_label, p.percent, format_datetime(p.last_activity),
            *[cell_text(m) for m in p.modules],
            *[(f"済（{p.scenarios[s].best_percent}%）" if p.scenarios[s].passed else "未") for s in course.scenarios],
            format_datetime(p.completed_at), *extra(row),
        ])
    return csv_bytes(header, body)
