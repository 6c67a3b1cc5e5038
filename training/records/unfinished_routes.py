"""未修了者 by department for personnel: everyone in a fiscal year's non-archived classes with
an assignment not complete (past its due date by default), counted and listed by the
person's current department, with the XLSX of the same list. Read-only: reminders go out
from each class's page, where the instructor who runs the class sees the outbox."""
from __future__ import annotations

import io

from flask import Response, abort, render_template, request
from sqlalchemy import select

from training import audit, clock, unfinished
from training.auth.access import roles_required
from training.content import current_content
from training.database import writes_on_get
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.integers import query_int
from training.models import Cohort
from training.records.routes import bp

#: Rows shown on the page; the XLSX has them all.
SHOWN = 500


def _query():
    year = query_int("year", fiscal_year_of(today_jst()), minimum=2000, maximum=2100)
    status = (request.args.get("status") or "overdue").strip()
    department = (request.args.get("department") or "").strip()[:200]
    return year, status, department


def _summary(rows) -> list[tuple[str, str, int, int]]:
    """(key, label, people, items) per department, by label."""
    items: dict[str, int] = {}
    for row in rows:
        items[row.department[0]] = items.get(row.department[0], 0) + 1
    return [(key, label, people, items[key]) for key, label, people in unfinished.departments(rows)]


@bp.route("/unfinished")
@roles_required("personnel", "admin")
def unfinished_page():
    """未修了者 by department for one fiscal year."""
    year, status, department = _query()
    notes = []
    if status not in unfinished.FILTERS:
        notes.append("表示の条件は一覧から選んでください（期限超過の方を表示しています）。")
        status = "overdue"
    today = today_jst()
    rows = unfinished.choose(unfinished.year_rows(year, current_content(), today), status)
    summary = _summary(rows)
    if department and department not in {s[0] for s in summary}:
        notes.append("その所属の未修了者はいません（すべての所属を表示しています）。")
        department = ""
    shown = unfinished.choose(rows, status, department)
    years = sorted({year, fiscal_year_of(today), *db.session.scalars(select(Cohort.fiscal_year).distinct())},
                   reverse=True)
    return render_template("records/unfinished.html", year=year, years=years, status=status,
                           department=department, filters=unfinished.FILTERS, summary=summary,
                           rows=shown[:SHOWN], total=len(shown), more=len(shown) > SHOWN,
                           people=len({r.user.id for r in rows}), today=today, notes=notes)


@bp.route("/unfinished.xlsx")
@roles_required("personnel", "admin")
@writes_on_get
def unfinished_xlsx():
    """The same list (year, status, department) as XLSX."""
    year, status, department = _query()
    if status not in unfinished.FILTERS:
        abort(400, description="表示の条件は overdue（期限超過）か unfinished（未修了すべて）で指定してください。")
    today = today_jst()
    rows = unfinished.choose(unfinished.year_rows(year, current_content(), today), status, department)
    where = f"・{rows[0].department[1]}" if department and rows else ""
    title = (f"未修了者一覧（{unfinished.FILTERS[status]}{where}）　{year}年度の実施中のクラス　"
             f"{unfinished.as_of(today)}")
    out = io.BytesIO()
    count = unfinished.write_xlsx(out, sheet="未修了者", title=title, header=unfinished.YEAR_HEADER,
                                  widths=unfinished.YEAR_WIDTHS, rows=unfinished.year_sheet_rows(rows))
    audit.record("records.unfinished_export", fiscal_year=year, status=status, department=department or None,
                 rows=count)
    db.session.commit()
    response = Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="unfinished-{year}-{clock.file_stamp()}.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
