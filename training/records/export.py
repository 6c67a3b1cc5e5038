"""Completion records for Excel and HR systems: filters, rows, CSV (UTF-8 BOM or CP932) and
XLSX, streamed so that 100,000 records need no more memory than a few hundred."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice

from sqlalchemy import String, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from training.certificates.issue import EXPIRED, REVOKED
from training.content.model import Content
from training.dates import JST, fiscal_year_bounds, format_wareki
from training.extensions import db
from training.models import AUDIENCES, COMPLETION_KINDS, Certificate, Cohort, CohortMember, CourseCompletion, User
from training.spreadsheet import FORMULA_FIRST, neutralise, write_xlsx_table

HEADER = ["職員番号", "氏名", "ふりがな", "所属", "受講区分", "コース", "研修の形式", "修了日", "修了日(和暦)", "得点", "修了証番号", "状態"]
STATUS = {"valid": "有効", EXPIRED: "失効", REVOKED: "取消", "none": ""}
REPLACEMENT = "〓"
BATCH = 1000


class FilterError(ValueError):
    """A Japanese message about filters that make no sense."""


@dataclass(frozen=True)
class Filters:
    fiscal_year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department: str = ""
    audience: str = ""
    course_id: str = ""
    cohort_id: int | None = None
    #: "completion" (default): 所属 and 受講区分 as they were at completion; "today": as they are now.
    department_as: str = "completion"
    #: Only completions whose row changed at or after this moment (aware; the API's
    #: ``updated_since``, see CourseCompletion.updated_at).
    updated_since: dt.datetime | None = None
    #: Only completions of this kind (a key of COMPLETION_KINDS: elearning | in_person | blended).
    kind: str = ""

    def check(self) -> None:
        if self.fiscal_year is not None and not 2000 <= self.fiscal_year <= 2100:
            raise FilterError("年度は2000〜2100の西暦で指定してください（例：2026 は 2026年4月〜2027年3月）。")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError("期間の開始日が終了日より後になっています。")
        if self.audience and self.audience not in AUDIENCES:
            raise FilterError("受講区分の指定が正しくありません。")
        if self.kind and self.kind not in COMPLETION_KINDS:
            raise FilterError("研修の形式の指定が正しくありません。e-ラーニング（elearning）・集合研修（in_person）・"
                              "集合研修＋e-ラーニング（blended）のいずれかを選んでください。")
        if self.department_as not in ("completion", "today"):
            raise FilterError("所属の数え方は completion（修了した時点）か today（現在）で指定してください。")

    def describe(self, content: Content | None = None) -> str:
        """The filters in words, for the heading of a printed sheet: 「2026年度・所属：税務課」."""
        parts = [f"{self.fiscal_year}年度" if self.fiscal_year is not None else "全期間"]
        if self.date_from or self.date_to:
            parts.append(f"期間：{self.date_from or ''}〜{self.date_to or ''}")
        if self.department:
            parts.append(f"所属：{self.department}")
        if self.audience:
            parts.append(f"受講区分：{AUDIENCES.get(self.audience, self.audience)}")
        if self.kind:
            parts.append(f"研修の形式：{COMPLETION_KINDS.get(self.kind, self.kind)}")
        if self.course_id:
            course = content.course(self.course_id) if content is not None else None
            parts.append(f"講座：{course.title if course else self.course_id}")
        if self.cohort_id is not None:
            cohort = db.session.get(Cohort, self.cohort_id)
            parts.append(f"クラス：{cohort.name if cohort else self.cohort_id}")
        parts.append("所属は現在のもの" if self.department_as == "today" else "所属は修了した時点")
        return "・".join(parts)

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The completion-time window in UTC (days are Japanese days)."""
        start = end = None
        if self.fiscal_year is not None:
            first, last = fiscal_year_bounds(self.fiscal_year)
            start, end = first, last
        if self.date_from:
            start = max(start, self.date_from) if start else self.date_from
        if self.date_to:
            end = min(end, self.date_to) if end else self.date_to
        as_utc = lambda d: dt.datetime.combine(d, dt.time(), JST).astimezone(dt.timezone.utc)  # noqa: E731
        return (as_utc(start) if start else None, as_utc(end + dt.timedelta(days=1)) if end else None)


