"""未修了者 of a class: who is not complete for one assignment, the XLSX of that list,
reminders to chosen people or to all listed (with a confirmation before the same reminder
goes to someone again within 24 hours), and the outbox that can be marked as sent.

One page (``/teach/classes/<id>/reminders``, the reminders page extended) lists, reminds and
shows the outbox: the list and the reminder are about the same assignment, chosen with the
``?show=`` selector as on the progress matrix.
"""
from __future__ import annotations

import io
import secrets

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from training import audit, clock
from training import unfinished
from training.auth.access import roles_required
from training.content import current_content
from training.database import writes_on_get
from training.dates import today_jst
from training.extensions import db
from training.integers import parse_int
from training.models import CohortMember, Reminder, User
from training.teach import reminders as reminder_mail
from training.teach import years
from training.teach.routes import bp, load_cohort
from training.teach.targets import choose as choose_target, cohort_targets
from training.text_input import too_long

#: The subject is stored in a VARCHAR(200); the body in TEXT, but a mail past this length is a mistake.
REMINDER_SUBJECT_MAX, REMINDER_BODY_MAX = 200, 5000
#: Outbox rows shown on the page (the CSV has them all).
OUTBOX_SHOWN = 500
NOTHING_SENT = "（何も送っていません）"
CONFIRM_CHOICES = ("all", "skip_recent")


def _reminder_text_problem(form) -> str | None:
    """The Japanese message when the typed subject or body is too long for a reminder, else None."""
    subject = too_long((form.get("subject") or "").strip(), REMINDER_SUBJECT_MAX)
    if subject:
        return f"件名は{subject}"
    body = too_long((form.get("body") or "").strip(), REMINDER_BODY_MAX)
    return f"本文は{body}" if body else None


def _target(cohort, values):
    content = current_content()
    targets = cohort_targets(cohort, content)
    target = choose_target(targets, values.get("show"), values.get("course"))
    if target is None:
        abort(404)
    return content, targets, target


def _filters(values) -> tuple[str, str]:
    """(status, department key) of the list; ``group`` is the older name of the status."""
    status = (values.get("status") or values.get("group") or "overdue").strip()
    return status, (values.get("department") or "").strip()[:200]


def _back(cohort, target, status: str, department: str, anchor: str | None = None):
    return redirect(url_for("teach.reminders", cohort_id=cohort.id, show=target.key, status=status,
                            department=department or None, _anchor=anchor))


def _page(cohort, values, *, error: str | None = None, code: int = 200, typed=None):
    """The 未修了者 page. ``error``: a refused form's message (nothing was changed); ``typed``:
    the form whose subject and body are shown again."""
    content, targets, target = _target(cohort, values)
    status, department = _filters(values)
    notes = []
    if status not in unfinished.FILTERS and status not in unfinished.NARROWER:
        notes.append("表示の条件は一覧から選んでください（期限超過の方を表示しています）。")
        status = "overdue"
    today = today_jst()
    rows = unfinished.class_rows(cohort, target, content, today)
    departments = unfinished.departments(rows)
    if department and department not in {key for key, _label, _n in departments}:
        notes.append("その所属の未修了者はいません（すべての所属を表示しています）。")
        department = ""
    shown = unfinished.choose(rows, status, department)
    groups = {key: sum(1 for r in rows if r.status == key) for key in reminder_mail.GROUPS}
    subject, body = reminder_mail.default_message(cohort, target, target.due_on, url_for("main.home", _external=True))
    if typed is not None:
        subject = (typed.get("subject") or "").strip() or subject
        body = (typed.get("body") or "").strip() or body
    labels = {t.key: t.label for t in targets}
    outbox = db.session.execute(select(Reminder, User.display_name).join(User, User.id == Reminder.user_id).where(
        Reminder.cohort_id == cohort.id, Reminder.status == "queued").order_by(Reminder.created_at, Reminder.id)
        .limit(OUTBOX_SHOWN + 1)).all()
    history = db.session.execute(select(Reminder, User.display_name).join(User, User.id == Reminder.user_id).where(
        Reminder.cohort_id == cohort.id).order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(200)).all()
    markers = {r.marked_sent_by_id for r, _n in history if r.marked_sent_by_id}
    marked_by = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(markers))).all()) \
        if markers else {}
    # A new key per page load: sending this form twice is one batch, loading the page again is a new one.
    return render_template(
        "teach/reminders.html", cohort=cohort, target=target, targets=targets, rows=shown, total=len(rows),
        groups=groups, group_labels=reminder_mail.GROUPS, status=status, department=department,
        departments=departments, filters=unfinished.FILTERS, narrower=unfinished.NARROWER, today=today,
        subject=subject, body=body, smtp=reminder_mail.smtp_configured(), batch=secrets.token_urlsafe(16),
        outbox=outbox[:OUTBOX_SHOWN], outbox_more=len(outbox) > OUTBOX_SHOWN, history=history, labels=labels,
        marked_by=marked_by, status_labels=reminder_mail.STATUS_LABELS, error=error, notes=notes), code


