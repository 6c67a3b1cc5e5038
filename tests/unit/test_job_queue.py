"""Which Huey storage the app's queue uses (database-free: bare Flask apps, nothing connects)."""
from flask import Flask
from huey import RedisHuey, SqliteHuey

from training.jobs.queue import describe, get_huey


def _app(tmp_path, **config):
    app = Flask("jobs-queue-test", instance_path=str(tmp_path))
    app.config.update(config)
    return app


def test_sqlite_in_the_jobs_folder_by_default_redis_with_a_url_immediate_for_tests(tmp_path):
    default = get_huey(_app(tmp_path, JOB_DIR=str(tmp_path / "jobs")))
    assert isinstance(default, SqliteHuey) and default.storage.filename == str(tmp_path / "jobs" / "queue.sqlite3")
    redis_app = _app(tmp_path, REDIS_URL="redis://:secret@127.0.0.1:6399/2")
    assert isinstance(get_huey(redis_app), RedisHuey)
    assert describe(redis_app) == "Redis redis://:***@127.0.0.1:6399/2"  # no password in the worker's log
    immediate = get_huey(_app(tmp_path, JOB_QUEUE_IMMEDIATE=True))
    assert immediate.immediate and set(immediate._registry._registry) >= {"training.jobs.queue.run_job"}
