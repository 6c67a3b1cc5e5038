"""Administrator pages for the department master (所属マスタ): list, add, edit, reorganise,
move people after a reorganisation, and 所属の対応づけ (free-text values to departments).

Added to the admin blueprint (training/admin/routes.py). Personnel may view the list.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from training import departments
from training.admin.department_forms import DepartmentForm, MapForm, ReorganiseForm
from training.admin.forms import ConfirmForm
from training.admin.routes import bp
from training.auth.access import roles_required
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.models import REORG_KINDS, Department


def _all() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.code)))


def _choices(rows: list[Department]) -> list[SelectChoice]:
    def years(d: Department) -> str:
        if d.valid_from_fy is None and d.valid_to_fy is None:
            return ""
        return f"（{d.valid_from_fy or ''}〜{d.valid_to_fy or ''}年度）"
    return [SelectChoice(d.id, f"{d.code} {d.name}{years(d)}") for d in rows]


def _list_page(form=None, reorg_form=None, status=200):
    rows = _all()
    reorg_form = reorg_form or ReorganiseForm(formdata=None)
    reorg_form.old.choices = reorg_form.new.choices = _choices(rows)
    fy = fiscal_year_of(today_jst())
    return render_template("admin/departments.html", rows=rows, form=form or DepartmentForm(formdata=None),
                           reorg_form=reorg_form, confirm_form=ConfirmForm(), fy=fy, kinds=REORG_KINDS,
                           reorganisations=departments.reorganisations(), moves=departments.due_moves(fy),
                           unmapped=len(departments.unmapped()),
                           can_edit=current_user.has_role("admin")), status


@bp.route("/departments")
@roles_required("admin", "personnel")
def departments_list():
    """The master, its reorganisations and the people waiting to be moved (personnel: read only)."""
    return _list_page()


@bp.route("/departments", methods=["POST"])
@roles_required("admin")
def department_create():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            dept = departments.create(form.code.data, form.name.data, valid_from=form.valid_from_fy.data,
                                      valid_to=form.valid_to_fy.data, staff_count=form.staff_count.data)
        except departments.DepartmentError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"所属「{dept.name}」を追加しました。", "info")
            return redirect(url_for("admin.departments_list"))
    return _list_page(form=form, status=400)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required("admin")
def department_edit(department_id: int):
    dept = db.session.get(Department, department_id)
    if dept is None:
        abort(404)
    form = DepartmentForm(obj=dept)
    if form.validate_on_submit():
        try:
            changed = departments.edit(dept, form.code.data, form.name.data, valid_from=form.valid_from_fy.data,
                                       valid_to=form.valid_to_fy.data, staff_count=form.staff_count.data)
        except departments.DepartmentError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash("変更を保存しました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.departments_list"))
    return render_template("admin/department_edit.html", dept=dept, form=form), 400 if form.errors else 200


@bp.route("/departments/reorganise", methods=["POST"])
@roles_required("admin")
def department_reorganise():
    """A rename, merge or split from a fiscal year."""
    form = ReorganiseForm()
    form.old.choices = form.new.choices = _choices(_all())
    if form.validate_on_submit():
        old = [db.session.get(Department, i) for i in form.old.data]
        new = [db.session.get(Department, i) for i in form.new.data]
        try:
            departments.reorganise(form.kind.data, old, new, form.from_fy.data)
        except departments.DepartmentError as exc:
            db.session.rollback()
            form.kind.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"{form.from_fy.data}年度からの{REORG_KINDS[form.kind.data]}を記録しました。", "info")
            return redirect(url_for("admin.departments_list"))
    return _list_page(reorg_form=form, status=400)


@bp.route("/departments/roll-over", methods=["POST"])
@roles_required("admin")
def department_roll_over():
    """Move the people of renamed and merged departments to their department this fiscal year."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moved = departments.roll_over(fiscal_year_of(today_jst()))
    db.session.commit()
    flash(f"{moved}名の所属を改正後の所属に付け替えました（修了記録の所属は修了した時点のままです）。", "info")
    return redirect(url_for("admin.departments_list"))


@bp.route("/departments/mapping", methods=["GET", "POST"])
@roles_required("admin")
def department_mapping():
    """所属の対応づけ: free-text values not linked to the master, each mapped to a department."""
    rows = _all()
    form = MapForm()
    form.department_id.choices = _choices(rows)
    status = 200
    if request.method == "POST":
        known = {u.text for u in departments.unmapped()}
        if form.validate_on_submit() and form.text.data in known:
            dept = db.session.get(Department, form.department_id.data)
            users, done = departments.map_text(form.text.data, dept)
            db.session.commit()
            flash(f"「{form.text.data}」を「{dept.name}」に対応づけました（職員 {users}名・修了記録 {done}件）。", "info")
            return redirect(url_for("admin.department_mapping"))
        flash("対応づけできませんでした。一覧から選び直してください。", "error")
        status = 400
    return render_template("admin/department_mapping.html", unmapped=departments.unmapped(), choices=_choices(rows),
                           form=MapForm(formdata=None)), status
