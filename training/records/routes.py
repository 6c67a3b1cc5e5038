"""Personnel pages: export completion records (CSV for Excel, CP932 CSV, XLSX)."""
from __future__ import annotations

import datetime as dt
import io
import re

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import current_user
from sqlalchemy import select

from training import audit, clock
from training.auth.access import roles_required
from training.content import current_content
from training.dates import JST, fiscal_year_of, today_jst
from training.extensions import db
from training.integers import parse_int, query_int
from training.text_input import too_long
from training.models import AUDIENCES, COMPLETION_KINDS, ApiToken, Cohort, CourseCompletion, User, utcnow
from training.learn.checkins import MIN_ANSWERS
from training.records import api
from training.records import dashboard as reports
from training.records import export
from training.records import search as people_search
from training.site_settings import load as load_settings

bp = Blueprint("records", __name__, url_prefix="/records")


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise export.FilterError(f"日付「{value}」は YYYY-MM-DD の形で指定してください。") from None


_SPACED_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")


def parse_updated_since(value: str | None) -> dt.datetime | None:
    """``updated_since`` (ISO 8601: ``2026-12-01``, ``2026-12-01T09:00``, ``…+09:00``, ``…Z``) as an
    aware time; a time without an offset, and a date alone (its 0:00), are Japanese time."""
    raw = (value or "").strip()
    if not raw:
        return None
    # An unencoded "+09:00" in a query string arrives as " 09:00".
    raw = _SPACED_OFFSET.sub(lambda m: "+" + m.group(1), raw) if "T" in raw else raw
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise export.FilterError(
            f"updated_since「{value[:40]}」は ISO 8601 の日付か日時で指定してください"
            "（例：2026-12-01、2026-12-01T09:00:00+09:00。時差を書かないときは日本時間です）。") from None
    if not 2000 <= moment.year <= 2100:  # before any zone arithmetic: year 1 or 9999 would overflow
        raise export.FilterError("updated_since は2000年〜2100年の日時で指定してください。")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(dt.timezone.utc)


def filters_from(form) -> export.Filters:
    year = (form.get("fiscal_year") or "").strip()
    if year and parse_int(year) is None:
        raise export.FilterError("年度は西暦の数字で指定してください（例：2026）。")
    cohort = (form.get("cohort_id") or "").strip()
    if cohort and parse_int(cohort) is None:
        # An id no row can have must not widen the export to every class.
        raise export.FilterError("クラスの指定が正しくありません。一覧から選び直してください。")
    filters = export.Filters(
        fiscal_year=parse_int(year) if year else None, date_from=_date(form.get("date_from")),
        date_to=_date(form.get("date_to")), department=(form.get("department") or "").strip(),
        audience=form.get("audience") or "", course_id=form.get("course_id") or "",
        kind=(form.get("kind") or "").strip(),
        cohort_id=parse_int(cohort), department_as=(form.get("department_as") or "completion").strip(),
        updated_since=parse_updated_since(form.get("updated_since")))
    filters.check()
    return filters


def _form_context(values, error=None, empty=None):
    departments = sorted({d for d in db.session.scalars(select(User.department).distinct()) if d}
                         | {d for d in db.session.scalars(select(CourseCompletion.department_name).distinct()) if d})
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.fiscal_year.desc(), Cohort.name)).all()
    return dict(values=values, error=error, empty=empty, departments=departments, cohorts=cohorts, audiences=AUDIENCES,
                kinds=COMPLETION_KINDS,
                courses=current_content().courses)