@bp.route("/classes/<int:cohort_id>/reminders", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def reminders(cohort_id: int):
    """未修了者: those not complete for one assignment (past the due date by default, or all),
    by department; send them a reminder (SMTP or outbox), chosen people or all listed."""
    cohort = load_cohort(cohort_id)
    if request.method == "GET":
        return _page(cohort, request.args)
    return _send(cohort, request.form)


def _send(cohort, form):
    content, _targets, target = _target(cohort, form)
    status, department = _filters(form)
    if cohort.archived:
        flash(years.READ_ONLY, "error")  # reminders are off for an archived class
        return _back(cohort, target, "overdue", "")

    def refuse(message: str):
        return _page(cohort, form, error=message + NOTHING_SENT, code=400, typed=form)

    if status not in unfinished.FILTERS and status not in unfinished.NARROWER:
        return refuse("表示の条件が正しくありません。一覧から選び直してください。")
    problem = _reminder_text_problem(form)
    if problem:
        return refuse(problem)
    batch = form.get("batch")
    if not reminder_mail.valid_batch_key(batch):
        abort(400)  # every form carries one; without it a retry could not be recognised
    confirm = form.get("confirm") or ""
    if confirm and confirm not in CONFIRM_CHOICES:
        return refuse("確認画面のボタンから選び直してください。")
    rows = unfinished.class_rows(cohort, target, content, today_jst())
    to = form.get("to") or ("listed" if form.get("group") else "")
    finished = 0
    if to == "listed":
        users = [r.user for r in unfinished.choose(rows, status, department)]
    elif to == "chosen":
        raw = form.getlist("user")
        ids = [parse_int(value) for value in raw]
        if not raw:
            return refuse("送る方を一覧で選んでください。")
        if None in ids:
            return refuse("選ばれた方の指定が正しくありません。一覧から選び直してください。")
        ids = list(dict.fromkeys(ids))
        members = set(db.session.scalars(select(CohortMember.user_id).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id.in_(ids))))
        if len(members) != len(ids):
            return refuse("このクラスの受講者でない方が選ばれています。一覧から選び直してください。")
        open_rows = {r.user.id: r for r in rows}
        users = [open_rows[i].user for i in ids if i in open_rows]
        finished = len(ids) - len(users)  # completed since the page was shown: not reminded
    else:
        return refuse("「選んだ方に送る」か「一覧の全員に送る」を選んでください。")
    if not users:
        flash("送る相手がいません（表示した方は修了しています）。" + NOTHING_SENT, "info")
        return _back(cohort, target, status, department)
    subject = (form.get("subject") or "").strip()[:200]
    body = (form.get("body") or "").strip()
    if not subject or not body:
        default_subject, default_body = reminder_mail.default_message(
            cohort, target, target.due_on, url_for("main.home", _external=True))
        subject, body = subject or default_subject, body or default_body
    again = unfinished.recent(cohort.id, target.key, [u.id for u in users], batch)
    if again and not confirm:
        # Nothing is recorded yet: the confirmation carries the same batch key, so a double
        # click on its button is still one batch.
        return render_template("teach/reminders_confirm.html", cohort=cohort, target=target, users=users,
                               again=again, subject=subject, body=body, batch=batch, status=status,
                               department=department, smtp=reminder_mail.smtp_configured(),
                               status_labels=reminder_mail.STATUS_LABELS)
    left_out = 0
    if confirm == "skip_recent":
        left_out = sum(1 for u in users if u.id in again)
        users = [u for u in users if u.id not in again]
        if not users:
            flash("24時間以内にお願いを送った方を除くと、送る相手がいません。" + NOTHING_SENT, "info")
            return _back(cohort, target, status, department)
    if reminder_mail.use_job(len(users)):
        return _send_by_job(cohort, target, users, subject, body, batch, left_out=left_out, finished=finished,
                            status=status, department=department)
    counts = reminder_mail.send(cohort, users, subject, body, current_user, batch, target_key=target.key)
    db.session.commit()
    message = reminder_mail.result_message(counts, left_out=left_out, finished=finished)
    flash(message, "info")
    return _back(cohort, target, status, department)


def _send_by_job(cohort, target, users, subject, body, batch, *, left_out, finished, status, department):
    """More than REMINDER_DIRECT_MAX people by SMTP: the rows are recorded here (pending), the
    worker sends them (training/jobs/reminders.py) and the job page shows how far it is."""
    from training import jobs

    counts, pending = reminder_mail.record(cohort, users, subject, body, current_user, batch, target_key=target.key)
    if not pending:
        # Already sent (a resubmitted form whose job has finished): nothing to start.
        audit.record("class.reminders", target_type="cohort", target_id=cohort.id, batch=batch,
                     target=target.key, **counts)
        db.session.commit()
        flash(reminder_mail.result_message(counts, left_out=left_out, finished=finished), "info")
        return _back(cohort, target, status, department)
    job = jobs.start("reminders", current_user, {"scope": "class", "cohort_id": cohort.id, "target": target.key,
                                                 "batches": [[batch, cohort.id, target.key]]},
                     title=f"受講のお願いの送信（{cohort.name}・{target.label}）", file_name=None)
    job_id = job.id
    audit.record("class.reminders", target_type="cohort", target_id=cohort.id, batch=batch, target=target.key,
                 job=job_id, pending=pending, **counts)
    db.session.commit()
    flash(reminder_mail.job_message(pending, counts, left_out=left_out, finished=finished), "info")
    return redirect(url_for("jobs.job_page", job_id=job_id))


