"""未修了者 by department for personnel: everyone in a fiscal year's non-archived classes with
an assignment not complete (past its due date by default), counted and listed by the
person's current department, with the XLSX of the same list.

The personnel clerk (personnel or admin) can send reminders from here, to chosen rows or to
all listed. A row is a person, a class and a target, so the form is sent as one group per
(class, target): each with the message the class's own page would use for that target (the
clerk's note on top), its own batch key derived from the form's (so a resubmission records
nothing twice and a person in two groups gets one in each), and the class page's 24-hour
confirmation. Reminders are recorded under their class with the clerk as sender: the class's
instructor sees them in the class's history and outbox. The clerk's own outbox (personnel:
what they recorded; admins: every queued reminder of the year's classes) is here too, as CSV
and marked sent like the class outbox.
"""
from __future__ import annotations

import io
import secrets

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from training import audit, clock, unfinished
from training.auth.access import roles_required
from training.content import current_content
from training.database import writes_on_get
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.integers import parse_int, query_int
from training.models import Cohort, CohortMember, Reminder, User
from training.records.routes import bp
from training.teach import reminders as reminder_mail
from training.teach.targets import cohort_targets
from training.text_input import too_long

#: Rows shown on the page; the XLSX has them all.
SHOWN = 500
#: Outbox rows shown on the page (the CSV has them all).
OUTBOX_SHOWN = 500
#: The clerk's note goes on top of the standard text: together well under the class page's 5,000.
NOTE_MAX = 2000
NOTHING_SENT = "（何も送っていません）"
CONFIRM_CHOICES = ("all", "skip_recent")


def _query(values=None):
    """(year, status, department) from the query string, or from a form (a bad year: 400)."""
    if values is None:
        year = query_int("year", fiscal_year_of(today_jst()), minimum=2000, maximum=2100)
        values = request.args
    else:
        year = parse_int(values.get("year") or "", minimum=2000, maximum=2100)
        if year is None:
            abort(400, description="年度は2000〜2100の半角数字で指定してください。")
    status = (values.get("status") or "overdue").strip()
    department = (values.get("department") or "").strip()[:200]
    return year, status, department


def _summary(rows) -> list[tuple[str, str, int, int]]:
    """(key, label, people, items) per department, by label."""
    items: dict[str, int] = {}
    for row in rows:
        items[row.department[0]] = items.get(row.department[0], 0) + 1
    return [(key, label, people, items[key]) for key, label, people in unfinished.departments(rows)]


def row_id(row) -> str:
    """How a row is named in the form: class, target and person."""
    return f"{row.cohort.id}:{row.target.key}:{row.user.id}"


def _outbox(year: int, limit: int | None = None):
    """The clerk's outbox: queued reminders of the year's non-archived classes, recorded by
    the clerk (admins: by anyone). (reminder, user, cohort) rows, oldest first."""
    query = (select(Reminder, User, Cohort).join(User, User.id == Reminder.user_id)
             .join(Cohort, Cohort.id == Reminder.cohort_id)
             .where(Reminder.status == "queued", Cohort.fiscal_year == year, Cohort.archived.is_(False))
             .order_by(Reminder.created_at, Reminder.id))
    if not current_user.has_role("admin"):
        query = query.where(Reminder.sent_by_id == current_user.id)
    if limit:
        query = query.limit(limit)
    return db.session.execute(query).all()


def _back(year: int, status: str, department: str, anchor: str | None = None):
    return redirect(url_for("records.unfinished_page", year=year, status=status, department=department or None,
                            _anchor=anchor))


def _message(row, note: str, url: str) -> tuple[str, str]:
    """The subject and body of one (class, target) group: the class page's standard text, the
    clerk's note on top."""
    subject, body = reminder_mail.default_message(row.cohort, row.target, row.target.due_on, url)
    return subject, (f"{note}\n\n{body}" if note else body)


