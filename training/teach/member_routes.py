"""Instructor pages for the members of a class, its owners, and the login slips (ID通知書)."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit, clock
from training.auth.access import roles_required
from training.content import current_content
from training.database import writes_on_get
from training.extensions import db
from training.models import Cohort, CohortMember, SlipBatch, User
from training.site_settings import load as load_settings
from training.teach import members, slips, years
from training.teach.routes import bp, load_cohort, visible_cohorts

NOTHING_CHANGED = "（何も変更していません）"


@bp.before_request
def _purge_expired_slips():
    """Any instructor's POST erases the passwords of slip batches past their 24 hours.

    Downloads and new batches purge too; this catches batches nobody comes back to. A POST
    is a write transaction already, so this is one more UPDATE on a small table; it commits
    only when it erased something.
    """
    if request.method == "POST" and slips.purge_expired():
        db.session.commit()  # on its own: the view may end without committing (a refused form)


def _member(cohort: Cohort, user_id: int) -> User:
    """A member of the class; 404 for anyone else (no hint who exists)."""
    user = db.session.get(User, user_id)
    if user is None or members.membership(cohort, user.id) is None:
        abort(404)
    return user


def _archived(cohort: Cohort):
    """An archived class is read-only (issue 16, classes across years): its members and owners
    are not changed from it. The redirect to the class page with the message, or None."""
    if cohort.archived:
        flash(years.READ_ONLY, "error")
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    return None


def _confirmed(value: str) -> None:
    """Actions without other input carry their name: a stray or forged POST does nothing (400)."""
    if request.form.get("confirm") != value:
        abort(400)


def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _member_page(cohort, user, *, values=None, errors=None, status=200):
    others = [c for c in visible_cohorts() if c.id != cohort.id and not c.archived]
    problem = members.account_problem(current_user, user)
    classes = db.session.scalars(select(Cohort).join(CohortMember).where(CohortMember.user_id == user.id)
                                 .order_by(Cohort.fiscal_year.desc(), Cohort.name)).all()
    values = values or {name: getattr(user, name) or "" for name in members.EDITABLE}
    return render_template("teach/member.html", cohort=cohort, user=user, others=others, problem=problem,
                           values=values, errors=errors, fields=members.EDITABLE, classes=classes), status


@bp.route("/classes/<int:cohort_id>/members/<int:user_id>", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def member(cohort_id: int, user_id: int):
    """A member's details with the actions: edit, move, reset the password, remove."""
    cohort = load_cohort(cohort_id)
    user = _member(cohort, user_id)
    if request.method == "POST":
        if (refused := _archived(cohort)) is not None:
            return refused
        values = {name: request.form.get(name, "") for name in members.EDITABLE}
        try:
            changes = members.edit(cohort, user, values, current_user)
            db.session.commit()
        except members.MemberError as exc:
            db.session.rollback()
            return _member_page(cohort, user, values=values, errors=str(exc) + NOTHING_CHANGED, status=422)
        except IntegrityError:  # the number was taken by another change between our check and our write
            db.session.rollback()
            return _member_page(cohort, user, values=values, status=422,
                                errors=f"職員番号「{values['employee_no']}」は別の方がすでに使っています。" + NOTHING_CHANGED)
        flash("登録情報を変更しました。" if changes else "変更はありませんでした。", "info")
        return redirect(url_for("teach.member", cohort_id=cohort.id, user_id=user.id))
    return _member_page(cohort, user)