@bp.route("/classes/<int:cohort_id>/unfinished.xlsx")
@roles_required("instructor", "admin")
@writes_on_get
def unfinished_xlsx(cohort_id: int):
    """The 未修了者 list as shown (same assignment, status and department) as XLSX."""
    cohort = load_cohort(cohort_id)
    content, _targets, target = _target(cohort, request.args)
    status, department = _filters(request.args)
    if status not in unfinished.FILTERS and status not in unfinished.NARROWER:
        abort(400, description="表示の条件は overdue（期限超過）か unfinished（未修了すべて）で指定してください。")
    today = today_jst()
    rows = unfinished.choose(unfinished.class_rows(cohort, target, content, today), status, department)
    label = unfinished.FILTERS.get(status) or unfinished.NARROWER[status]
    due = f"（期限 {target.due_on.year}年{target.due_on.month}月{target.due_on.day}日）" if target.due_on else ""
    where = f"・{rows[0].department[1]}" if department and rows else ""
    title = f"未修了者一覧（{label}{where}）　{cohort.name}　{target.label}{due}　{unfinished.as_of(today)}"
    out = io.BytesIO()
    count = unfinished.write_xlsx(out, sheet="未修了者", title=title, header=unfinished.CLASS_HEADER,
                                  widths=unfinished.CLASS_WIDTHS, rows=unfinished.class_sheet_rows(rows))
    audit.record("class.unfinished_export", target_type="cohort", target_id=cohort.id, target=target.key,
                 status=status, department=department or None, rows=count)
    db.session.commit()
    response = Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (f'attachment; filename="class-{cohort.id}-unfinished-'
                                               f'{clock.file_stamp()}.xlsx"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/classes/<int:cohort_id>/reminders.csv")
@roles_required("instructor", "admin")
def reminders_csv(cohort_id: int):
    """The outbox as CSV: name, address, subject, body, what it is about, when recorded."""
    cohort = load_cohort(cohort_id)
    labels = {t.key: t.label for t in cohort_targets(cohort, current_content())}
    rows = db.session.execute(select(Reminder, User).join(User, User.id == Reminder.user_id).where(
        Reminder.cohort_id == cohort.id, Reminder.status == "queued").order_by(Reminder.created_at, Reminder.id)).all()
    data = unfinished.outbox_csv((r, u, None, labels.get(r.target_key, r.target_key or "")) for r, u in rows)
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="class-{cohort.id}-outbox-{clock.file_stamp()}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/classes/<int:cohort_id>/outbox/sent", methods=["POST"])
@roles_required("instructor", "admin")
def outbox_sent(cohort_id: int):
    """Mark outbox reminders (ticked ones, or all) as sent by other means: who and when, audited."""
    cohort = load_cohort(cohort_id)
    form = request.form
    _content, _targets, target = _target(cohort, form)
    status, department = _filters(form)
    if cohort.archived:
        flash(years.READ_ONLY, "error")
        return _back(cohort, target, "overdue", "")

    def refuse(message: str):
        return _page(cohort, form, error=message + "（何も変更していません）", code=400)

    scope = form.get("scope")
    queued = select(Reminder).where(Reminder.cohort_id == cohort.id, Reminder.status == "queued")
    if scope == "all":
        chosen = db.session.scalars(queued).all()
    elif scope == "chosen":
        raw = form.getlist("reminder")
        ids = [parse_int(value) for value in raw]
        if not raw:
            return refuse("送信済みにするお願いを送信箱の一覧で選んでください。")
        if None in ids:
            return refuse("送信箱の行の指定が正しくありません。一覧から選び直してください。")
        ids = list(dict.fromkeys(ids))
        found = db.session.scalars(select(Reminder).where(Reminder.cohort_id == cohort.id, Reminder.id.in_(ids))).all()
        if len(found) != len(ids):
            return refuse("このクラスの送信箱にないお願いが選ばれています。一覧から選び直してください。")
        chosen = [r for r in found if r.status == "queued"]  # one marked already (a double click) is left as is
    else:
        return refuse("「選んだお願いを送信済みにする」か「送信箱のすべてを送信済みにする」を選んでください。")
    ids = [r.id for r in chosen]
    marked = reminder_mail.mark_sent(ids, current_user)
    if marked:
        audit.record("class.outbox_marked_sent", target_type="cohort", target_id=cohort.id, reminders=ids,
                     count=marked)
    db.session.commit()
    flash(f"送信箱の{marked}件を送信済みにしました。" if marked else "送信済みにするお願いはありませんでした。", "info")
    return _back(cohort, target, status, department, anchor="outbox")
