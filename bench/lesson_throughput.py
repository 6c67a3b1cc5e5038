"""Lesson page throughput against a bare Flask hello-world, both under gunicorn, same run.

A signed-in trainee (demo-counter) reads a lesson section of the counter-staff course on
SQLite; the baseline is a one-route Flask app served the same way. Also measured: the
"floor", an empty signed-in page of the same app (bench/floor_app.py), which shows how much
of the gap is the fixed cost of any signed-in page. The three are measured in alternating
rounds and each ratio is the median over the rounds, so a burst of load from other work on
a shared machine skews one round, not the result. Prints the ratio (goal: at least 0.4).
Usage: .venv/bin/python bench/lesson_throughput.py [--seconds 3] [--rounds 5] [--workers 4]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import ROOT, Gunicorn, Session, load, prepare_instance  # noqa: E402

PASSWORD = "bench-demo-password"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    tmp, env = prepare_instance(PASSWORD)
    app = Gunicorn("training.wsgi:app", args.workers, env)
    hello = Gunicorn("hello_app:app", args.workers, env, cwd=ROOT / "bench")
    floor = Gunicorn("floor_app:app", args.workers, env, cwd=ROOT / "bench")
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

        targets = {"hello": (hello.port, "/", ""), "floor": (floor.port, "/bench/floor", cookie),
                   "lesson": (app.port, lesson, cookie)}
        floor_session = Session(floor.port)
        floor_session.cookies = dict(session.cookies)
        status, html, _ = floor_session.request("GET", "/bench/floor")
        assert status == 200 and "ログアウト" in html, f"floor page not reachable ({status})"
        for port, path, cookies in targets.values():   # warm-up
            load(port, path, cookies, 1.0, args.clients)
        rounds = {name: [] for name in targets}
        errors = {name: 0 for name in targets}
        for _ in range(args.rounds):
            for name, (port, path, cookies) in targets.items():
                rps, err = load(port, path, cookies, args.seconds, args.clients)
                rounds[name].append(rps)
                errors[name] += err
    finally:
        app.stop()
        hello.stop()
        floor.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    lesson_ratio = statistics.median(l / h for l, h in zip(rounds["lesson"], rounds["hello"]) if h)
    floor_ratio = statistics.median(f / h for f, h in zip(rounds["floor"], rounds["hello"]) if h)
    print(f"workers={args.workers} clients={args.clients} rounds={args.rounds} x {args.seconds} s")
    for name in targets:
        print(f"{name:>6}: median {statistics.median(rounds[name]):.0f} req/s "
              f"(rounds: {', '.join(f'{r:.0f}' for r in rounds[name])}; {errors[name]} errors)")
    print(f"signed-in floor vs hello-world: {floor_ratio:.2f} (the ceiling for any signed-in page)")
    print(f"lesson page vs signed-in floor: {lesson_ratio / floor_ratio:.2f}" if floor_ratio else "")
    print("goal: ratio >= 0.4")
    print(f"RESULT lesson_page_vs_hello_world {lesson_ratio:.2f} ratio")


if __name__ == "__main__":
    main()