class jst_day(FunctionElement):
    """The Japanese calendar day (YYYY-MM-DD text) of a UTC timestamp column, computed by the
    database: a Python datetime per row cost more than the rest of a CSV row."""

    type = String()
    name = "jst_day"
    inherit_cache = True


@compiles(jst_day, "sqlite")
def _jst_day_sqlite(element, compiler, **kw):
    # SQLite keeps UTC as text; Japan has no daylight saving time.
    return f"date({compiler.process(element.clauses, **kw)}, '+9 hours')"


@compiles(jst_day, "postgresql")
def _jst_day_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD')"


def statement(filters: Filters, today: dt.date):
    """Completions with their person and current certificate, oldest first: (職員番号, 氏名,
    ふりがな, 所属, audience, course id, kind, 修了日 as JST day text, 得点, 修了証番号, 状態).

    The database works out the JST day and the certificate status; text comes back '' rather
    than NULL. Labels, titles, 和暦 and neutralisation are dictionary lookups in Python.
    """
    start, end = filters.bounds()
    status = case((Certificate.serial.is_(None), ""),
                  (Certificate.revoked_at.is_not(None), STATUS[REVOKED]),
                  (and_(Certificate.valid_until.is_not(None), Certificate.valid_until < today), STATUS[EXPIRED]),
                  else_=STATUS["valid"])
    text = lambda column: func.coalesce(column, "")  # noqa: E731
    # 所属 and 受講区分 at completion are columns of the completion row itself: no extra join.
    if filters.department_as == "today":
        department, audience = User.department, User.audience
    else:
        department, audience = CourseCompletion.department_name, CourseCompletion.audience
    stmt = (select(text(User.employee_no), User.display_name, text(User.name_kana), text(department),
                   text(audience), CourseCompletion.course_id, CourseCompletion.kind, jst_day(CourseCompletion.completed_at),
                   CourseCompletion.score, text(Certificate.serial), status)
            .join(User, User.id == CourseCompletion.user_id)
            .outerjoin(Certificate, and_(Certificate.course_completion_id == CourseCompletion.id,
                                         Certificate.superseded_at.is_(None)))
            .order_by(CourseCompletion.completed_at, CourseCompletion.id))
    if start:
        stmt = stmt.where(CourseCompletion.completed_at >= start)
    if end:
        stmt = stmt.where(CourseCompletion.completed_at < end)
    if filters.department:
        stmt = stmt.where(department == filters.department)
    if filters.audience:
        stmt = stmt.where(audience == filters.audience)
    if filters.course_id:
        stmt = stmt.where(CourseCompletion.course_id == filters.course_id)
    if filters.kind:
        stmt = stmt.where(CourseCompletion.kind == filters.kind)
    if filters.updated_since:
        stmt = stmt.where(CourseCompletion.updated_at >= filters.updated_since)
    if filters.cohort_id:
        stmt = stmt.where(CourseCompletion.user_id.in_(
            select(CohortMember.user_id).where(CohortMember.cohort_id == filters.cohort_id)))
    return stmt


def count(filters: Filters, today: dt.date) -> int:
    """How many rows the export has (for the audit entry), counted by the database."""
    stmt = statement(filters, today).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


class _Days(dict):
    """JST day text -> (date, 和暦), each worked out once per export."""

    def __missing__(self, text: str):
        day = dt.date.fromisoformat(text)
        value = self[text] = (day, format_wareki(day))
        return value


def _batches(stmt) -> Iterator:
    """Batches of rows from a streaming result (a server-side cursor on PostgreSQL)."""
    result = db.session.connection().execute(stmt.execution_options(yield_per=BATCH))
    try:
        yield from result.partitions()
    finally:
        result.close()


