"""Completion records for Excel and HR systems: filters, rows, CSV (UTF-8 BOM or CP932) and
XLSX, streamed so that 100,000 records need no more memory than a few hundred."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import and_, select

from training.certificates.issue import REVOKED, EXPIRED, state
from training.content.model import Content
from training.dates import JST, fiscal_year_bounds, format_wareki
from training.extensions import db
from training.models import AUDIENCES, Certificate, CohortMember, CourseCompletion, User
from training.spreadsheet import neutralise

HEADER = ["職員番号", "氏名", "ふりがな", "所属", "受講区分", "コース", "修了日", "修了日(和暦)", "得点", "修了証番号", "状態"]
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

    def check(self) -> None:
        if self.fiscal_year is not None and not 2000 <= self.fiscal_year <= 2100:
            raise FilterError("年度は2000〜2100の西暦で指定してください（例：2026 は 2026年4月〜2027年3月）。")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError("期間の開始日が終了日より後になっています。")
        if self.audience and self.audience not in AUDIENCES:
            raise FilterError("受講区分の指定が正しくありません。")

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


def statement(filters: Filters):
    """Completions with their person and current certificate, oldest first."""
    start, end = filters.bounds()
    stmt = (select(CourseCompletion.course_id, CourseCompletion.completed_at, CourseCompletion.score,
                   User.employee_no, User.display_name, User.name_kana, User.department, User.audience,
                   Certificate.serial, Certificate.revoked_at, Certificate.superseded_at, Certificate.valid_until)
            .join(User, User.id == CourseCompletion.user_id)
            .outerjoin(Certificate, and_(Certificate.course_completion_id == CourseCompletion.id,
                                         Certificate.superseded_at.is_(None)))
            .order_by(CourseCompletion.completed_at, CourseCompletion.id))
    if start:
        stmt = stmt.where(CourseCompletion.completed_at >= start)
    if end:
        stmt = stmt.where(CourseCompletion.completed_at < end)
    if filters.department:
        stmt = stmt.where(User.department == filters.department)
    if filters.audience:
        stmt = stmt.where(User.audience == filters.audience)
    if filters.course_id:
        stmt = stmt.where(CourseCompletion.course_id == filters.course_id)
    if filters.cohort_id:
        stmt = stmt.where(CourseCompletion.user_id.in_(
            select(CohortMember.user_id).where(CohortMember.cohort_id == filters.cohort_id)))
    return stmt


def rows(filters: Filters, content: Content, today: dt.date) -> Iterator[list]:
    """Typed rows (dates as dates, scores as numbers), fetched in batches."""
    return rows_for(statement(filters).execution_options(yield_per=BATCH), content, today)


def rows_for(stmt, content: Content, today: dt.date) -> Iterator[list]:
    """The export's rows for any form of its statement (paged for the API)."""
    result = db.session.execute(stmt)
    titles = {c.id: c.title for c in content.courses}
    wareki: dict[dt.date, str] = {}
    for (course_id, completed_at, score, employee_no, name, kana, department, audience, serial, revoked_at,
         superseded_at, valid_until) in result:
        day = completed_at.astimezone(JST).date()
        if day not in wareki:
            wareki[day] = format_wareki(day)
        yield [employee_no or "", name, kana or "", department or "", AUDIENCES.get(audience or "", ""),
               titles.get(course_id, course_id), day, wareki[day], score, serial or "",
               _status(serial, revoked_at, superseded_at, valid_until, today)]


def _status(serial, revoked_at, superseded_at, valid_until, today: dt.date) -> str:
    """有効 / 失効 / 取消 for the certificate columns (the rules of certificates.issue.state)."""
    if serial is None:
        return ""
    return STATUS[state(Certificate(revoked_at=revoked_at, superseded_at=superseded_at, valid_until=valid_until),
                        today)] if revoked_at or superseded_at or (valid_until and today > valid_until) else STATUS["valid"]


#: Columns holding text that people or content authors wrote; the others (dates, 和暦, score,
#: serial, status) are produced by the system in fixed formats that never start with =+-@.
TEXT_COLUMNS = 6


def _text_cells(row: list) -> list:
    cells = [neutralise(cell) for cell in row[:TEXT_COLUMNS]]
    cells.extend(cell.isoformat() if isinstance(cell, dt.date) else cell for cell in row[TEXT_COLUMNS:])
    return cells


def cp932_problems(data: Iterable[list], limit: int = 200) -> list[tuple[int, str, str]]:
    """(row number in the file, column, characters) for text that CP932 cannot hold."""
    problems = []
    for number, row in enumerate(data, start=2):
        for column, cell in zip(HEADER, _text_cells(row)):
            bad = "".join(sorted({ch for ch in str(cell) if not _cp932_ok(ch)}))
            if bad:
                problems.append((number, column, bad))
                if len(problems) >= limit:
                    return problems
    return problems


def _cp932_ok(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def stream_csv(data: Iterable[list], encoding: str = "utf-8-sig") -> Iterator[bytes]:
    """CSV bytes, a batch of rows at a time. CP932 replaces what it cannot hold with 〓."""
    if encoding not in ("utf-8-sig", "cp932"):
        raise FilterError("文字コードは utf-8-sig か cp932 を指定してください。")
    encoder = codecs.getincrementalencoder("cp932" if encoding == "cp932" else "utf-8")(
        errors="strict")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    pending = 1

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if encoding == "cp932":
            text = "".join(ch if _cp932_ok(ch) else REPLACEMENT for ch in text)
        return encoder.encode(text)

    yield (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + flush()
    for row in data:
        writer.writerow(_text_cells(row))
        pending += 1
        if pending >= BATCH:
            yield flush()
            pending = 0
    yield flush()


def write_xlsx(data: Iterable[list], target) -> int:
    """An XLSX workbook (write-only, so rows are not kept in memory): typed cells, a styled
    frozen header and an auto-filter. Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook(write_only=True)
    sheet = book.create_sheet("修了者")
    sheet.freeze_panes = "A2"
    widths = [12, 18, 20, 20, 18, 32, 12, 18, 8, 16, 8]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F6F6B")
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill, cell.alignment = header_font, header_fill, Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in data:
        # Plain values are typed by openpyxl: text stays text (職員番号 keeps its leading zeros),
        # dates become date cells, scores numbers. Only text is neutralised.
        sheet.append([value if isinstance(value, (int, dt.date)) or value is None else neutralise(value)
                      for value in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{chr(64 + len(HEADER))}{count + 1}"
    book.save(target)
    return count
