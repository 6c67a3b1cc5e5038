"""Job pages: progress (polled by /static/jobs.js, a reload link without JavaScript), cancel,
retry, download, and the list of the files one has had made."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import and_, or_, select, update

from training import audit
from training.auth.access import roles_required
from training.database import writes_on_get
from training.extensions import db
from training.jobs import submit
from training.jobs.kinds import KINDS
from training.models import Job, utcnow

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

#: A job queued longer than this is probably waiting for a worker that is not running.
LONG_WAIT = dt.timedelta(minutes=5)


def _load(job_id: int) -> Job:
    """The job, if the kind lets this person see it (its maker only, for a kind no longer known); else 404."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    kind = KINDS.get(job.kind)
    allowed = kind.can_access(current_user, job) if kind else job.owner_id == current_user.id
    if not allowed:
        abort(404)
    return job


def _left(seconds: float) -> str:
    if seconds < 60:
        return f"残り約{max(5, int(round(seconds / 5.0)) * 5)}秒"
    return f"残り約{int(round(seconds / 60.0))}分"


def progress_of(job: Job, now: dt.datetime | None = None) -> dict:
    """Items done of total, percent and time left, as the page and the JSON show them."""
    now = now or utcnow()
    total, done = job.total_items, job.done_items or 0
    percent = int(done * 100 / total) if total else (100 if job.status == "done" else 0)
    left = None
    if job.status == "running" and total and 0 < done < total and job.started_at:
        elapsed = (now - job.started_at).total_seconds()
        left = _left(elapsed / done * (total - done))
    if job.status == "queued" and job.queued_at and now - job.queued_at > LONG_WAIT:
        text = ("順番待ちです。長く始まらないときは、処理を行うプログラム（ワーカー）が止まっているかもしれません。"
                "システム管理者にご連絡ください。")
    elif job.status == "queued":
        text = "順番待ちです。前の処理が終わると始まります。"
    elif job.status == "running" and not total:
        text = "準備しています。"
    elif job.status == "running":
        text = f"{done} / {total} 件（{percent}%）" + (f"・{left}" if left else "")
    elif job.status == "done":
        text = f"完了しました（{total or 0}件）。"
    elif job.status == "cancelled":
        text = "取り消しました。"
    else:
        text = "失敗しました。"
    kind = KINDS.get(job.kind)
    label = "実行中" if job.status == "running" and kind is not None and not kind.file else job.status_label
    return {"status": job.status, "label": label, "done": done, "total": total, "percent": percent,
            "left": left, "text": text, "finished": job.finished}


@bp.route("/")
@roles_required()
def my_jobs():
    """「作成したファイル」: the jobs this person started, newest first."""
    jobs = db.session.scalars(select(Job).where(Job.owner_id == current_user.id)
                              .order_by(Job.created_at.desc(), Job.id.desc()).limit(100)).all()
    return render_template("jobs/list.html", jobs=jobs, kinds=KINDS, progress_of=progress_of,
                           days=current_app.config["JOB_FILE_DAYS"])


@bp.route("/<int:job_id>")
@roles_required()
def job_page(job_id: int):
    job = _load(job_id)
    return _page(job)


def _page(job: Job, status: int = 200, gone: bool = False):
    kind = KINDS.get(job.kind)
    with_file = kind is None or kind.file
    gone = with_file and (gone or (job.status == "done" and not job.file_path))
    summary = kind.summary(job) if kind and kind.summary and job.finished else None
    details = kind.details(job) if kind and kind.details and job.finished else None
    back = kind.back(job) if kind and kind.back else None
    return render_template("jobs/job.html", job=job, kind=kind, progress=progress_of(job), gone=gone,
                           with_file=with_file, summary=summary, details=details, back=back,
                           days=current_app.config["JOB_FILE_DAYS"]), status


