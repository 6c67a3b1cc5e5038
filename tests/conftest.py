"""Shared fixtures (flaskr style): app, client, runner, auth, plus factories.

One suite, two databases, one knob: ``TEST_DATABASE_URL``. Unset, the suite runs on a SQLite
file in a temporary folder; set to a PostgreSQL URL (``make test`` starts a throwaway
cluster), the same tests run there. The schema is created once per run by the Alembic
migrations, exactly as in production; each test then starts from empty tables.
"""
from __future__ import annotations

import os
import tempfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, exists, literal, select

from training import create_app
from training.auth.accounts import NewUser, create_user
from training.extensions import db
from training.models import Base

# Tests never touch the project's own instance folder (its database or secret key).
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="training-instance-"))

#: Cheap hashing keeps the suite fast; test_passwords proves the production default.
TEST_HASH_METHOD = "pbkdf2:sha256:1000"
PASSWORD = "correct-horse-42"


def _config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
    }
    config.update(overrides)
    return config


#: One engine per (database, engine options) for the whole run. Each test makes its own app,
#: and Flask-SQLAlchemy made a new engine with it: a new connection, and on PostgreSQL the
#: dialect's first-connect queries, about 20 ms a test. Apps of the same configuration now share
#: the engine and its pooled connections (returned, rolled back, between tests). In-memory
#: SQLite is never shared: each of those engines is its own database.
_ENGINES: dict[tuple, object] = {}
_make_engine = db._make_engine


def _shared_engine(bind_key, options, app):
    url = str(options.get("url", ""))
    if ":memory:" in url or url in ("sqlite://", "sqlite+pysqlite://"):
        return _make_engine(bind_key, options, app)
    key = (bind_key, repr(sorted(options.items(), key=lambda item: item[0])))
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = _make_engine(bind_key, options, app)
    return engine


db._make_engine = _shared_engine


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database of this run, migrated once to the newest revision."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app_config(database_url) -> dict:
    """The config dict ``app`` is made from; tests may change it before using ``app``."""
    return _config(database_url)


@pytest.fixture
def app(app_config):
    """A fresh app on the migrated database; tables are emptied afterwards."""
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables(db.engine)


def empty_tables(engine) -> None:
    """Delete every row: one query finds the tables that hold any (a test fills a few of the
    50), then only those are emptied, children first. One round trip per table is what the
    cleanup cost on PostgreSQL before."""
    tables = list(reversed(Base.metadata.sorted_tables))
    probe = select(*(exists(select(literal(1)).select_from(table)).label(f"t{i}") for i, table in enumerate(tables)))
    with engine.begin() as connection:
        filled = connection.execute(probe).one()
        for table, has_rows in zip(tables, filled):
            if has_rows:
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_user_factory(app):
    """Return a callable that creates a committed user: ``create_user_factory("admin")``."""
    counter = {"n": 0}

    def make(*roles: str, audience: str | None = "counter_staff", login_id: str | None = None,
             password: str = PASSWORD, **fields):
        counter["n"] += 1
        login_id = login_id or f"user{counter['n']}-{'-'.join(roles) or 'trainee'}"
        with app.app_context():
            user = create_user(NewUser(login_id=login_id, display_name=fields.pop("display_name", f"利用者 {counter['n']}"),
                                       password=password, roles=tuple(roles or ("trainee",)),
                                       audience=audience, **fields))
            db.session.commit()
            return user.id, login_id

    return make


class AuthActions:
    """Sign in and out through the real forms (CSRF tokens included)."""

    def __init__(self, client):
        self._client = client

    def csrf_token(self, path: str = "/login") -> str:
        response = self._client.get(path)
        marker = 'name="csrf_token" type="hidden" value="'
        html = response.get_data(as_text=True)
        start = html.find(marker)
        if start == -1:
            marker = 'name="csrf_token" value="'
            start = html.find(marker)
        if start == -1:
            return ""  # CSRF switched off for this app (access-matrix tests)
        start += len(marker)
        return html[start:html.index('"', start)]

    def login(self, login_id: str, password: str = PASSWORD):
        token = self.csrf_token("/login")
        return self._client.post("/login", data={"login_id": login_id, "password": password,
                                                 "csrf_token": token})

    def logout(self):
        token = self.csrf_token("/help")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(create_user_factory, auth):
    """Create a user with ``roles`` and sign in as them; returns (user id, login id)."""

    def sign_in(*roles: str, **fields):
        user_id, login_id = create_user_factory(*roles, **fields)
        response = auth.login(login_id)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user_id, login_id

    return sign_in


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a ``with count_queries() as counter:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = {"n": 0}

        def before(*_args, **_kwargs):
            counter["n"] += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
