"""Sign-in computes password hashes with no database transaction open.

On SQLite every POST's transaction begins IMMEDIATE and holds the one write lock, so a hash
computed inside it (about 150 ms at full strength) would make every other writer wait.
"""
import pytest

from training.auth import accounts
from training.extensions import db


@pytest.fixture
def hash_calls(monkeypatch):
    """Record, for each hash verified or made during sign-in, whether a transaction was open."""
    calls = []
    real_verify, real_hash = accounts.verify_password, accounts.hash_password

    def verify(stored, password):
        calls.append(("verify", db.session().in_transaction()))
        return real_verify(stored, password)

    def make(password):
        calls.append(("hash", db.session().in_transaction()))
        return real_hash(password)

    monkeypatch.setattr(accounts, "verify_password", verify)
    monkeypatch.setattr(accounts, "hash_password", make)
    return calls


@pytest.mark.parametrize("who", ["unknown", "wrong", "right", "light-hash"])
def test_no_transaction_is_open_while_hashing(app, auth, create_user_factory, hash_calls, who):
    from werkzeug.security import generate_password_hash

    from tests.conftest import PASSWORD
    from training.models import User

    user_id, login_id = create_user_factory("trainee")
    if who == "light-hash":
        with app.app_context():
            db.session.get(User, user_id).password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:500")
            db.session.commit()
    auth.csrf_token("/login")
    hash_calls.clear()   # only what the sign-in itself computes
    response = auth.login("nobody-here" if who == "unknown" else login_id,
                          "wrong-password-9x" if who == "wrong" else PASSWORD)
    assert response.status_code == (302 if who in ("right", "light-hash") else 200)
    assert hash_calls, "sign-in verified no hash"
    assert all(not open_ for _kind, open_ in hash_calls), hash_calls
    if who == "light-hash":
        assert ("hash", False) in hash_calls   # upgraded to the configured strength, outside the lock
