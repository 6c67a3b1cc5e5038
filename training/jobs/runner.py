"""Running a job in the worker, its heartbeat, recovery of a dead worker's jobs, and expiry.

Every change of a job's status is one conditional UPDATE (``WHERE status = …``), so two
workers, or a worker and a person pressing 取り消す, never both win: a duplicate task finds
the job no longer queued and does nothing; a cancelled job's next progress update matches no
row and the run stops between two items.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import select, update

from training.extensions import db
from training.jobs.queue import enqueue, jobs_dir
from training.models import Job, utcnow

log = logging.getLogger("training.jobs")

#: Shown for any failure the job's own code did not explain (the traceback goes to the log).
GENERIC_ERROR = ("作成中に予期しないエラーが起きたため、止まりました。「もう一度作成する」で再実行できます。"
                 "続けて失敗するときは、システム管理者にご連絡ください。")


class Cancelled(Exception):
    """The job was cancelled (or taken over) while it ran: stop between two items."""


class JobError(Exception):
    """A failure a job kind explains itself, in Japanese, to the person who started it."""


class Progress:
    """What a job's run function calls: ``start(total)`` once, then ``progress(done)``.

    Each call renews the heartbeat and, at most every ``interval`` seconds (and at the end),
    writes the count; a cancelled job raises :class:`Cancelled` from the next call.
    """

    def __init__(self, engine, job_id: int, *, interval: float = 0.25, delay: float = 0.0):
        self._engine, self._job_id, self._interval, self._delay = engine, job_id, interval, delay
        self._last = 0.0
        self.total: int | None = None
        #: A kind without a file keeps what it did here (a small dict of JSON values); it is
        #: written to the job's ``result`` column with each progress write (so a killed worker's
        #: row says how far it got) and by the runner when the run ends, however it ends.
        self.result: dict | None = None

    def _write(self, **values) -> None:
        if self.result is not None:
            values["result"] = self.result
        with self._engine.begin() as connection:
            changed = connection.execute(update(Job).where(Job.id == self._job_id, Job.status == "running")
                                         .values(heartbeat_at=utcnow(), **values)).rowcount
        if not changed:
            raise Cancelled()

    def start(self, total: int) -> None:
        self.total = total
        self._write(total_items=total, done_items=0)
        self._last = time.monotonic()

    def __call__(self, done: int, *, every: bool = False) -> None:
        """``every``: write (and so notice a cancel) after this item whatever the interval: for
        items that are slow anyway and must not run one too many (a mail sent after a cancel)."""
        if self._delay:
            time.sleep(self._delay)  # JOB_ITEM_DELAY_SECONDS: the crash test's slow-down hook
        now = time.monotonic()
        if every or now - self._last >= self._interval or done == self.total:
            self._last = now
            self._write(done_items=done)


class Heartbeat(threading.Thread):
    """Renews ``heartbeat_at`` every ``interval`` seconds while the job runs, whatever the run
    function is doing (one item may take longer than the stale limit)."""

    def __init__(self, engine, job_id: int, interval: float):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self._engine, self._job_id, self._interval = engine, job_id, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            try:
                with self._engine.begin() as connection:
                    connection.execute(update(Job).where(Job.id == self._job_id, Job.status == "running")
                                       .values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001 - a missed beat is retried; the run goes on
                log.warning("job %s: heartbeat not written", self._job_id, exc_info=True)

    def stop(self) -> None:
        self._stop_event.set()


def _expires(kind, job, done_at, app):
    """JOB_FILE_DAYS after the file was made, or sooner when the kind says so."""
    keep = done_at + dt.timedelta(days=float(app.config["JOB_FILE_DAYS"]))
    if kind.expires_for is None:
        return keep
    sooner = kind.expires_for(job)
    db.session.rollback()  # end the kind's read: the row is then written on the runner's own connection
    return min(keep, sooner) if sooner is not None else keep


def _finish(engine, job_id: int, from_status: str, **values) -> bool:
    with engine.begin() as connection:
        return bool(connection.execute(update(Job).where(Job.id == job_id, Job.status == from_status)
                                       .values(**values)).rowcount)


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s", path, exc_info=True)


def _store_result(engine, job_id: int, result: dict | None) -> None:
    """Keep a no-file kind's result in the job's ``result`` column, whatever the job's status
    now (a cancelled run's result says how far it got). The params, its input, are not touched."""
    if result is None:
        return  # the run did nothing to report (the column was emptied when it started)
    with engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(result=result))


