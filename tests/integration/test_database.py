"""The database layer on SQLite and PostgreSQL: pragmas, concurrency, UTC timestamps."""
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from training.dates import JST
from training.extensions import db
from training.models import AuditEntry


def _dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_sqlite_is_tuned_for_a_web_server(app):
    if _dialect(app) != "sqlite":
        pytest.skip("SQLite only")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def test_concurrent_writers_wait_instead_of_failing(app):
    """Read-then-write transactions in parallel: all commit, none sees 'database is locked'."""
    errors: list[Exception] = []
    threads_n, per_thread = 6, 15

    def worker(n: int):
        try:
            for i in range(per_thread):
                with app.app_context():
                    # A read first: with deferred transactions this is where two writers deadlock.
                    db.session.scalar(select(func.count()).select_from(AuditEntry))
                    db.session.add(AuditEntry(action="test.concurrent", detail={"worker": n, "i": i}))
                    db.session.commit()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(AuditEntry.action == "test.concurrent"))
    assert count == threads_n * per_thread


def test_timestamps_round_trip_utc_aware(app):
    moment = dt.datetime(2026, 11, 26, 9, 15, 30, tzinfo=JST)
    with app.app_context():
        entry = AuditEntry(action="test.time", at=moment, detail={})
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
        db.session.expire_all()
        stored = db.session.get(AuditEntry, entry_id).at
    assert stored.tzinfo is not None
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored == moment
    assert stored.hour == 0 and stored.minute == 15


def test_naive_timestamps_are_refused(app):
    with app.app_context():
        db.session.add(AuditEntry(action="test.naive", at=dt.datetime(2026, 1, 1, 12, 0), detail={}))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from training.models import UserRole

    with app.app_context():
        db.session.add(UserRole(user_id=999_999, role="trainee"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_postgres_pass_really_runs_on_postgres(app):
    """`make test` sets REQUIRE_POSTGRES=1 for its PostgreSQL pass; prove the server is one."""
    import os

    if os.environ.get("REQUIRE_POSTGRES") != "1":
        assert _dialect(app) in {"sqlite", "postgresql"}
        pytest.skip("PostgreSQL pass only")
    assert _dialect(app) == "postgresql"
    with app.app_context():
        version = db.session.execute(text("SELECT version()")).scalar()
        assert version.startswith("PostgreSQL")
        assert db.session.execute(text("SHOW server_version_num")).scalar().isdigit()
