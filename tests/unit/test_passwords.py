"""Password hashing strength and the password rules."""
import pytest
from flask import Flask

from training.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from training.config import DEFAULT_PASSWORD_HASH_METHOD, load_settings


def test_default_method_meets_owasp_minimum(tmp_path, monkeypatch):
    """PBKDF2-SHA256 with at least 600,000 iterations, set explicitly in the settings."""
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    method = load_settings(str(tmp_path))["PASSWORD_HASH_METHOD"]
    assert method == DEFAULT_PASSWORD_HASH_METHOD
    algorithm, digest, iterations = method.split(":")
    assert (algorithm, digest) == ("pbkdf2", "sha256")
    assert int(iterations) >= 600_000


def test_hash_uses_configured_method_and_verifies():
    app = Flask(__name__)
    app.config["PASSWORD_HASH_METHOD"] = DEFAULT_PASSWORD_HASH_METHOD
    with app.app_context():
        hashed = hash_password("a-long-password")
        assert hashed.startswith("pbkdf2:sha256:600000$")
        assert verify_password(hashed, "a-long-password")
        assert not verify_password(hashed, "a-long-passwore")
        assert not needs_rehash(hashed)
        app.config["PASSWORD_HASH_METHOD"] = "scrypt:131072:8:1"
        assert needs_rehash(hashed)


@pytest.mark.parametrize(
    ("password", "login_id", "ok"),
    [
        ("short", None, False),
        ("aaaaaaaaaaaa", None, False),
        ("demo-admin", "demo-admin", False),
        ("Demo-Admin", "demo-admin", False),
        ("ten-chars!", None, True),
        ("長いパスフレーズを使う", None, True),
    ],
)
def test_password_rules(password, login_id, ok):
    assert (password_problem(password, login_id=login_id) is None) is ok
