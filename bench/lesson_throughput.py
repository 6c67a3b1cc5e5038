"""Lesson page throughput against a bare Flask hello-world, both under gunicorn, same run.

A signed-in trainee (demo-counter) reads a lesson section of the counter-staff course on
SQLite; the baseline is a one-route Flask app served the same way. Prints the ratio (goal:
at least 0.4). Usage: .venv/bin/python bench/lesson_throughput.py [--seconds 8] [--workers 4]
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import ROOT, Gunicorn, Session, load, prepare_instance  # noqa: E402

PASSWORD = "bench-demo-password"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    tmp, env = prepare_instance(PASSWORD)
    app = Gunicorn("training.wsgi:app", args.workers, env)
    hello = Gunicorn("hello_app:app", args.workers, env, cwd=ROOT / "bench")
    try:
        session = Session(app.port)
        token = session.csrf("/login")
        status, _, _ = session.request("POST", "/login", {"login_id": "demo-counter", "password": PASSWORD,
                                                          "csrf_token": token})
        assert status == 302, "sign-in failed"
        survey_page = "/learn/counter-staff/survey/pre"
        _s, html, _h = session.request("GET", survey_page)
        import re

        form = {"csrf_token": session.csrf(survey_page)}
        for name in set(re.findall(r'name="(eff-[^"]+)"', html)):
            form[name] = "3"
        for name in set(re.findall(r'name="(kn-[^"]+)"', html)):
            form[name] = "unknown"
        session.request("POST", survey_page, form)
        lesson = "/learn/counter-staff/m/core-listen/s/talk"
        status, html, _ = session.request("GET", lesson)
        assert status == 200 and "TALK" in html, f"lesson page not reachable ({status})"
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())

        load(hello.port, "/", "", 1.0, args.clients)          # warm-up
        load(app.port, lesson, cookie, 1.0, args.clients)
        hello_rps, hello_err = load(hello.port, "/", "", args.seconds, args.clients)
        lesson_rps, lesson_err = load(app.port, lesson, cookie, args.seconds, args.clients)
    finally:
        app.stop()
        hello.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = lesson_rps / hello_rps if hello_rps else 0.0
    print(f"workers={args.workers} clients={args.clients} seconds={args.seconds}")
    print(f"hello-world: {hello_rps:.0f} req/s ({hello_err} errors)")
    print(f"lesson page: {lesson_rps:.0f} req/s ({lesson_err} errors)")
    print("goal: ratio >= 0.4")
    print(f"RESULT lesson_page_vs_hello_world {ratio:.2f} ratio")


if __name__ == "__main__":
    main()