def execute(app: Flask, job_id: int) -> None:
    """Run one job (called by the Huey task, inside an app context)."""
    from training.jobs.kinds import KINDS

    engine = db.engine
    now = utcnow()
    if not _finish(engine, job_id, "queued", status="running", started_at=now, heartbeat_at=now,
                   attempts=Job.attempts + 1, done_items=0, error=None, finished_at=None, result=None):
        log.info("job %s: not queued any more (cancelled, or run by another worker); skipped", job_id)
        return
    job = db.session.get(Job, job_id)
    # Detached, so that no later commit expires it and reading an attribute never opens a
    # transaction again (on SQLite a write lock that the status updates would wait for).
    db.session.expunge(job)
    db.session.rollback()  # end the read: nothing holds the database while the work runs
    kind = KINDS.get(job.kind)
    folder = jobs_dir(app)
    part = folder / f"job-{job_id}.part"
    stale = float(app.config["JOB_STALE_SECONDS"])
    heartbeat = Heartbeat(engine, job_id, max(0.2, stale / 4))
    heartbeat.start()
    progress = Progress(engine, job_id, delay=float(app.config.get("JOB_ITEM_DELAY_SECONDS") or 0))
    try:
        if kind is None:
            raise JobError("この種類の処理は、いまは使えません。")
        # The run function sees a request to the address the job was started from (links on
        # certificates, url_for), as the synchronous download did.
        with app.test_request_context(base_url=job.params.get("base_url") or None):
            if not kind.file:
                try:
                    kind.run(job, None, progress)
                finally:
                    db.session.rollback()
                    _store_result(engine, job_id, progress.result)
                done_at = utcnow()
                _finish(engine, job_id, "running", status="done", finished_at=done_at, heartbeat_at=done_at,
                        done_items=progress.total if progress.total is not None else Job.done_items)
                return
            with open(part, "wb") as target:
                kind.run(job, target, progress)
            db.session.rollback()
        db.session.rollback()
        final = folder / f"job-{job_id}-{secrets.token_hex(8)}{Path(job.file_name or '').suffix}"
        part.replace(final)
        done_at = utcnow()
        if not _finish(engine, job_id, "running", status="done", finished_at=done_at, heartbeat_at=done_at,
                       file_path=str(final), file_size=final.stat().st_size,
                       done_items=progress.total if progress.total is not None else Job.done_items,
                       expires_at=_expires(kind, job, done_at, app)):
            final.unlink(missing_ok=True)  # cancelled after the last item
    except Cancelled:
        log.info("job %s: cancelled; stopped", job_id)
        _discard(part)
    except JobError as exc:
        _discard(part)
        _finish(engine, job_id, "running", status="failed", finished_at=utcnow(), error=str(exc))
    except Exception:  # noqa: BLE001 - recorded for the person in Japanese, logged in full
        log.exception("job %s (%s) failed", job_id, getattr(job, "kind", "?"))
        _discard(part)
        _finish(engine, job_id, "running", status="failed", finished_at=utcnow(), error=GENERIC_ERROR)
    finally:
        heartbeat.stop()
        db.session.rollback()


def recover_stale(app: Flask, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Queue again the running jobs whose worker stopped beating (killed, machine lost), and the
    queued jobs the queue no longer holds (a worker killed after taking the task, before
    starting it). After JOB_MAX_ATTEMPTS runs a job fails with a Japanese message.

    Returns (ids queued again, ids given up).
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=float(app.config["JOB_STALE_SECONDS"]))
    limit = int(app.config["JOB_MAX_ATTEMPTS"])
    engine = db.engine
    stale = db.session.execute(select(Job.id, Job.attempts).where(
        Job.status == "running", Job.heartbeat_at < cutoff)).all()
    waiting = db.session.scalars(select(Job.id).where(Job.status == "queued", Job.queued_at < cutoff)).all()
    db.session.rollback()
    requeued, given_up = [], []
    for job_id, attempts in stale:
        if attempts >= limit:
            if _finish(engine, job_id, "running", status="failed", finished_at=now,
                       error=f"処理が途中で止まったため、{attempts}回試したところで中止しました。"
                             "「もう一度作成する」で再実行できます。続くときはシステム管理者にご連絡ください。"):
                given_up.append(job_id)
            continue
        with engine.begin() as connection:
            taken = connection.execute(update(Job).where(Job.id == job_id, Job.status == "running",
                                                         Job.heartbeat_at < cutoff)
                                       .values(status="queued", queued_at=now, heartbeat_at=None)).rowcount
        if taken:
            enqueue(job_id, app)
            requeued.append(job_id)
    if waiting:
        from training.jobs.queue import get_huey

        pending = {task.args[0] for task in get_huey(app).pending() if task.name == "run_job" and task.args}
        for job_id in waiting:
            if job_id in pending:
                continue  # still in line behind other work
            if _finish(engine, job_id, "queued", queued_at=now):
                enqueue(job_id, app)
                requeued.append(job_id)
    for job_id in requeued:
        log.warning("job %s: its worker stopped; queued again", job_id)
    return requeued, given_up


def purge_expired(app: Flask, now: dt.datetime | None = None) -> int:
    """Erase the files of jobs past ``expires_at``; the rows stay (who made what, when).
    Also removes partial files no queued or running job owns. Returns how many files were erased."""
    now = now or utcnow()
    expired = db.session.execute(select(Job.id, Job.file_path).where(
        Job.file_path.is_not(None), Job.expires_at < now)).all()
    db.session.rollback()
    count = 0
    for job_id, path in expired:
        Path(path).unlink(missing_ok=True)
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id).values(file_path=None))
        count += 1
    # Partial files of runs that ended without cleaning up (a worker killed mid-job that is
    # not running again): no job owns them any more.
    active = set(db.session.scalars(select(Job.id).where(Job.status.in_(("queued", "running")))))
    db.session.rollback()
    for part in jobs_dir(app).glob("job-*.part"):
        number = part.name[len("job-"):-len(".part")]
        if number.isdigit() and int(number) not in active:
            _discard(part)
            count += 1
    return count