@bp.route("/export", methods=["GET", "POST"])
@roles_required("personnel", "admin")
def export_page():
    """Choose filters and a format; the download starts at once (CP932 asks first when
    some characters cannot be written)."""
    if request.method == "GET":
        return render_template("records/export.html",
                               **_form_context({"fiscal_year": str(fiscal_year_of(today_jst())), "format": "csv"}))
    values = request.form.to_dict()
    try:
        filters = filters_from(request.form)
    except export.FilterError as exc:
        return render_template("records/export.html", **_form_context(values, str(exc))), 400
    fmt = values.get("format", "csv")
    content, today = current_content(), today_jst()
    count = export.count(filters, today)
    if count == 0:
        # A file with only a header would look like a failed download: say so on the page.
        return render_template("records/export.html", **_form_context(
            values, empty="選んだ条件に合う修了記録はありません。ファイルは作っていません。年度や所属などの条件を見直してください。"))
    if count > current_app.config["RECORDS_EXPORT_DIRECT_MAX"]:
        return _export_job(values, fmt, filters, content, today, count)
    if fmt == "csv_cp932" and values.get("replace") != "1":
        problems = export.cp932_problems(export.text_rows(filters, content, today))
        if problems:
            return render_template("records/cp932.html", problems=problems, values=values)
    audit.record("records.export", format=fmt, rows=count, filters={k: v for k, v in values.items()
                                                                      if k not in ("csrf_token",) and v})
    db.session.commit()
    stamp = clock.file_stamp()  # JST, whatever the server's zone
    if fmt == "xlsx":
        # Rows stream into the write-only workbook; only the compressed file (a few MB for
        # 100,000 rows) is held until it is sent.
        target = io.BytesIO()
        export.write_xlsx(export.rows(filters, content, today), target,
                          heading=f"修了記録（{filters.describe(content)}）")
        response = Response(target.getvalue(),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        name = f"completions-{stamp}.xlsx"
    else:
        encoding = "cp932" if fmt == "csv_cp932" else "utf-8-sig"
        body = stream_with_context(export.stream_csv(export.text_rows(filters, content, today), encoding))
        # The label says what the bytes are: Shift_JIS (CP932) or UTF-8 (with its BOM).
        charset = "shift_jis" if encoding == "cp932" else "utf-8"
        response = Response(body, content_type=f"text/csv; charset={charset}")
        name = f"completions-{stamp}{'-sjis' if encoding == 'cp932' else ''}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export_job(values, fmt, filters, content, today, count):
    """A large export is made by the worker (issue 18); its page shows the progress and the file."""
    from training import jobs

    form = {k: v for k, v in values.items() if k != "csrf_token" and v}
    suffix = ".xlsx" if fmt == "xlsx" else ("-sjis.csv" if fmt == "csv_cp932" else ".csv")
    name = f"completions-{clock.file_stamp()}{suffix}"
    title = f"修了記録の出力（{count:,}件・{filters.describe(content)}）"
    job = jobs.start("records_export", current_user, {"form": form, "today": today.isoformat()},
                     title=title if len(title) <= 200 else title[:199] + "…", file_name=name)
    return redirect(url_for("jobs.job_page", job_id=job.id))


@bp.route("/")
@roles_required("personnel", "admin")
def dashboard():
    """Gatekeepers trained this fiscal year against the target, by audience, department, month."""
    year = query_int("year", fiscal_year_of(today_jst()), minimum=2000, maximum=2100)
    settings = load_settings()
    department_as = "today" if request.args.get("department_as") == "today" else "completion"
    board = reports.build(year, settings.yearly_target, current_content(), department_as=department_as)
    through = reports.months_begun(year, today_jst())
    return render_template("records/dashboard.html", board=board, chart=reports.chart(board, through=through),
                           through=through,
                           min_checkins=MIN_ANSWERS, department_as=department_as)


@bp.route("/report")
@roles_required("personnel", "admin")
def yearly_report_page():
    """The yearly report (年次報告) of a fiscal year, with buttons making its PDF and XLSX."""
    from training.records import yearly_report

    year = query_int("year", fiscal_year_of(today_jst()), minimum=2000, maximum=2100)
    settings = load_settings()
    report = yearly_report.build(year, settings.yearly_target, current_content(),
                                 organisation=settings.organisation_name)
    return render_template("records/yearly_report.html", **yearly_report.template_context(report))


@bp.route("/report/file", methods=["POST"])
@roles_required("personnel", "admin")
def yearly_report_file():
    """Make the report's PDF or XLSX in the worker; its job page shows the progress and the file."""
    from training import jobs
    from training.jobs.yearly_report import FORMATS
    from training.teach.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    year = parse_int((request.form.get("year") or "").strip(), minimum=2000, maximum=2100)
    fmt = request.form.get("format", "")
    if year is None or fmt not in FORMATS:
        flash("年度（2000〜2100）と形式（PDF か XLSX）を選び直してください。", "error")
        return redirect(url_for("records.yearly_report_page"))
    label = "PDF" if fmt == "pdf" else "Excel（XLSX）"
    job = jobs.start("yearly_report", current_user, {"year": year, "format": fmt},
                     title=f"年次報告（{year}年度・{label}）", file_name=f"yearly-report-{year}-{clock.file_stamp()}.{fmt}")
    return redirect(url_for("jobs.job_page", job_id=job.id))


@bp.route("/people")
@roles_required("personnel", "admin")
def people():
    """Find a trainee by name, kana, login id or 職員番号 (folded: 高橋 finds 髙橋, 4513 finds 004513)."""
    query = request.args.get("q", "").strip()
    found = people_search.search(query) if query else people_search.Found([], False)
    return render_template("records/people.html", query=query, found=found, person_endpoint="records.person",
                           search_endpoint="records.people", heading="個人の履歴",
                           max_length=people_search.MAX_QUERY_LENGTH)


@bp.route("/people/<int:user_id>")
@roles_required("personnel", "admin")
def person(user_id: int):
    """One trainee's classes, work in progress, completions and certificates."""
    user = people_search.load_person(user_id)
    return render_template("records/person.html", history=people_search.history(user), for_personnel=True,
                           back=url_for("records.people"))


@bp.route("/api-help")
@roles_required("personnel", "admin")
def api_help():
    """How an HR system reads completions: tokens, parameters, fields, paging and its cap, examples."""
    return render_template("records/api_help.html", fields=api.FIELD_HELP, max_per_page=api.MAX_PER_PAGE,
                           default_per_page=api.DEFAULT_PER_PAGE, limit=api.API_LIMIT,
                           site=request.host_url.rstrip("/"), courses=current_content().courses,
                           audiences=AUDIENCES, kinds=COMPLETION_KINDS)


@bp.route("/tokens", methods=["GET", "POST"])
@roles_required("personnel", "admin")
def tokens():
    """API tokens for HR systems: create (shown once), list, revoke."""
    created = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        too_long_name = too_long(name, ApiToken.__table__.c.name.type.length)
        if not name:
            flash("用途（名前）を入力してください。", "error")
        elif too_long_name:
            flash(f"用途（名前）は{too_long_name}", "error")
        else:
            token, digest = api.new_token()
            row = ApiToken(name=name, token_hash=digest, prefix=token[:10], created_by_id=current_user.id)
            db.session.add(row)
            db.session.flush()
            audit.record("api.token_create", target_type="api_token", target_id=row.id, name=name)
            db.session.commit()
            created = token
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    return render_template("records/tokens.html", tokens=rows, created=created)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required("personnel", "admin")
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api.token_revoke", target_type="api_token", target_id=token.id, name=token.name)
        db.session.commit()
        flash(f"トークン「{token.name}」を無効にしました。", "info")
    return redirect(url_for("records.tokens"))