def _page(year: int, status: str, department: str, *, error: str | None = None, code: int = 200,
          note: str = ""):
    notes = []
    if status not in unfinished.FILTERS:
        notes.append("表示の条件は一覧から選んでください（期限超過の方を表示しています）。")
        status = "overdue"
    today = today_jst()
    content = current_content()
    rows = unfinished.choose(unfinished.year_rows(year, content, today), status)
    summary = _summary(rows)
    if department and department not in {s[0] for s in summary}:
        notes.append("その所属の未修了者はいません（すべての所属を表示しています）。")
        department = ""
    shown = unfinished.choose(rows, status, department)
    years = sorted({year, fiscal_year_of(today), *db.session.scalars(select(Cohort.fiscal_year).distinct())},
                   reverse=True)
    preview = _message(shown[0], note, url_for("main.home", _external=True)) if shown else None
    outbox = _outbox(year, OUTBOX_SHOWN + 1)
    labels = {key: unfinished.target_label(content, key) for key in {r.target_key for r, _u, _c in outbox}}
    # A new key per page load: sending this form twice is one batch, loading the page again is a new one.
    return render_template("records/unfinished.html", year=year, years=years, status=status,
                           department=department, filters=unfinished.FILTERS, summary=summary,
                           rows=shown[:SHOWN], total=len(shown), more=len(shown) > SHOWN,
                           people=len({r.user.id for r in rows}), today=today, notes=notes, error=error,
                           row_id=row_id, batch=secrets.token_urlsafe(16), note=note, note_max=NOTE_MAX,
                           preview=preview, groups=len({(r.cohort.id, r.target.key) for r in shown}),
                           smtp=reminder_mail.smtp_configured(), outbox=outbox[:OUTBOX_SHOWN],
                           outbox_more=len(outbox) > OUTBOX_SHOWN, labels=labels,
                           admin=current_user.has_role("admin")), code


@bp.route("/unfinished", methods=["GET", "POST"])
@roles_required("personnel", "admin")
def unfinished_page():
    """未修了者 by department for one fiscal year; POST: reminders to chosen rows or to all listed."""
    if request.method == "POST":
        return _send(request.form)
    return _page(*_query())


def _chosen(form, rows, year: int):
    """(rows to remind, how many chosen have completed since) or a refusal message."""
    raw = form.getlist("row")
    if not raw:
        return "送る方を一覧で選んでください。"
    wanted = []
    for value in dict.fromkeys(raw):
        cohort_id, _sep, rest = value.partition(":")
        target_key, _sep, user_id = rest.rpartition(":")
        cohort_id, user_id = parse_int(cohort_id), parse_int(user_id)
        if cohort_id is None or user_id is None or not target_key:
            return "選ばれた方の指定が正しくありません。一覧から選び直してください。"
        wanted.append((cohort_id, target_key, user_id))
    cohorts = {c.id: c for c in db.session.scalars(select(Cohort).where(
        Cohort.id.in_({w[0] for w in wanted}), Cohort.fiscal_year == year, Cohort.archived.is_(False)))}
    members = set(db.session.execute(select(CohortMember.cohort_id, CohortMember.user_id).where(
        CohortMember.cohort_id.in_(list(cohorts) or [-1]),
        CohortMember.user_id.in_({w[2] for w in wanted}))).tuples())
    content = current_content()
    keys = {cid: {t.key for t in cohort_targets(c, content)} for cid, c in cohorts.items()}
    for cohort_id, target_key, user_id in wanted:
        if cohort_id not in cohorts or target_key not in keys[cohort_id] or (cohort_id, user_id) not in members:
            return "この年度の一覧にない方が選ばれています。一覧から選び直してください。"
    open_rows = {(r.cohort.id, r.target.key, r.user.id): r for r in rows}
    chosen = [open_rows[w] for w in wanted if w in open_rows]
    return chosen, len(wanted) - len(chosen)  # completed since the page was shown: not reminded