def text_rows(filters: Filters, content: Content, today: dt.date) -> Iterator[tuple]:
    """The export's rows as CSV cells, text neutralised, straight from a streaming cursor.

    100,000 rows spend most of their time in the database and the csv module: per row,
    Python only looks up labels and checks the first character of the text cells."""
    days, first, kinds = _Days(), FORMULA_FIRST, COMPLETION_KINDS
    titles = {c.id: neutralise(c.title) for c in content.courses}
    for batch in _batches(statement(filters, today)):
        for no, name, kana, department, audience, course, kind, day, score, serial, status in batch:
            if no[:1] in first or name[:1] in first or kana[:1] in first or department[:1] in first:
                no, name, kana, department = neutralise(no), neutralise(name), neutralise(kana), neutralise(department)
            title = titles.get(course) or neutralise(course)
            yield (no, name, kana, department, AUDIENCES.get(audience, ""), title, kinds.get(kind, kind), day,
                   days[day][1], score, serial, status)


def rows(filters: Filters, content: Content, today: dt.date) -> Iterator[list]:
    """Typed rows (dates as dates, scores as numbers; text as stored) for XLSX, in batches."""
    return _typed(chain.from_iterable(_batches(statement(filters, today))), content)


def rows_for(result: Iterable[tuple], content: Content) -> Iterator[list]:
    """Typed rows for rows of the statement already fetched (a page of the API, which adds its
    own columns after the eleven of ``statement``)."""
    return _typed(result, content)


def _typed(result, content: Content) -> Iterator[list]:
    days = _Days()
    titles = {c.id: c.title for c in content.courses}
    for no, name, kana, department, audience, course, kind, day, score, serial, status in result:
        date, wareki = days[day]
        yield [no, name, kana, department, AUDIENCES.get(audience, ""), titles.get(course, course),
               COMPLETION_KINDS.get(kind, kind), date, wareki, score, serial, status]


@dataclass(frozen=True)
class Cp932Problem:
    """Text of one row that CP932 cannot hold, with the person it belongs to."""

    line: int          # row number in the file (the header is line 1)
    column: str
    chars: str
    name: str          # 氏名 as exported
    employee_no: str   # 職員番号 ('' when none)


def cp932_problems(data: Iterable[tuple], limit: int = 200) -> list[Cp932Problem]:
    """The text that CP932 cannot hold, from ``text_rows``: each with its row number, column,
    characters and whose row it is (氏名 and 職員番号, so the clerk can find the person). Rows are
    tried whole first; only a row that fails is looked at cell by cell."""
    problems = []
    for number, row in enumerate(data, start=2):
        try:
            "\x1f".join(map(str, row)).encode("cp932")
            continue
        except UnicodeEncodeError:
            pass
        for column, cell in zip(HEADER, row):
            bad = "".join(sorted({ch for ch in str(cell) if not _cp932_ok(ch)}))
            if bad:
                problems.append(Cp932Problem(number, column, bad, str(row[1]), str(row[0] or "")))
                if len(problems) >= limit:
                    return problems
    return problems


def _cp932_ok(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _geta(error: UnicodeEncodeError) -> tuple[str, int]:
    """Encoding error handler for CP932: what it cannot hold becomes 〓 (one per character)."""
    return REPLACEMENT * (error.end - error.start), error.end


codecs.register_error("training-geta", _geta)


def stream_csv(data: Iterable[tuple], encoding: str = "utf-8-sig") -> Iterator[bytes]:
    """CSV bytes from ready cells (``text_rows``), a batch of rows at a time. CP932 replaces
    what it cannot hold with 〓."""
    if encoding not in ("utf-8-sig", "cp932"):
        raise FilterError("文字コードは utf-8-sig か cp932 を指定してください。")
    codec, errors = ("cp932", "training-geta") if encoding == "cp932" else ("utf-8", "strict")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode(codec, errors)

    yield (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + flush()
    rows = iter(data)
    while True:
        batch = list(islice(rows, BATCH))
        if not batch:
            break
        writer.writerows(batch)
        yield flush()


#: Column widths of the XLSX, in characters.
XLSX_WIDTHS = [12, 18, 20, 20, 18, 32, 22, 12, 18, 8, 16, 8]


def write_xlsx(data: Iterable[list], target, heading: str = "修了記録") -> int:
    """The completion records as XLSX (training.spreadsheet.write_xlsx_table: constant memory,
    typed cells, frozen filtered header, print-ready with ``heading`` on each page). Returns
    the number of data rows."""
    return write_xlsx_table(target, sheet="修了者", header=HEADER, widths=XLSX_WIDTHS, rows=data, heading=heading)