@bp.route("/<int:job_id>/status")
@roles_required()
def job_status(job_id: int):
    """The progress as JSON, for the page's script."""
    return jsonify(progress_of(_load(job_id)))


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@roles_required()
def cancel(job_id: int):
    job = _load(job_id)
    changed = db.session.execute(update(Job).where(Job.id == job.id, Job.status.in_(("queued", "running")))
                                 .values(status="cancelled", finished_at=utcnow())).rowcount
    if changed:
        audit.record("job.cancel", target_type="job", target_id=job.id, kind=job.kind)
        db.session.commit()
        flash("取り消しました。作成中のものは、次の1件の区切りで止まります。", "info")
    else:
        db.session.rollback()
        flash("この処理はすでに終わっているため、取り消せません。", "error")
    return redirect(url_for("jobs.job_page", job_id=job_id))


@bp.route("/<int:job_id>/retry", methods=["POST"])
@roles_required()
def retry(job_id: int):
    job = _load(job_id)
    kind = KINDS.get(job.kind)
    if kind is not None and not kind.file and job.status == "done":
        flash("この処理は終わっています。やり直す必要はありません。", "error")  # no file to make again
        return redirect(url_for("jobs.job_page", job_id=job_id))
    now = utcnow()
    old_file = job.file_path
    # Failed or cancelled; or done, with its file erased after the keeping time.
    again = or_(Job.status.in_(("failed", "cancelled")),
                and_(Job.status == "done", or_(Job.file_path.is_(None), Job.expires_at <= now)))
    changed = db.session.execute(update(Job).where(Job.id == job.id, again)
                                 .values(status="queued", queued_at=now, started_at=None, finished_at=None,
                                         heartbeat_at=None, done_items=0, total_items=None, error=None,
                                         attempts=0, file_path=None, file_size=None, expires_at=None)).rowcount
    if not changed:
        db.session.rollback()
        flash("この処理は失敗も取り消しもしていないため、やり直す必要はありません。", "error")
        return redirect(url_for("jobs.job_page", job_id=job_id))
    audit.record("job.retry", target_type="job", target_id=job_id, kind=job.kind)
    db.session.commit()
    if old_file:
        Path(old_file).unlink(missing_ok=True)
    submit(job_id)
    flash("もう一度作成します。" if kind is None or kind.file else "もう一度実行します。", "info")
    return redirect(url_for("jobs.job_page", job_id=job_id))


@bp.route("/<int:job_id>/download")
@roles_required()
@writes_on_get  # audited, as the direct downloads are
def download(job_id: int):
    job = _load(job_id)
    kind = KINDS.get(job.kind)
    if job.status != "done" or (kind is not None and not kind.file):
        return redirect(url_for("jobs.job_page", job_id=job_id))
    path = Path(job.file_path) if job.file_path else None
    if kind is None or path is None or not path.is_file() or (job.expires_at and job.expires_at <= utcnow()):
        return _page(job, 410, gone=True)
    detail = kind.audit_detail(job) if kind.audit_detail else {}
    audit.record(kind.audit_action, target_type="job", target_id=job.id, file=job.file_name, via="job", **detail)
    mimetype = kind.mimetype_for(job) if kind.mimetype_for else kind.mimetype
    if kind.once:
        # One download: the row forgets the file in the same transaction as the audit entry, so
        # a second click (or another person) finds it gone; then the bytes are sent and erased.
        taken = db.session.execute(update(Job).where(Job.id == job.id, Job.file_path == str(path))
                                   .values(file_path=None, file_size=None)).rowcount
        db.session.commit()
        if taken != 1:
            return _page(job, 410, gone=True)
        data = path.read_bytes()
        path.unlink(missing_ok=True)
        response = Response(data, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
    db.session.commit()
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=job.file_name,
                         max_age=0, conditional=False, etag=False)
    response.headers["Content-Type"] = mimetype  # as given: Werkzeug would add its own charset to text/csv
    response.headers["Cache-Control"] = "private, no-store"
    return response
