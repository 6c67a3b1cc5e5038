"""The yearly report (年次報告) for the council's papers: one fiscal year on one page, as XLSX
and as PDF, from the same figures as the dashboard (training/records/dashboard.py).

What it holds: gatekeepers trained against the target; by kind (e-learning, in-person,
blended: each person once, under the kind of their first completion of the year), by audience
(split by kind), by month, by department (with the share of staff trained where the department
master has the department's staff count for that year); the in-person sessions held and their
attendance; the pre/post survey change on paired answers only, with n. Department and audience
are those at completion, so a closed year's report does not move after April's transfers.

A department of the report is matched to the master by ``departments.name_key`` among the
master's departments valid in the year; master departments of the year with nobody trained are
listed with 0 (a council wants to see where nobody came), in the master's code order; names
outside the master (older names, （所属なし）) follow. The staff share's total counts only the
departments with a staff count, people and staff alike.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select

from training import clock
from training.content.model import Content
from training.dates import JST, fiscal_year_bounds, today_jst
from training.departments import name_key
from training.extensions import db
from training.inperson.rules import STATUSES, counts
from training.models import COMPLETION_KINDS, Department, SessionParticipant, TrainingSession
from training.models.session import SESSION_MODES
from training.records import dashboard as reports

NO_DEPARTMENT = "（所属なし）"
_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "records"


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    people: int
    staff: int | None                      # from the master, when it has a count for the year
    in_master: bool = False

    @property
    def share(self) -> float | None:
        """Percent of the staff trained (one decimal), where the staff count is known."""
        return round(100 * self.people / self.staff, 1) if self.staff else None


@dataclass(frozen=True)
class SessionRow:
    held_on: dt.date
    title: str
    course_title: str
    mode: str
    capacity: int | None
    statuses: Counter                      # status (or None: not recorded) -> participants
    counted: int                           # attendances that count (training.inperson.rules.counts)

    @property
    def registered(self) -> int:
        return sum(self.statuses.values())

    @property
    def mode_label(self) -> str:
        return {"in_person": "集合研修のみ", "blended": "ブレンド"}.get(self.mode, SESSION_MODES.get(self.mode, self.mode))


@dataclass(frozen=True)
class YearlyReport:
    board: reports.Dashboard
    departments: list[DepartmentRow]
    sessions: list[SessionRow]             # held (on or before today), oldest first
    planned: int                           # sessions of the year still to come
    made_at: dt.datetime                   # JST
    organisation: str
    kinds: dict[str, str] = field(default_factory=lambda: dict(COMPLETION_KINDS))

    @property
    def fiscal_year(self) -> int:
        return self.board.fiscal_year

    @property
    def period(self) -> str:
        first, last = fiscal_year_bounds(self.fiscal_year)
        return f"{first.year}年{first.month}月〜{last.year}年{last.month}月"

    @property
    def title(self) -> str:
        return f"ゲートキーパー養成 年次報告（{self.fiscal_year}年度）"

    @property
    def subtitle(self) -> str:
        made = self.made_at
        return (f"{self.organisation}・対象期間 {self.period}・{made.year}年{made.month}月{made.day}日 "
                f"{made:%H:%M}（日本時間）現在・所属と受講区分は修了した時点のもの・1人を年度に1回数えます")

    @property
    def percent(self) -> float:
        """Trained of the target, in percent with one decimal (1 of 350 is 0.3%, not 0%)."""
        return round(100 * self.board.trained / self.board.target, 1) if self.board.target else 0.0

    @property
    def staff_total(self) -> int:
        return sum(row.staff for row in self.departments if row.staff)

    @property
    def staff_trained(self) -> int:
        return sum(row.people for row in self.departments if row.staff)

    @property
    def staff_share(self) -> float | None:
        return round(100 * self.staff_trained / self.staff_total, 1) if self.staff_total else None

    def session_total(self, status: str | None) -> int:
        return sum(row.statuses.get(status, 0) for row in self.sessions)

    @property
    def registered(self) -> int:
        return sum(row.registered for row in self.sessions)

    @property
    def counted(self) -> int:
        return sum(row.counted for row in self.sessions)

    @property
    def attendance_rate(self) -> float | None:
        """Attendances that count, of those whose attendance was recorded (unrecorded left out)."""
        recorded = self.registered - self.session_total(None)
        return round(100 * self.counted / recorded, 1) if recorded else None

    def audience_rows(self) -> list[tuple[str, list[int], int]]:
        """(audience, people per kind in COMPLETION_KINDS order, total), most people first."""
        rows = [(audience, [kinds.get(kind, 0) for kind in self.kinds], sum(kinds.values()))
                for audience, kinds in self.board.by_audience_kind.items()]
        return sorted(rows, key=lambda row: (-row[2], row[0]))


def _departments(year: int, trained: list[tuple[str, int]]) -> list[DepartmentRow]:
    master = db.session.scalars(select(Department).where(
        or_(Department.valid_from_fy.is_(None), Department.valid_from_fy <= year),
        or_(Department.valid_to_fy.is_(None), Department.valid_to_fy >= year)).order_by(Department.code)).all()
    people = {}
    for name, count in trained:
        key = name_key(name) if name != NO_DEPARTMENT else ""
        people[key] = (name, people.get(key, ("", 0))[1] + count)
    rows = []
    for dept in master:
        _name, count = people.pop(name_key(dept.name), ("", 0))
        rows.append(DepartmentRow(dept.name, count, dept.staff_count, in_master=True))
    rest = sorted(people.values(), key=lambda item: (item[0] == NO_DEPARTMENT, -item[1], item[0]))
    return rows + [DepartmentRow(name, count, None) for name, count in rest]


def _sessions(year: int, today: dt.date, titles: dict[str, str]) -> tuple[list[SessionRow], int]:
    first, last = fiscal_year_bounds(year)
    sessions = db.session.scalars(select(TrainingSession).where(
        TrainingSession.held_on >= first, TrainingSession.held_on <= last)
        .order_by(TrainingSession.held_on, TrainingSession.starts_at, TrainingSession.id)).all()
    held = [s for s in sessions if s.held_on <= today]
    marks: dict[int, list[tuple[str | None, bool]]] = {}
    if held:
        for session_id, status, confirmed in db.session.execute(
                select(SessionParticipant.session_id, SessionParticipant.status, SessionParticipant.left_early_confirmed)
                .where(SessionParticipant.session_id.in_([s.id for s in held]))):
            marks.setdefault(session_id, []).append((status, bool(confirmed)))
    return [SessionRow(s.held_on, s.title, titles.get(s.course_id, s.course_id), s.mode, s.capacity,
                       Counter(status for status, _ in marks.get(s.id, [])),
                       sum(1 for status, confirmed in marks.get(s.id, []) if counts(status, confirmed)))
            for s in held], len(sessions) - len(held)


def build(year: int, target: int, content: Content, *, organisation: str, today: dt.date | None = None,
          now: dt.datetime | None = None) -> YearlyReport:
    today = today or today_jst()
    board = reports.build(year, target, content)
    sessions, planned = _sessions(year, today, {course.id: course.title for course in content.courses})
    return YearlyReport(board=board, departments=_departments(year, board.all_departments), sessions=sessions,
                        planned=planned, made_at=(now or clock.now()).astimezone(JST),
                        organisation=organisation)


STATUS_COLUMNS = [*STATUSES.items(), (None, "未記録")]


@dataclass(frozen=True)
class SurveySummary:
    """One course's paired survey in one line: the mean over its items of each side's figure."""
    course_title: str
    people: int
    efficacy: tuple[float | None, float | None, float | None]    # pre, post, change (1–5)
    knowledge: tuple[float | None, float | None, float | None]   # pre, post, change (% correct)
    efficacy_items: int
    knowledge_items: int


def _means(items) -> tuple[float | None, float | None, float | None]:
    pairs = [(i.pre, i.post) for i in items if i.n and i.pre is not None and i.post is not None]
    if not pairs:
        return (None, None, None)
    pre = round(sum(p for p, _ in pairs) / len(pairs), 2)
    post = round(sum(q for _, q in pairs) / len(pairs), 2)
    return (pre, post, round(post - pre, 2))


def survey_summary(report: YearlyReport) -> list[SurveySummary]:
    """Per course with paired answers, the item means of the efficacy items (1–5) and of the
    knowledge items (% correct), over the items answered both times by at least one person."""
    rows = []
    for group in report.board.surveys:
        efficacy = [i for i in group.items if i.kind == "efficacy"]
        knowledge = [i for i in group.items if i.kind != "efficacy"]
        rows.append(SurveySummary(group.course.title, group.people, _means(efficacy), _means(knowledge),
                                  sum(1 for i in efficacy if i.n), sum(1 for i in knowledge if i.n)))
    return rows


def survey_rows(report: YearlyReport) -> list[tuple[str, list]]:
    """Per course with paired answers: (heading, [(item, kind label, n, pre, post, change)])."""
    return [(f"{group.course.title}（同じ方の事前・事後 n＝{group.people}人）",
             [(item.text, "自己効力感（1〜5）" if item.kind == "efficacy" else "知識（正答率%）",
               item.n, item.pre, item.post, item.change) for item in group.items])
            for group in report.board.surveys]


# XLSX ---------------------------------------------------------------------------------------

def write_xlsx(report: YearlyReport, target) -> None:
    """The report as one print-ready sheet: A4 landscape, all columns on one page width, the
    title and its conditions at the top of every page (rows repeated and in the page header),
    「n / m ページ」 at the foot. Figures are number cells; every text cell is neutralised."""
    import xlsxwriter

    from training.spreadsheet import neutralise

    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": report.title, "subject": report.subtitle, "author": report.organisation})
    ws = book.add_worksheet("年次報告")
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"font_size": 9, "font_color": "#4A5A63"}),
        "section": book.add_format({"bold": True, "font_size": 11, "font_color": "#144C49", "bottom": 2,
                                    "bottom_color": "#1F6F6B"}),
        "head": book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F6F6B", "align": "center",
                                 "valign": "vcenter", "text_wrap": True, "border": 1}),
        "text": book.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "bold": book.add_format({"border": 1, "bold": True, "bg_color": "#EEF4F3"}),
        "int": book.add_format({"border": 1, "num_format": "#,##0"}),
        "int_bold": book.add_format({"border": 1, "num_format": "#,##0", "bold": True, "bg_color": "#EEF4F3"}),
        "pct": book.add_format({"border": 1, "num_format": "0.0\"%\""}),
        "pct_bold": book.add_format({"border": 1, "num_format": "0.0\"%\"", "bold": True, "bg_color": "#EEF4F3"}),
        "dec": book.add_format({"border": 1, "num_format": "0.00"}),
        "signed": book.add_format({"border": 1, "num_format": "+0.00;-0.00;0.00"}),
        "date": book.add_format({"border": 1, "num_format": "yyyy/mm/dd"}),
        "dash": book.add_format({"border": 1, "align": "center", "font_color": "#6B7A82"}),
    }
    ws.set_column(0, 0, 40)
    ws.set_column(1, 13, 9.5)
    row = 0

    numbers = {"int", "int_bold", "pct", "pct_bold", "dec", "signed"}

    def cell(r, c, value, style="int"):
        """A number cell in ``style``; text (bold in a total row); None as a dash; a date."""
        if value is None:
            ws.write_string(r, c, "—", fmt["dash"])
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt["date"])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r, c, value, fmt[style if style in numbers else "int"])
        else:
            ws.write_string(r, c, neutralise(value), fmt["bold" if style.endswith("bold") else "text"])

    def table(heading: str, header: list[str], rows: list[list], styles: list[str] | None = None,
              total: list | None = None, note: str | None = None):
        nonlocal row
        styles = styles or ["text"] + ["int"] * (len(header) - 1)
        ws.write_string(row, 0, neutralise(heading), fmt["section"])
        for column in range(1, len(header)):
            ws.write_blank(row, column, None, fmt["section"])
        row += 1
        if note:
            ws.write_string(row, 0, neutralise(note), fmt["note"])
            row += 1
        ws.set_row(row, 30)
        for column, text in enumerate(header):
            ws.write_string(row, column, neutralise(text), fmt["head"])
        row += 1
        for values in rows:
            for column, value in enumerate(values):
                cell(row, column, value, styles[column])
            row += 1
        if total is not None:
            for column, value in enumerate(total):
                base = styles[column]
                cell(row, column, value, base + "_bold" if base in ("int", "pct") else "bold")
            row += 1
        row += 1

    board = report.board
    ws.write_string(0, 0, neutralise(report.title), fmt["title"])
    ws.write_string(1, 0, neutralise(report.subtitle), fmt["note"])
    row = 3
    table("1. 養成したゲートキーパーと目標",
          ["養成した人数", "目標", "達成率", "修了件数", "複数の形式で修了"],
          [[board.trained, board.target, report.percent, board.completions, board.mixed]],
          styles=["int", "int", "pct", "int", "int"],
          note="人数：年度内に1回以上修了した方（1人を1回）。修了件数：講座ごと・回ごとの修了の数。")
    kinds = list(report.kinds.values())
    table(f"2. 研修の形式別（n＝{board.trained}人）", ["研修の形式", "人数", "この形式で修了した人", "修了件数"],
          [[k.label, k.people, k.any_people, k.completions] for k in board.by_kind],
          total=["合計", board.trained, None, board.completions],
          note="人数は年度で最初に修了したときの形式で1人を1回数えます（足すと合計）。"
               "「この形式で修了した人」は一度でもその形式で修了した方（重なりあり）。")
    audience_rows = report.audience_rows()
    table(f"3. 受講区分別（n＝{board.trained}人）", ["受講区分", *kinds, "合計"],
          [[audience, *values, total] for audience, values, total in audience_rows],
          total=["合計", *[sum(values[i] for _, values, _ in audience_rows) for i in range(len(kinds))],
                 board.trained])
    table(f"4. 月別（その年度に初めて修了した月・n＝{board.trained}人）", ["", *[f"{m}月" for m, _, _ in board.by_month], "計"],
          [["人数", *[count for _, count, _ in board.by_month], board.trained],
           ["累計", *[cumulative for _, _, cumulative in board.by_month], None]])
    table(f"5. 所属別（修了した時点の所属・n＝{board.trained}人）", ["所属", "人数", "職員数", "受講率"],
          [[d.name, d.people, d.staff, d.share] for d in report.departments],
          styles=["text", "int", "int", "pct"],
          total=["合計（職員数のある所属）", report.staff_trained, report.staff_total or None, report.staff_share],
          note="職員数と受講率は、所属マスタに職員数が登録されている所属だけです（受講率＝人数÷職員数）。")
    status_labels = [label for _, label in STATUS_COLUMNS]
    table(f"6. 集合研修の開催と出欠（開催 {len(report.sessions)}回・今後の予定 {report.planned}回）",
          ["研修名", "開催日", "講座", "形式", "定員", "登録", *status_labels, "受講扱い"],
          [[s.title, s.held_on, s.course_title, s.mode_label, s.capacity, s.registered,
            *[s.statuses.get(key, 0) for key, _ in STATUS_COLUMNS], s.counted] for s in report.sessions],
          styles=["text", "int", "text", "text", "int", "int", *["int"] * len(STATUS_COLUMNS), "int"],
          total=["合計", None, None, None, None, report.registered,
                 *[report.session_total(key) for key, _ in STATUS_COLUMNS], report.counted] if report.sessions else None,
          note=f"受講扱い：出席・遅刻と、内容をすべて受けたと確認した早退。出席率（受講扱い÷出欠を記録した方）："
               f"{'—' if report.attendance_rate is None else str(report.attendance_rate) + '%'}")
    summary = survey_summary(report)
    table("7. 研修前後アンケートの変化（講座別・同じ方の事前と事後の回答だけ）",
          ["講座", "n（人）", "自己効力感 事前", "事後", "変化", "知識 正答率 事前", "事後", "変化"],
          [[s.course_title, s.people, *s.efficacy, *s.knowledge] for s in summary],
          styles=["text", "int", "dec", "dec", "signed", "pct", "pct", "signed"],
          note="自己効力感：1〜5の平均、知識：正答率（%）。どちらも、その講座の項目ごとの値の平均（項目ごとの n と値は別表）。"
               if summary else "この年度に事前・事後の両方に答えた方はいません。")
    if summary:
        ws.write_string(row, 0, "別表 研修前後アンケートの項目ごとの変化", fmt["section"])
        for column in range(1, 6):
            ws.write_blank(row, column, None, fmt["section"])
        row += 1
    for heading, items in survey_rows(report):
        ws.write_string(row, 0, neutralise(heading), book.add_format({"bold": True}))
        row += 1
        ws.set_row(row, 30)
        for column, text in enumerate(["項目", "種類", "n", "事前", "事後", "変化"]):
            ws.write_string(row, column, text, fmt["head"])
        row += 1
        for text, kind, n, pre, post, change in items:
            # Wrapped text does not grow its row by itself: about 20 full-width characters a line.
            ws.set_row(row, 15 * max(1, -(-len(text) // 20), -(-len(kind) // 5)))
            cell(row, 0, text, "text")
            cell(row, 1, kind, "text")
            cell(row, 2, n)
            cell(row, 3, pre, "dec" if kind.startswith("自己") else "pct")
            cell(row, 4, post, "dec" if kind.startswith("自己") else "pct")
            cell(row, 5, change, "signed")
            row += 1
        row += 1
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.6)
    ws.repeat_rows(0, 1)
    ws.print_area(0, 0, row, 13)
    ws.set_header("&L" + (report.title + "　" + report.period).replace("&", "&&")[:200])
    ws.set_footer("&L" + report.organisation.replace("&", "&&")[:100] + "&C&P / &N ページ")
    book.close()


# PDF ----------------------------------------------------------------------------------------

def template_context(report: YearlyReport) -> dict:
    """What records/_yearly_report_body.html needs (the page and the PDF show the same)."""
    return dict(report=report, board=report.board, chart=reports.chart(report.board, width=720, height=150),
                statuses=STATUS_COLUMNS, surveys=survey_rows(report), summary=survey_summary(report))


def render_html(report: YearlyReport) -> str:
    from flask import render_template

    return render_template("records/yearly_report_print.html", **template_context(report))


def write_pdf(report: YearlyReport) -> bytes:
    """The report as an A4 landscape PDF (Noto Sans CJK JP, embedded and subset): the title and
    period in every page's header, page numbers at the foot, table headers repeated on a new
    page. Only inline resources are fetched (the certificates' fetcher)."""
    from weasyprint import CSS, HTML

    from training.certificates.pdf import _font_config, safe_url_fetcher

    css = CSS(string=(_TEMPLATES / "yearly_report.css").read_text(encoding="utf-8"), url_fetcher=safe_url_fetcher,
              font_config=_font_config())
    return HTML(string=render_html(report), url_fetcher=safe_url_fetcher, base_url=None).write_pdf(
        stylesheets=[css], font_config=_font_config())
