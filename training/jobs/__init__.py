"""Background jobs (issue 18): long work runs in ``training worker``, not in a request.

- ``start(kind, owner, params, title, file_name)`` records a Job, commits, and queues its id;
- training/jobs/kinds.py is the registry of kinds (run, access check, audit action);
- training/jobs/runner.py runs a job in the worker, keeps its heartbeat, queues again the jobs
  of a worker that died, and erases files past their keeping time;
- training/jobs/routes.py: the job page (progress, cancel, retry, download) and 「作成したファイル」.
"""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import select

from training import audit
from training.extensions import db
from training.models import Job, utcnow

#: Shown when the queue cannot take the job (Redis down, the queue file unwritable).
QUEUE_ERROR = ("処理の順番待ちに登録できませんでした。しばらくしてから「もう一度作成する」を押してください。"
               "続くときはシステム管理者にご連絡ください。")


def start(kind: str, owner, params: dict, *, title: str, file_name: str | None) -> Job:
    """Record and queue a job; an identical job of the same person still queued or running is
    returned instead (a second click starts nothing new). Commits."""
    from training.jobs.kinds import KINDS

    assert kind in KINDS, kind
    params = dict(params)
    if has_request_context():
        params.setdefault("base_url", request.host_url)
    for job in db.session.scalars(select(Job).where(Job.owner_id == owner.id, Job.kind == kind,
                                                    Job.status.in_(("queued", "running")))):
        if job.params == params:
            return job
    now = utcnow()
    job = Job(kind=kind, owner_id=owner.id, params=params, title=title, file_name=file_name, status="queued",
              created_at=now, queued_at=now, done_items=0, attempts=0)
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    audit.record("job.start", target_type="job", target_id=job_id, kind=kind, title=title)
    db.session.commit()
    # The id is taken before the commit: reading the expired row again would open a transaction
    # (a write lock on SQLite) that an immediate-mode run would then wait for.
    submit(job_id)
    return job


def submit(job_id: int) -> None:
    """Hand a committed, queued job to the queue; if the queue refuses, the job fails (retry later)."""
    import logging

    from training.jobs.queue import enqueue

    try:
        enqueue(job_id)
    except Exception:  # noqa: BLE001 - the person sees why in Japanese; the log has the rest
        logging.getLogger("training.jobs").exception("job %s: could not be queued", job_id)
        db.session.rollback()
        from sqlalchemy import update

        db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                           .values(status="failed", error=QUEUE_ERROR, finished_at=utcnow()))
        db.session.commit()
