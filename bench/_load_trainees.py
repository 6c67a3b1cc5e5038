"""Set up the load test's database: migrate it, then create the simulated trainees.

Run by bench/load_test.py in the instance's environment (DATABASE_URL, SECRET_KEY, ...), in
its own process so the load generator never holds the app or a database connection.
Usage: python bench/_load_trainees.py COUNT PASSWORD [ADMIN_LOGIN_ID]. Prints one JSON object
on its last line: {login_id: [user id, course id]}; with ADMIN_LOGIN_ID, an administrator with
the same password is created too (the scale-out test deactivates a trainee as an admin would).

Trainees are spread over the five audiences, so every course's pages are exercised. They are
created with the app's own account function (``create_user``), hashed with the method in
PASSWORD_HASH_METHOD (the bench sets a cheap one).
"""
from __future__ import annotations

import json
import sys

from flask_migrate import upgrade

from training import create_app
from training.auth.accounts import NewUser, create_user
from training.content import current_content
from training.extensions import db
from training.models import AUDIENCES


def create_trainees(count: int, password: str) -> dict[str, tuple[int, str]]:
    """Create ``count`` trainees (load-000, load-001, ...) and return login id -> (id, course id)."""
    audiences = sorted(AUDIENCES)
    created = {}
    for i in range(count):
        audience = audiences[i % len(audiences)]
        login_id = f"load-{i:03d}"
        user = create_user(NewUser(login_id=login_id, display_name=f"負荷試験 受講者{i:03d}", password=password,
                                   audience=audience, department="負荷試験"))
        created[login_id] = (user, current_content().course_for_audience(audience).id)
    db.session.commit()
    return {login_id: (user.id, course_id) for login_id, (user, course_id) in created.items()}


def main() -> None:
    count, password = int(sys.argv[1]), sys.argv[2]
    app = create_app()
    with app.app_context():
        upgrade()
        trainees = create_trainees(count, password)
        if len(sys.argv) > 3:
            create_user(NewUser(login_id=sys.argv[3], display_name="負荷試験 管理者", password=password,
                                roles=("admin",)))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(trainees))


if __name__ == "__main__":
    main()
