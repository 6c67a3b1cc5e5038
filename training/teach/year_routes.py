"""Instructor pages for classes across fiscal years: archive, restore, delete an empty class,
copy a class to the next fiscal year. Only the class's owners (and admins) reach them
(``load_cohort``: others get 404); the copier becomes an owner of the copy."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from training.auth.access import roles_required
from training.content import current_content
from training.extensions import db
from training.teach import years
from training.teach.classes import ClassError
from training.teach.forms import ConfirmForm, CopyClassForm
from training.teach.routes import bp, load_cohort


def _checked(form) -> None:
    """A state change needs its CSRF token: without it, a bare 400 (nothing changed)."""
    if not form.validate_on_submit():
        abort(400)


def _change_state(cohort_id: int, change, done: str):
    """Archive or restore: ``change`` (years.archive / years.restore) on the class, then back to
    its page with ``done`` (the class name filled in) or the reason it could not be done."""
    cohort = load_cohort(cohort_id)
    _checked(ConfirmForm())
    try:
        change(cohort)
    except ClassError as exc:
        flash(str(exc), "info")
    else:
        db.session.commit()
        flash(done.format(name=cohort.name), "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/archive", methods=["POST"])
@roles_required("instructor", "admin")
def archive_class(cohort_id: int):
    return _change_state(cohort_id, years.archive,
                         "クラス「{name}」をアーカイブしました。参加コードでの登録は受け付けず、記録は閲覧だけできます。")


@bp.route("/classes/<int:cohort_id>/restore", methods=["POST"])
@roles_required("instructor", "admin")
def restore_class(cohort_id: int):
    return _change_state(cohort_id, years.restore, "クラス「{name}」をアーカイブから戻しました。")


@bp.route("/classes/<int:cohort_id>/delete", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def delete_class(cohort_id: int):
    """A confirmation page; only a class with no members and no records can be deleted."""
    cohort = load_cohort(cohort_id)
    form = ConfirmForm()
    problem = years.delete_problem(cohort)
    if form.validate_on_submit() and problem is None:
        name = cohort.name
        years.delete_empty(cohort)
        db.session.commit()
        flash(f"クラス「{name}」を削除しました。", "info")
        return redirect(url_for("teach.classes"))
    if form.is_submitted() and form.csrf_token.errors:
        abort(400)
    return render_template("teach/class_delete.html", cohort=cohort, form=form, problem=problem,
                           members=len(cohort.members)), 409 if form.is_submitted() else 200


@bp.route("/classes/<int:cohort_id>/copy", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def copy_class(cohort_id: int):
    """Copy to the next fiscal year: name (with the new year, editable), audience, owners,
    assignments with due dates one year later; members only if asked. The new class's join
    code is new and joining is off."""
    source = load_cohort(cohort_id)
    form = CopyClassForm()
    if not form.is_submitted():
        form.name.data = years.next_year_name(source.name, source.fiscal_year)
    if form.validate_on_submit():
        copy = years.copy_to_next_year(source, name=form.name.data, copier=current_user,
                                       with_members=form.with_members.data)
        db.session.commit()
        flash(f"{copy.fiscal_year}年度のクラス「{copy.name}」を作成しました。参加コードでの登録は停止中です。"
              "日付と割り当てを確認してください。", "info")
        return redirect(url_for("teach.cohort", cohort_id=copy.id))
    if form.is_submitted() and form.csrf_token.errors:
        abort(400)
    shifted = [(a, years.shift_year(a.due_on)) for a in sorted(source.assignments, key=lambda a: a.id)]
    return render_template("teach/class_copy.html", cohort=source, form=form, shifted=shifted,
                           new_year=source.fiscal_year + 1, members=len(source.members),
                           content=current_content()), \
        422 if form.is_submitted() else 200
