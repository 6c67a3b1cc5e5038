"""Engine set-up for both databases, and the start-up connectivity check.

SQLite is tuned for a web server: WAL (readers never block the writer), a busy timeout (a
writer waits for another instead of failing at once), foreign keys on, and write
transactions that begin with ``BEGIN IMMEDIATE`` so two writers queue up on the lock at the
start instead of deadlocking when both try to upgrade a read lock ("database is locked").
Requests that only read (GET, HEAD, OPTIONS) begin a deferred transaction so they never
wait for a writer; the few GET views that write (audited downloads) say so with
``writes_on_get``.
"""
from __future__ import annotations

import os
import weakref

from flask import current_app, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached; the message is one line for the operator."""


def engine_options(database_uri: str, busy_timeout_ms: int) -> dict:
    """SQLAlchemy engine options for the configured database."""
    if database_uri.startswith("sqlite"):
        return {
            # Python's sqlite3 must not open transactions itself: we issue BEGIN ourselves.
            "connect_args": {"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        }
    return {"pool_pre_ping": True}


#: The app's engines, for the fork hooks below (weak: the tests make many apps).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def track_engine(engine: Engine) -> None:
    """Make ``engine`` safe across ``fork()`` (gunicorn's preloaded master, a job worker's processes)."""
    _ENGINES.add(engine)


def close_before_fork() -> None:
    """Close every pooled connection: for a process about to fork workers and serve nothing."""
    for engine in list(_ENGINES):
        engine.dispose()


def _forget_inherited_connections() -> None:
    """In a forked child: drop the parent's pooled connections without closing them (closing
    would end the parent's session on the shared socket); the child opens its own."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def writes_on_get(view):
    """Mark a GET view that writes (an audited download): its transactions begin IMMEDIATE."""
    view.writes_on_get = True
    return view


def _wants_immediate() -> bool:
    """Begin IMMEDIATE unless this is a read-only HTTP request."""
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the pragmas and the BEGIN strategy on a SQLite engine (once per engine: the
    test suite hands one engine to many apps)."""
    if getattr(engine, "_training_sqlite_configured", False):
        return
    engine._training_sqlite_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the driver so our BEGIN is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: every request begins a transaction, and going through
        # exec_driver_sql cost more than the BEGIN itself.
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")


def describe_url(database_uri: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(database_uri).render_as_string(hide_password=True)


def check_connection(engine: Engine, database_uri: str) -> None:
    """Open one connection or raise DatabaseUnavailable with a one-line reason."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        first = reason[0] if reason else exc.__class__.__name__
        raise DatabaseUnavailable(
            f"データベースに接続できません: {describe_url(database_uri)} ({first})"
        ) from None


#: Compiled SQL per (statement, dialect) for ``driver_rows``.
_DRIVER_SQL: dict[tuple[object, str], tuple[str, tuple[str, ...] | None]] = {}


def driver_rows(session, statement, params: dict) -> list[tuple]:
    """Rows of a hot, fixed read straight from the driver, inside the session's transaction.

    For the two reads every signed-in page makes (the learning records and the session
    check), SQLAlchemy's per-execution work (execution context, result metadata, per-row type
    processing) cost more than the query itself: 0.5 ms against 0.14 ms on SQLite. The
    statement is compiled once per dialect; values come back as the driver gives them, so
    callers convert timestamps themselves with ``training.models.base.as_utc``. Only for statements whose
    bound parameters are plain values (no expanding ``IN`` lists).
    """
    connection = session.connection()
    key = (statement, connection.dialect.name)
    entry = _DRIVER_SQL.get(key)
    if entry is None:
        compiled = statement.compile(dialect=connection.dialect)
        entry = _DRIVER_SQL[key] = (str(compiled), compiled.positiontup)
    sql, positions = entry
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, [params[name] for name in positions] if positions else params)
        return cursor.fetchall()
    finally:
        cursor.close()
