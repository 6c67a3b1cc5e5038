"""Render time of a class's progress matrix with 1,000 trainees (goal: under 300 ms), with a
small page of the same app measured in the same run as the baseline.

Usage: .venv/bin/python bench/matrix_render.py [--members 1000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import insert

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="training-bench-"))

from training import create_app  # noqa: E402
from training.auth.accounts import NewUser, create_user  # noqa: E402
from training.demo import simulate_learning  # noqa: E402
from training.extensions import db  # noqa: E402
from training.models import Cohort, CohortMember, CohortOwner, User, UserRole  # noqa: E402


def median_ms(client, path: str, repeat: int) -> float:
    client.get(path)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="training-matrix-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
    content = app.extensions["content"]
    course = content.course("counter-staff")
    with app.test_request_context():
        upgrade()
        instructor = create_user(NewUser(login_id="bench-instructor", display_name="研修 担当", password="bench-pass-123",
                                         roles=("instructor",)))
        cohort = Cohort(name="大きなクラス", audience="counter_staff", fiscal_year=2026)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=instructor.id))
        now = dt.datetime.now(dt.timezone.utc)
        ids = db.session.scalars(insert(User).returning(User.id), [
            {"login_id": f"m{i:05d}", "display_name": f"受講者 {i:05d}", "password_hash": "x", "audience": "counter_staff",
             "employee_no": f"{i:06d}", "active": True, "must_change_password": False, "session_token": f"t{i}",
             "created_at": now} for i in range(args.members)]).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
        db.session.execute(insert(CohortMember), [{"cohort_id": cohort.id, "user_id": i, "via": "csv", "joined_at": now}
                                                  for i in ids])
        # A realistic mix: a fifth finished, a fifth half-way, the rest not started.
        for n, user_id in enumerate(ids[: args.members * 2 // 5]):
            user = db.session.get(User, user_id)
            if n % 2 == 0:
                simulate_learning(user, course, content)
            else:
                simulate_learning(user, course, content, modules=3, scenarios=False, post=False)
        db.session.commit()
        cohort_id = cohort.id
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"login_id": "bench-instructor", "password": "bench-pass-123", "csrf_token": token})
    baseline = median_ms(client, "/teach/", args.repeat)
    matrix = median_ms(client, f"/teach/classes/{cohort_id}/progress", args.repeat)
    print(f"baseline (the instructor's class list): {baseline:.1f} ms")
    print(f"progress matrix, {args.members} trainees × {len(course.modules)} modules + {len(course.scenarios)} scenarios: "
          f"{matrix:.0f} ms ({matrix / baseline:.0f}× the baseline)")
    print("goal: under 300 ms")
    print(f"RESULT matrix_render_{args.members} {matrix:.0f} ms")


if __name__ == "__main__":
    main()
