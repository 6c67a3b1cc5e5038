"""A forked process never uses its parent's pooled database connections (issue 18).

gunicorn's master loads the app (``preload_app``) and forks the workers; the master closes its
connections before forking (training/wsgi.py ``before_fork``), and, should one still be pooled,
the child forgets it at once (training/database.py, ``os.register_at_fork``) and opens its own.
tests/integration/test_limits_gunicorn.py checks the same in a running gunicorn.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, text

from training.database import close_before_fork, track_engine


def test_a_forked_child_opens_its_own_connection_and_the_parent_keeps_its_own(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'fork.sqlite3'}")
    track_engine(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        parent_connection = connection.connection.dbapi_connection
    assert engine.pool.checkedin() == 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any of pytest's clean-up
        try:
            inherited = engine.pool.checkedin()
            with engine.connect() as connection:
                own = connection.connection.dbapi_connection is not parent_connection
                connection.execute(text("SELECT 1"))
            os.write(write, f"{inherited} {own}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    report = os.read(read, 100).decode()
    os.close(read)
    assert report == "0 True"  # nothing inherited, a connection of its own
    with engine.connect() as connection:  # the parent's pooled connection still works
        assert connection.connection.dbapi_connection is parent_connection
        assert connection.execute(text("SELECT 1")).scalar() == 1
    close_before_fork()
    assert engine.pool.checkedin() == 0
    engine.dispose()
