"""Instructor pages for running a class: create, edit, owners, join code, roster import."""
from __future__ import annotations



from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from training import audit
from training.auth.access import roles_required
from training.auth.accounts import find_by_login_id
from training.content import current_content
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.models import AUDIENCES, Assignment, CohortOwner, RosterUpload, SlipBatch, utcnow
from training.teach import classes, slips, years
from training.teach.forms import ClassForm, OwnerForm, RosterForm, assignment_form
from training.teach.roster import MAX_BYTES, RosterError, apply, check, fingerprint, parse
from training.teach.routes import bp, cohort_page, load_cohort


CHANGED_SINCE_PREVIEW = ("名簿の確認のあとで、登録内容が変わりました（ほかの取り込みが同時に行われたなど）。"
                         "下の確認画面で最新の状態をもう一度確認してください。")


def _read_only(cohort):
    """An archived class is read-only: say so on the class page; nothing is changed."""
    flash(years.READ_ONLY, "error")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


def _audience_choices():
    return [SelectChoice(k, v) for k, v in AUDIENCES.items()]


@bp.route("/classes/new", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def new_class():
    """A class for one audience and fiscal year; the creator runs it."""
    form = ClassForm()
    form.audience.choices = _audience_choices()
    if request.method == "GET":
        form.fiscal_year.data = fiscal_year_of(today_jst())
    if form.validate_on_submit():
        course = current_content().course_for_audience(form.audience.data)
        cohort = classes.create_class(
            name=form.name.data, audience=form.audience.data, fiscal_year=form.fiscal_year.data,
            owner=current_user, course_id=course.id if course else None, starts_on=form.starts_on.data,
            due_on=form.due_on.data, join_enabled=form.join_enabled.data)
        cohort.counts_earlier_completions = form.counts_earlier_completions.data
        db.session.commit()
        flash(f"クラス「{cohort.name}」を作成しました。名簿の取り込みか参加コードで受講者を登録してください。", "info")
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    return render_template("teach/class_form.html", form=form, cohort=None)


@bp.route("/classes/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def edit_class(cohort_id: int):
    cohort = load_cohort(cohort_id)
    form = ClassForm(obj=cohort)
    form.audience.choices = _audience_choices()
    if form.validate_on_submit():
        if cohort.archived:
            return _read_only(cohort)
        for field in ("name", "audience", "fiscal_year", "starts_on", "due_on", "join_enabled",
                      "counts_earlier_completions"):
            setattr(cohort, field, getattr(form, field).data)
        audit.record("class.update", target_type="cohort", target_id=cohort.id)
        db.session.commit()
        flash("クラスの設定を保存しました。", "info")
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    return render_template("teach/class_form.html", form=form, cohort=cohort, owner_form=OwnerForm())


@bp.route("/classes/<int:cohort_id>/owners", methods=["POST"])
@roles_required("instructor", "admin")
def add_owner(cohort_id: int):
    """Another instructor may run the class too."""
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    form = OwnerForm()
    if form.validate_on_submit():
        user = find_by_login_id(form.login_id.data)
        if user is None or not user.has_role("instructor"):
            flash("そのログインIDの研修担当は見つかりません。", "error")
        elif user.id in {o.user_id for o in cohort.owners}:
            flash(f"{user.display_name} さんはすでに担当です。", "info")
        else:
            cohort.owners.append(CohortOwner(user_id=user.id))
            audit.record("class.owner_add", target_type="cohort", target_id=cohort.id, owner=user.login_id)
            db.session.commit()
            flash(f"{user.display_name} さんを担当に加えました。", "info")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    if request.form.get("back") == "class":  # the form on the class page
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    return redirect(url_for("teach.edit_class", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/join-code", methods=["POST"])
@roles_required("instructor", "admin")
def join_code(cohort_id: int):
    """Rotate the code, or switch self-enrolment on or off."""
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    action = request.form.get("action")
    if action == "rotate":
        classes.rotate_join_code(cohort)
        flash(f"新しい参加コードは {cohort.join_code} です。前のコードは使えなくなりました。", "info")
    elif action in ("enable", "disable"):
        cohort.join_enabled = action == "enable"
        audit.record("class.join_" + action, target_type="cohort", target_id=cohort.id)
        flash("参加コードでの登録を受け付けます。" if cohort.join_enabled else "参加コードでの登録を停止しました。", "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/roster", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def roster_upload(cohort_id: int):
    """Upload a roster CSV; the next page previews every row before anything is changed."""
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    form = RosterForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_BYTES + 1) if upload else b""
        if not data:
            form.file.errors = ["CSVファイルを選んでください。"]
        else:
            # Old, unconfirmed uploads of this class are dropped: only the newest can be applied.
            db.session.execute(delete(RosterUpload).where(RosterUpload.cohort_id == cohort.id))
            stored = RosterUpload(cohort_id=cohort.id, user_id=current_user.id,
                                  filename=(upload.filename or "roster.csv")[:200], data=data)
            db.session.add(stored)
            db.session.commit()
            return redirect(url_for("teach.roster_preview", cohort_id=cohort.id, upload_id=stored.id))
    return render_template("teach/roster_upload.html", cohort=cohort, form=form)


class UploadGone(Exception):
    """The upload was imported (or replaced by a newer one): Back after the import lands here."""


def _load_upload(cohort, upload_id: int) -> RosterUpload:
    upload = db.session.get(RosterUpload, upload_id)
    if upload is None:
        raise UploadGone(upload_id)
    if upload.cohort_id != cohort.id:
        abort(404)
    return upload


def _upload_gone(cohort):
    """A clear page, not a 404, for an upload that no longer exists (imported or replaced)."""
    batch = db.session.scalar(select(SlipBatch).where(SlipBatch.cohort_id == cohort.id,
                                                      SlipBatch.created_by_id == current_user.id)
                              .order_by(SlipBatch.id.desc()).limit(1))
    response = Response(render_template("teach/roster_gone.html", cohort=cohort, batch=batch))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/classes/<int:cohort_id>/roster/<int:upload_id>")
@roles_required("instructor", "admin")
def roster_preview(cohort_id: int, upload_id: int):
    """Every row with its status; errors with the line number as in the file."""
    cohort = load_cohort(cohort_id)
    try:
        upload = _load_upload(cohort, upload_id)
    except UploadGone:
        return _upload_gone(cohort)
    errors_only = request.args.get("show") == "errors"
    try:
        roster = check(parse(upload.data), cohort, current_user)
    except RosterError as exc:
        return render_template("teach/roster_preview.html", cohort=cohort, upload=upload, roster=None,
                               file_error=str(exc))
    return render_template("teach/roster_preview.html", cohort=cohort, upload=upload, roster=roster,
                           file_error=None, fingerprint=fingerprint(roster), errors_only=errors_only)


@bp.route("/classes/<int:cohort_id>/roster/<int:upload_id>/apply", methods=["POST"])
@roles_required("instructor", "admin")
def roster_apply(cohort_id: int, upload_id: int):
    """Import all rows in one transaction, or none. New accounts' passwords are shown once."""
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    try:
        upload = _load_upload(cohort, upload_id)
    except UploadGone:
        return _upload_gone(cohort)  # sent again after the import (Back, then resend)
    preview = url_for("teach.roster_preview", cohort_id=cohort.id, upload_id=upload.id)
    confirmed = {int(line) for line in request.form.getlist("confirm") if line.isascii() and line.isdigit()
                 and len(line) < 8}
    try:
        roster = check(parse(upload.data), cohort, current_user)
        if roster.errors:
            raise RosterError("エラーのある行があるため取り込めません。")
        if request.form.get("fingerprint") != fingerprint(roster):
            raise RosterError(CHANGED_SINCE_PREVIEW)
        created = apply(roster, cohort, confirmed=confirmed)
        batch = None
        if created:
            batch = slips.create_batch([slips.Slip(a.name, a.login_id, a.password, _audience_of(roster, a.line))
                                        for a in created], cohort_id=cohort.id, created_by=current_user,
                                       kind="roster")
        db.session.delete(upload)
        db.session.commit()
    except RosterError as exc:
        db.session.rollback()
        flash(f"取り込めませんでした（1行も変更していません）: {exc}", "error")
        return redirect(preview)
    except IntegrityError:
        # Another import took one of these numbers between our check and our insert (PostgreSQL).
        db.session.rollback()
        flash(f"取り込めませんでした（1行も変更していません）: {CHANGED_SINCE_PREVIEW}", "error")
        return redirect(preview)
    response = Response(render_template("teach/roster_done.html", cohort=cohort, roster=roster, created=created,
                                        imported_at=utcnow(), batch=batch))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _audience_of(roster, line: int) -> str | None:
    return next((r.values.get("audience") or None for r in roster.rows if r.line == line), None)


@bp.route("/classes/<int:cohort_id>/assignments", methods=["POST"])
@roles_required("instructor", "admin")
def add_assignment(cohort_id: int):
    """Assign another course, or a single module of a course, with a due date. A course and
    module that do not belong together (or a bad date) show the class page again with the
    message at the field; nothing is stored."""
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    content = current_content()
    form = assignment_form(content, cohort)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return cohort_page(cohort, form=form, status=422)
    course, module_id = content.course(form.course_id.data), form.module_id.data
    exists = any(a.course_id == course.id and a.module_id == module_id for a in cohort.assignments)
    if exists:
        flash("同じ割り当てがすでにあります。", "info")
    else:
        cohort.assignments.append(Assignment(course_id=course.id, module_id=module_id, due_on=form.due_on.data))
        audit.record("class.assign", target_type="cohort", target_id=cohort.id, course=course.id, module=module_id)
        db.session.commit()
        flash("割り当てを追加しました。", "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/assignments/<int:assignment_id>/delete", methods=["POST"])
@roles_required("instructor", "admin")
def delete_assignment(cohort_id: int, assignment_id: int):
    cohort = load_cohort(cohort_id)
    if cohort.archived:
        return _read_only(cohort)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.cohort_id != cohort.id:
        abort(404)
    db.session.delete(assignment)
    audit.record("class.unassign", target_type="cohort", target_id=cohort.id, course=assignment.course_id,
                 module=assignment.module_id)
    db.session.commit()
    flash("割り当てを外しました（学習の記録は残ります）。", "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))
