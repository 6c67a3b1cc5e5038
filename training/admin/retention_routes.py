"""/admin/retention (issue 18): how many trainees are past the retention period (a dry run: a
count and their last activity, no names), and a retention run as a job, after a confirmation.
The cron's ``training retention`` stays as it was (inline)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from training import site_settings
from training.admin.forms import ConfirmForm
from training.admin.routes import bp
from training.auth.access import roles_required
from training.extensions import db
from training.integers import parse_int
from training.models import Job, utcnow
from training.records import retention


def _active_job():
    """A retention job still queued or running, whoever started it (one run at a time)."""
    return db.session.scalar(select(Job).where(Job.kind == "retention", Job.status.in_(("queued", "running")))
                             .order_by(Job.id.desc()).limit(1))


def _page(*, confirm: bool = False, error: str | None = None, code: int = 200):
    years = site_settings.load().retention_years
    count, oldest, newest = retention.due_summary(years, utcnow()) if years else (0, None, None)
    last = db.session.scalar(select(Job).where(Job.kind == "retention").order_by(Job.id.desc()).limit(1))
    return render_template("admin/retention.html", years=years, count=count, oldest=oldest, newest=newest,
                           form=ConfirmForm(), confirm=confirm and count > 0, error=error, last=last,
                           active=_active_job()), code


@bp.route("/retention", methods=["GET", "POST"])
@roles_required("admin")
def retention_page():
    """GET: who is due (a count). POST without ``confirm``: the confirmation; with it: the job."""
    if request.method == "GET":
        return _page()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(error="画面の有効期限が切れました。もう一度お試しください（何も削除していません）。", code=400)
    active = _active_job()
    if active is not None:
        flash("削除の処理が実行中です。終わってから、もう一度お試しください。", "info")
        return redirect(url_for("jobs.job_page", job_id=active.id))
    years = site_settings.load().retention_years
    if not years:
        return _page(error="保存年数が設定されていないため、削除する人はいません（何も削除していません）。", code=400)
    if request.form.get("confirm") != "yes":
        return _page(confirm=True)
    expected = parse_int(request.form.get("expected") or "", minimum=0)
    confirmed_years = parse_int(request.form.get("years") or "", minimum=0)
    now = utcnow()
    count, _oldest, _newest = retention.due_summary(years, now)
    if expected is None or confirmed_years != years or count > expected:
        return _page(confirm=True, error="確認した後に設定か対象の人数が変わりました。人数を確かめて、もう一度押してください"
                                         "（何も削除していません）。", code=409)
    if count == 0:
        flash("削除する人はいません（何も削除していません）。", "info")
        return redirect(url_for("admin.retention_page"))
    from training import jobs

    job = jobs.start("retention", current_user, {"years": years, "as_of": now.isoformat()},
                     title=f"保存期間（{years}年）を過ぎた個人情報の削除（{count}人）", file_name=None)
    return redirect(url_for("jobs.job_page", job_id=job.id))
