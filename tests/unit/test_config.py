"""Settings from the environment and the start-up guards."""
import pytest

from training import ConfigurationError, create_app
from training.config import DEFAULT_SECRET, load_settings


def test_refuses_default_secret_outside_debug_and_testing(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_testing_may_use_default_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_secret_key_file_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("from-file-secret\n")
    assert load_settings(str(tmp_path))["SECRET_KEY"] == "from-file-secret"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/a.sqlite3", "sqlite:////tmp/a.sqlite3"),
    ],
)
def test_database_url_schemes(tmp_path, monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    uri = load_settings(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{tmp_path / 'training.sqlite3'}"