def _send(form):
    year, status, department = _query(form)
    note = (form.get("note") or "").strip()

    def refuse(message: str):
        return _page(year, status if status in unfinished.FILTERS else "overdue", department,
                     error=message + NOTHING_SENT, code=400, note=note[:NOTE_MAX])

    if status not in unfinished.FILTERS:
        return refuse("表示の条件が正しくありません。一覧から選び直してください。")
    problem = too_long(note, NOTE_MAX)
    if problem:
        return refuse(f"お知らせは{problem}")
    batch = form.get("batch")
    if not reminder_mail.valid_batch_key(batch):
        abort(400)  # every form carries one; without it a retry could not be recognised
    confirm = form.get("confirm") or ""
    if confirm and confirm not in CONFIRM_CHOICES:
        return refuse("確認画面のボタンから選び直してください。")
    content = current_content()
    everyone = unfinished.year_rows(year, content, today_jst())
    to = form.get("to")
    finished = 0
    if to == "listed":
        chosen = unfinished.choose(everyone, status, department)
    elif to == "chosen":
        # A chosen row past the due date is listed under either filter: look among all not complete.
        result = _chosen(form, everyone, year)
        if isinstance(result, str):
            return refuse(result)
        chosen, finished = result
    else:
        return refuse("「選んだ方に送る」か「一覧の全員に送る」を選んでください。")
    if not chosen:
        flash("送る相手がいません（表示した方は修了しています）。" + NOTHING_SENT, "info")
        return _back(year, status, department)

    groups: dict[tuple[int, str], list] = {}
    for row in chosen:
        groups.setdefault((row.cohort.id, row.target.key), []).append(row)
    keys = {g: reminder_mail.group_batch_key(batch, *g) for g in groups}
    again = {g: unfinished.recent(g[0], g[1], [r.user.id for r in members], keys[g])
             for g, members in groups.items()}
    recent_rows = [(r, again[g][r.user.id]) for g, members in groups.items() for r in members
                   if r.user.id in again[g]]
    url = url_for("main.home", _external=True)
    if recent_rows and not confirm:
        # Nothing is recorded yet: the confirmation carries the same batch key, so a double
        # click on its button is still one batch.
        return render_template("records/unfinished_confirm.html", rows=chosen, recent=recent_rows,
                               ids=[row_id(r) for r in chosen], batch=batch, year=year, status=status,
                               department=department, note=note, preview=_message(chosen[0], note, url),
                               groups=len(groups), smtp=reminder_mail.smtp_configured(),
                               status_labels=reminder_mail.STATUS_LABELS)
    left_out = 0
    if confirm == "skip_recent":
        left_out = len(recent_rows)
        groups = {g: [r for r in members if r.user.id not in again[g]] for g, members in groups.items()}
        groups = {g: members for g, members in groups.items() if members}
        if not groups:
            flash("24時間以内にお願いを送った方を除くと、送る相手がいません。" + NOTHING_SENT, "info")
            return _back(year, status, department)
    totals = {"sent": 0, "failed": 0, "queued": 0, "no_email": 0, "skipped": 0}
    record = []
    by_job = reminder_mail.use_job(sum(len(members) for members in groups.values()))
    pending = 0
    for g, members in groups.items():
        subject, body = _message(members[0], note, url)
        if by_job:
            # Recorded here (pending); the worker sends them (training/jobs/reminders.py).
            counts, waiting = reminder_mail.record(members[0].cohort, [r.user for r in members], subject, body,
                                                   current_user, keys[g], target_key=g[1])
            pending += waiting
        else:
            counts = reminder_mail.send(members[0].cohort, [r.user for r in members], subject, body, current_user,
                                        keys[g], target_key=g[1], audit_action=None)
        for key in totals:
            totals[key] += counts[key]
        record.append({"cohort": g[0], "target": g[1], "batch": keys[g], **counts})
    where = f"（{len(groups)}つのクラス・対象ごとに記録しました）" if len(groups) > 1 else ""
    if by_job and pending:
        from training import jobs

        job = jobs.start("reminders", current_user,
                         {"scope": "records", "year": year, "batches": [[keys[g], g[0], g[1]] for g in groups]},
                         title=f"受講のお願いの送信（{year}年度の未修了者・{len(groups)}つのクラス・対象）", file_name=None)
        job_id = job.id
        audit.record("records.reminders", fiscal_year=year, batch=batch, groups=record, note=bool(note), job=job_id,
                     pending=pending, **totals)
        db.session.commit()
        flash(reminder_mail.job_message(pending, totals, left_out=left_out, finished=finished) + where, "info")
        return redirect(url_for("jobs.job_page", job_id=job_id))
    audit.record("records.reminders", fiscal_year=year, batch=batch, groups=record, note=bool(note), **totals)
    db.session.commit()
    flash(reminder_mail.result_message(totals, left_out=left_out, finished=finished) + where, "info")
    return _back(year, status, department)


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