@bp.route("/classes/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@roles_required("instructor", "admin")
def remove_member(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    user = _member(cohort, user_id)
    _confirmed("remove")
    if (refused := _archived(cohort)) is not None:
        return refused
    members.remove(cohort, user)
    db.session.commit()
    flash(f"{user.display_name} さんをクラスから外しました。学習の記録・修了・修了証はそのまま残ります。", "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/members/<int:user_id>/move", methods=["POST"])
@roles_required("instructor", "admin")
def move_member(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    user = _member(cohort, user_id)
    if (refused := _archived(cohort)) is not None:
        return refused
    target = request.form.get("to", "")
    try:
        moved_to = members.move(cohort, user, int(target) if target.isascii() and target.isdigit()
                                and len(target) < 10 else None, current_user)
        db.session.commit()
    except members.MemberError as exc:
        db.session.rollback()
        flash(str(exc) + NOTHING_CHANGED, "error")
        return redirect(url_for("teach.member", cohort_id=cohort.id, user_id=user.id))
    flash(f"{user.display_name} さんをクラス「{moved_to.name}」に移しました。学習の記録はそのまま引き継がれます。", "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


@bp.route("/classes/<int:cohort_id>/members/<int:user_id>/password", methods=["POST"])
@roles_required("instructor", "admin")
def reset_member_password(cohort_id: int, user_id: int):
    """A new first-login password, shown once here, with its slip (PDF and CSV, once each)."""
    cohort = load_cohort(cohort_id)
    user = _member(cohort, user_id)
    _confirmed("reset")
    if (refused := _archived(cohort)) is not None:
        return refused
    try:
        slip, batch = members.reset_password(cohort, user, current_user)
        db.session.commit()
    except members.MemberError as exc:
        db.session.rollback()
        flash(str(exc) + NOTHING_CHANGED, "error")
        return redirect(url_for("teach.member", cohort_id=cohort.id, user_id=user.id))
    return _no_store(Response(render_template("teach/reset_done.html", cohort=cohort, user=user, slip=slip,
                                              batch=batch)))


@bp.route("/classes/<int:cohort_id>/owners/<int:user_id>/remove", methods=["POST"])
@roles_required("instructor", "admin")
def remove_owner(cohort_id: int, user_id: int):
    cohort = load_cohort(cohort_id)
    _confirmed("remove-owner")
    if (refused := _archived(cohort)) is not None:
        return refused
    try:
        user = members.remove_owner(cohort, user_id)
        db.session.commit()
    except members.MemberError as exc:
        db.session.rollback()
        flash(str(exc) + NOTHING_CHANGED, "error")
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    name = user.display_name if user else "その方"
    if user is not None and user.id == current_user.id and not current_user.has_role("admin"):
        flash(f"クラス「{cohort.name}」の担当から外れました。", "info")
        return redirect(url_for("teach.classes"))
    flash(f"{name} さんを担当から外しました。", "info")
    return redirect(url_for("teach.cohort", cohort_id=cohort.id))


def _batch(batch_id: int) -> SlipBatch:
    """A slip batch made by the person asking, of a class they still run; otherwise 404."""
    batch = db.session.get(SlipBatch, batch_id)
    if batch is None or batch.created_by_id != current_user.id:
        abort(404)
    if batch.cohort_id is not None:
        load_cohort(batch.cohort_id)
    return batch


def _site_url() -> str:
    return url_for("auth.login", _external=True)


@bp.route("/slips/<int:batch_id>")
@roles_required("instructor", "admin")
def slip_batch(batch_id: int):
    """What is left of a slip batch: the downloads still available, or how to get new slips."""
    batch = _batch(batch_id)
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    return _no_store(Response(render_template("teach/slips.html", batch=batch, cohort=cohort,
                                              pdf=slips.available(batch, "pdf"), csv=slips.available(batch, "csv"))))


def _gone(batch: SlipBatch):
    db.session.commit()  # keeps the purge of expired passwords that take() ran
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    return _no_store(Response(render_template("teach/slips.html", batch=batch, cohort=cohort, pdf=False,
                                              csv=False, gone=True), status=410))


@bp.route("/slips/<int:batch_id>.pdf")
@roles_required("instructor", "admin")
@writes_on_get
def slip_pdf(batch_id: int):
    """The slips as one PDF, once (the passwords are not kept afterwards)."""
    batch = _batch(batch_id)
    if batch.count > current_app.config["SLIP_PDF_DIRECT_MAX"]:
        # A large roster's PDF is drawn by the worker (slip_pdf_job): never in a request.
        db.session.commit()
        flash(f"{batch.count}人分の ID通知書（PDF）は「ID通知書（PDF）を作成」から作成してください。", "info")
        return redirect(url_for("teach.slip_batch", batch_id=batch.id))
    try:
        items = slips.take(batch, "pdf")
    except slips.SlipsGone:
        return _gone(batch)
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    html = slips.render_html(items, site_url=_site_url(), organisation=load_settings().organisation_name,
                             class_name=cohort.name if cohort else "", contacts=current_content().contacts)
    data = slips.render_pdf(html)
    audit.record("slips.download", target_type="slip_batch", target_id=batch.id, format="pdf", count=len(items))
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="slips-{batch.id}-{clock.file_stamp()}.pdf"'
    return _no_store(response)


@bp.route("/slips/<int:batch_id>/pdf-job", methods=["POST"])
@roles_required("instructor", "admin")
def slip_pdf_job(batch_id: int):
    """Start drawing a large roster's slips as one PDF in the worker; its page offers the file once."""
    from training import jobs
    from training.teach.forms import ConfirmForm

    batch = _batch(batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not slips.available(batch, "pdf"):
        return _gone(batch)
    job = jobs.start("slips_pdf", current_user, {"batch_id": batch.id, "site_url": _site_url()},
                     title=f"ID通知書（PDF・{batch.count}人分）", file_name=f"slips-{batch.id}-{clock.file_stamp()}.pdf")
    return redirect(url_for("jobs.job_page", job_id=job.id))


@bp.route("/slips/<int:batch_id>.csv")
@roles_required("instructor", "admin")
@writes_on_get
def slip_csv(batch_id: int):
    """The same slips as CSV (for a mail merge), once."""
    batch = _batch(batch_id)
    try:
        items = slips.take(batch, "csv")
    except slips.SlipsGone:
        return _gone(batch)
    audit.record("slips.download", target_type="slip_batch", target_id=batch.id, format="csv", count=len(items))
    db.session.commit()
    response = Response(slips.to_csv(items, _site_url()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="slips-{batch.id}-{clock.file_stamp()}.csv"'
    return _no_store(response)
