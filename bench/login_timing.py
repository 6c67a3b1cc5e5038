"""Time of a failed sign-in, by kind of account, with the production hash method: a roster
account still holding its light first-login hash against an ordinary account (goal: a
ratio near 1, so the time does not tell the accounts apart), and an unknown login id.

Measured on `accounts.authenticate` (the whole check, audit entry included) rather than over
HTTP, so the login limits do not get in the way.

Usage: .venv/bin/python bench/login_timing.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="training-bench-"))

from training import create_app  # noqa: E402
from training.auth import accounts  # noqa: E402
from training.config import DEFAULT_PASSWORD_HASH_METHOD  # noqa: E402
from training.extensions import db  # noqa: E402
from training.models import User  # noqa: E402
from training.teach.roster import FIRST_LOGIN_HASH_METHOD  # noqa: E402


def median_ms(login_id: str, repeat: int) -> float:
    """Median time of a wrong-password sign-in for ``login_id``."""
    accounts.authenticate(login_id, "a-wrong-password")  # warm-up (the dummy hash is made once)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert accounts.authenticate(login_id, "a-wrong-password") is None
        times.append(time.perf_counter() - start)
        db.session.rollback()
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="training-login-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench" * 8, "PASSWORD_HASH_METHOD": DEFAULT_PASSWORD_HASH_METHOD,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
    with app.test_request_context():
        upgrade()
        for login_id, method in (("normal", DEFAULT_PASSWORD_HASH_METHOD), ("000101", FIRST_LOGIN_HASH_METHOD)):
            user = User(login_id=login_id, display_name="計測", employee_no=login_id if login_id[0].isdigit() else None,
                        password_hash=generate_password_hash("the-right-password-1", method=method))
            user.set_roles({"trainee"})
            db.session.add(user)
        db.session.commit()
        normal = median_ms("normal", args.repeat)
        light = median_ms("000101", args.repeat)
        unknown = median_ms("nobody-here", args.repeat)
    print(f"hash method {DEFAULT_PASSWORD_HASH_METHOD}; first-login hash {FIRST_LOGIN_HASH_METHOD}")
    print(f"failed sign-in: ordinary account {normal:.0f} ms, roster first-login account {light:.0f} ms, "
          f"unknown login id {unknown:.0f} ms")
    print(f"RESULT login_timing_ratio {light / normal:.2f} x")


if __name__ == "__main__":
    main()