@bp.route("/unfinished/outbox.csv")
@roles_required("personnel", "admin")
def unfinished_outbox_csv():
    """The clerk's outbox for the year as CSV: name, address, subject, body, class, target, when recorded."""
    year, _status, _department = _query()
    content = current_content()
    data = unfinished.outbox_csv(((r, u, c.name, unfinished.target_label(content, r.target_key))
                                  for r, u, c in _outbox(year)), with_class=True)
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="unfinished-{year}-outbox.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/unfinished/outbox/sent", methods=["POST"])
@roles_required("personnel", "admin")
def unfinished_outbox_sent():
    """Mark reminders of the clerk's outbox (ticked ones, or all) as sent by other means:
    who and when, audited under each class as on the class page."""
    form = request.form
    year, status, department = _query(form)
    status = status if status in unfinished.FILTERS else "overdue"

    def refuse(message: str):
        return _page(year, status, department, error=message + "（何も変更していません）", code=400)

    scope = form.get("scope")
    if scope == "all":
        chosen = [r for r, _u, _c in _outbox(year)]
    elif scope == "chosen":
        raw = form.getlist("reminder")
        if not raw:
            return refuse("送信済みにするお願いを送信箱の一覧で選んでください。")
        ids = unfinished.parse_ids(raw)
        if ids is None:
            return refuse("送信箱の行の指定が正しくありません。一覧から選び直してください。")
        query = (select(Reminder).join(Cohort, Cohort.id == Reminder.cohort_id)
                 .where(Reminder.id.in_(ids), Cohort.fiscal_year == year, Cohort.archived.is_(False)))
        if not current_user.has_role("admin"):
            query = query.where(Reminder.sent_by_id == current_user.id)
        found = db.session.scalars(query).all()
        if len(found) != len(ids):
            return refuse("あなたの送信箱にないお願いが選ばれています。一覧から選び直してください。")
        chosen = [r for r in found if r.status == "queued"]  # one marked already (a double click) is left as is
    else:
        return refuse("「選んだお願いを送信済みにする」か「送信箱のすべてを送信済みにする」を選んでください。")
    by_class: dict[int, list[int]] = {}
    for reminder in chosen:
        by_class.setdefault(reminder.cohort_id, []).append(reminder.id)
    marked = 0
    for cohort_id, ids in by_class.items():
        count = reminder_mail.mark_sent(ids, current_user)
        if count:
            audit.record("class.outbox_marked_sent", target_type="cohort", target_id=cohort_id, reminders=ids,
                         count=count, via="records.unfinished")
        marked += count
    db.session.commit()
    flash(f"送信箱の{marked}件を送信済みにしました。" if marked else "送信済みにするお願いはありませんでした。", "info")
    return _back(year, status, department, anchor="outbox")
