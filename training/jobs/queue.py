"""The task queue: Huey, with its SQLite storage in the instance folder by default (no extra
service), Redis when ``REDIS_URL`` is set (several app servers share one queue), and Huey's own
immediate mode when ``JOB_QUEUE_IMMEDIATE`` is set (tests: the task runs at once, in-process).

Huey only carries a job's id; the ``job`` table is the record of truth (training/jobs/runner.py).
The queue is made on first use, so an app that never starts a job never opens it.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab


def jobs_dir(app: Flask | None = None) -> Path:
    """The folder where jobs write their files (and where the SQLite queue lives)."""
    app = app or current_app
    folder = Path(app.config.get("JOB_DIR") or Path(app.instance_path) / "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def get_huey(app: Flask | None = None) -> Huey:
    """This app's Huey instance, made (and its tasks registered) the first time it is asked for."""
    app = app or current_app._get_current_object()
    huey = app.extensions.get("huey")
    if huey is None:
        huey = app.extensions["huey"] = _make(app)
    return huey


def describe(app: Flask) -> str:
    """Where the queue is, for the worker's first line (no password of a Redis URL)."""
    if app.config.get("JOB_QUEUE_IMMEDIATE"):
        return "即時実行（テスト用）"
    if app.config.get("REDIS_URL"):
        from training.database import describe_url

        return f"Redis {describe_url(app.config['REDIS_URL'])}"
    return f"SQLite {jobs_dir(app) / 'queue.sqlite3'}"


def _make(app: Flask) -> Huey:
    if app.config.get("JOB_QUEUE_IMMEDIATE"):
        huey = Huey("training", immediate=True, results=False)
    elif app.config.get("REDIS_URL"):
        huey = RedisHuey("training", url=app.config["REDIS_URL"], results=False)
    else:
        huey = SqliteHuey("training", filename=str(jobs_dir(app) / "queue.sqlite3"), results=False)

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        from training.jobs import runner

        with app.app_context():
            runner.execute(app, job_id)

    @huey.periodic_task(crontab(minute="17"), name="purge_job_files")
    def purge_job_files() -> None:
        """Hourly: erase the files of jobs past their keeping time (JOB_FILE_DAYS)."""
        from training.jobs import runner

        with app.app_context():
            runner.purge_expired(app)

    huey.training_run_job = run_job
    return huey


def enqueue(job_id: int, app: Flask | None = None) -> None:
    """Put a job's id on the queue (the row is committed first: the worker reads it)."""
    get_huey(app).training_run_job(job_id)
