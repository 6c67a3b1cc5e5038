"""Memory and cold start under gunicorn: our app against a bare Flask app, in the same run.

Both are served the same way: gunicorn with 4 sync workers and the project's settings file
(gunicorn.conf.py: the app loaded once in the master, ``--preload``, and shared with the
workers copy-on-write). For each server:

- **first page**: the time from starting gunicorn (just before the process is created) to
  the first answer of a signed-in lesson page (ours) or of ``/`` (the bare app). The
  signed-in session is made beforehand, by a warm-up start of the same server: a demo
  trainee (demo-counter) signs in, answers the pre-survey, and the session cookie is kept.
  Sessions are rows in the database, so the cookie works across restarts. The warm-up also
  writes Python's bytecode cache (the servers run without PYTHONDONTWRITEBYTECODE, as in
  production) and fills the OS file cache: the figure is a restart's, not a first install's;
- **memory**: after a short load (``--requests`` GETs of every lesson section of the
  course in turn, 8 clients; the bare app: ``/`` as often), the PSS (proportional set size:
  shared pages divided among the processes sharing them) of the master and of each worker
  from /proc/<pid>/smaps_rollup, and their total. Private memory (USS) per process too.

The servers start in alternating rounds (ours, bare, ours, ...); each figure is the median
over the rounds. ``--compare-plain`` adds our app with no settings file (each worker loading
the app itself) to the same rounds, and ``--baseline-root DIR`` the app of another checkout
(e.g. ``git archive main``) served as its README says, for before/after in one run.

PostgreSQL: TEST_DATABASE_URL (scripts/with-postgres.sh); a database is made in it for the
run. Without it, or with ``--db sqlite``, a SQLite file. Prints both servers' figures and the
ratios; the last line is ``RESULT memory_start <total PSS of our 4 workers and master> MiB``.
Usage: scripts/with-postgres.sh .venv/bin/python bench/memory_start.py [--rounds 3] [--requests 400]
Goals (issue 18): at most 150 MiB in total, the first signed-in page within 1 s.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _serve import BIN, ROOT, Session, free_port, instance_env  # noqa: E402

PASSWORD = "bench-demo-password"
COURSE = "counter-staff"
GOAL_MIB, GOAL_SECONDS = 150.0, 1.0
EMPTY_SETTINGS = Path(tempfile.gettempdir()) / "training-bench-no-settings.py"
EMPTY_SETTINGS.write_text("# gunicorn's defaults\n")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def memory_of(pid: int) -> dict[str, float]:
    """Pss, Rss and USS (private clean + dirty) in MiB, from smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) / 1024
    return {"pss": values["Pss"], "rss": values["Rss"], "uss": values["Private_Clean"] + values["Private_Dirty"]}


class Server:
    """gunicorn started from ``cwd`` with ``args``; first page timed from just before Popen."""

    def __init__(self, name: str, target: str, env: dict, cwd: Path, config: Path | None, workers: int,
                 bin_dir: Path = BIN):
        self.name, self.target, self.env, self.cwd, self.config, self.workers = name, target, env, cwd, config, workers
        self.bin_dir = bin_dir

    def start(self) -> None:
        self.port = free_port()
        args = [str(self.bin_dir / "gunicorn"), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                "--log-level", "warning", "--no-control-socket"]
        # No settings file: an empty one, else gunicorn reads ./gunicorn.conf.py by itself.
        args[1:1] = ["-c", str(self.config or EMPTY_SETTINGS)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen([*args, self.target], env=self.env, cwd=str(self.cwd))

    def first_page(self, path: str, cookie: str, expect: str) -> float:
        """Seconds from start to the first 200 answer of ``path`` holding ``expect``."""
        deadline = self.started + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited ({self.proc.returncode})")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                conn.close()
            except OSError:
                time.sleep(0.005)
                continue
            if response.status == 200 and expect in body:
                return time.monotonic() - self.started
            raise RuntimeError(f"{self.name}: first answer {response.status} for {path}")
        raise RuntimeError(f"{self.name}: no answer within 120 s")

    def memory(self) -> dict:
        pids = [self.proc.pid, *children(self.proc.pid)]
        each = {pid: memory_of(pid) for pid in pids}
        workers = [each[pid] for pid in pids[1:]]
        return {"total": sum(m["pss"] for m in each.values()), "master": each[pids[0]]["pss"],
                "master_uss": each[pids[0]]["uss"],
                "worker_pss": statistics.mean(m["pss"] for m in workers) if workers else 0.0,
                "worker_uss": statistics.mean(m["uss"] for m in workers) if workers else 0.0,
                "workers": len(workers)}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def sign_in(port: int) -> tuple[str, list[str]]:
    """Sign demo-counter in, answer the pre-survey; (cookie header, lesson section paths)."""
    session = Session(port)
    token = session.csrf("/login")
    status, _, _ = session.request("POST", "/login", {"login_id": "demo-counter", "password": PASSWORD,
                                                      "csrf_token": token})
    assert status == 302, f"sign-in failed ({status})"
    survey = f"/learn/{COURSE}/survey/pre"
    _s, html, _h = session.request("GET", survey)
    if 'name="csrf_token"' in html:
        form = {"csrf_token": session.csrf(survey)}
        form.update({name: "3" for name in set(re.findall(r'name="(eff-[^"]+)"', html))})
        form.update({name: "unknown" for name in set(re.findall(r'name="(kn-[^"]+)"', html))})
        session.request("POST", survey, form)
    sys.path.insert(0, str(ROOT))
    from training.content import load_checked

    content = load_checked(ROOT)
    course = content.course(COURSE)
    sections = [f"/learn/{COURSE}/m/{module_id}/s/{section.id}" for module_id in course.modules
                for section in content.module(module_id).sections_for(course.audience)]
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items()), sections


def spread_load(port: int, paths: list[str], cookie: str, requests: int, clients: int) -> int:
    """``requests`` GETs over ``paths`` in turn; returns the errors."""
    import threading

    errors = [0]
    lock = threading.Lock()
    queue = [paths[i % len(paths)] for i in range(requests)]

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    with lock:
                        errors[0] += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors[0]


def prepare(db: str, tmp: Path, postgres_url: str | None) -> tuple[dict, callable]:
    env = instance_env(tmp)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as in production: restarts use the bytecode cache
    drop = lambda: None  # noqa: E731
    if db == "postgres":
        import psycopg

        name = f"training_memory_{os.getpid()}"
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + f"/{name}"

        def drop():
            with psycopg.connect(postgres_url, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    for args in (["init-db"], ["demo", "--password", PASSWORD]):
        subprocess.run([str(BIN / "python"), "-c", "from training.cli import main; main()", *args],
                       env=env, cwd=str(ROOT), check=True, capture_output=True)
    return env, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"],
                        default="postgres" if os.environ.get("TEST_DATABASE_URL") else "sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400, help="lesson pages in the short load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--config", type=Path, default=ROOT / "gunicorn.conf.py",
                        help="gunicorn settings file for both servers ('none': gunicorn's defaults)")
    parser.add_argument("--compare-plain", action="store_true",
                        help="also our app with no settings file (each worker loads the app), same rounds")
    parser.add_argument("--baseline-root", type=Path,
                        help="also the app of another checkout (e.g. `git archive` of main), served as its README "
                             "says (no settings file), same rounds and venv")
    parser.add_argument("--compare-venv", type=Path,
                        help="also our app served from another virtual environment (e.g. one made with another "
                             "Python interpreter, with this checkout installed in it), same settings and rounds")
    args = parser.parse_args()
    config = None if str(args.config) == "none" else args.config.resolve()

    tmp = Path(tempfile.mkdtemp(prefix="training-memory-"))
    env, drop = prepare(args.db, tmp, os.environ.get("TEST_DATABASE_URL"))
    servers = [Server("app", "training.wsgi:app", env, ROOT, config, args.workers),
               Server("hello", "hello_app:app", env, BENCH, config, args.workers)]
    if args.compare_plain:
        servers.insert(1, Server("app-plain", "training.wsgi:app", env, ROOT, None, args.workers))
    if args.baseline_root:
        base = args.baseline_root.resolve()
        servers.insert(1, Server("baseline", "training.wsgi:app", {**env, "PYTHONPATH": str(base)}, base, None,
                                 args.workers))
    if args.compare_venv:
        other = args.compare_venv.resolve() / "bin"
        # Its own instance folder: the caches there are per interpreter, and one interpreter's
        # start replaces the other's content cache (the database is the same).
        (tmp / "other-venv").mkdir()
        servers.insert(1, Server("app-venv", "training.wsgi:app",
                                 {**env, "PYTHONPATH": str(ROOT), "INSTANCE_PATH": str(tmp / "other-venv")}, ROOT,
                                 config, args.workers, other))
    results: dict[str, list[dict]] = {s.name: [] for s in servers}
    running: list[Server] = []
    try:
        warm = servers[0]
        warm.start()
        running.append(warm)
        warm.first_page("/login", "", "ログイン")
        cookie, sections = sign_in(warm.port)
        warm.stop()
        running.remove(warm)
        for server in servers[1:]:   # their bytecode and files too
            server.start()
            running.append(server)
            server.first_page("/", "", "") if server.name == "hello" else server.first_page(
                sections[0], cookie, "ログアウト")
            server.stop()
            running.remove(server)
        for _ in range(args.rounds):
            for server in servers:
                server.start()
                running.append(server)
                try:
                    if server.name == "hello":
                        seconds = server.first_page("/", "", "hello")
                        errors = spread_load(server.port, ["/"], "", args.requests, args.clients)
                    else:
                        seconds = server.first_page(sections[0], cookie, "ログアウト")
                        errors = spread_load(server.port, sections, cookie, args.requests, args.clients)
                    time.sleep(0.2)  # let every worker finish its last response
                    results[server.name].append({"first": seconds, "errors": errors, **server.memory()})
                finally:
                    server.stop()
                    running.remove(server)
    finally:
        for server in running:
            server.proc.kill()
            server.proc.wait()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(name, key):
        return statistics.median(r[key] for r in results[name])

    print(f"database={args.db} workers={args.workers} rounds={args.rounds} short load={args.requests} GETs "
          f"({len(sections)} lesson sections in turn), settings={config or 'gunicorn defaults'}")
    def rounds(rs, key, digits):
        return ", ".join(f"{r[key]:.{digits}f}" for r in rs)

    for server in servers:
        n, rs = server.name, results[server.name]
        print(f"{n:>9}: first page {med(n, 'first'):.2f} s (rounds: {rounds(rs, 'first', 2)}); "
              f"PSS total {med(n, 'total'):.1f} MiB (rounds: {rounds(rs, 'total', 1)}; "
              f"master {med(n, 'master'):.1f}, per worker {med(n, 'worker_pss'):.1f}; "
              f"private: master {med(n, 'master_uss'):.1f}, per worker {med(n, 'worker_uss'):.1f}); "
              f"{sum(r['errors'] for r in rs)} errors, {rs[0]['workers']} workers")
    total, first = med("app", "total"), med("app", "first")
    print(f"app vs bare Flask: PSS {total / med('hello', 'total'):.2f}x, "
          f"first page {first / med('hello', 'first'):.2f}x")
    if args.compare_plain:
        print(f"app vs app without settings file: PSS {total / med('app-plain', 'total'):.2f}x, "
              f"first page {first / med('app-plain', 'first'):.2f}x")
    if args.baseline_root:
        print(f"app vs baseline ({args.baseline_root}): PSS {total / med('baseline', 'total'):.2f}x, "
              f"first page {first / med('baseline', 'first'):.2f}x")
    if args.compare_venv:
        print(f"app vs app from {args.compare_venv}: PSS {total / med('app-venv', 'total'):.2f}x, "
              f"first page {first / med('app-venv', 'first'):.2f}x")
    print(f"goals: PSS <= {GOAL_MIB:.0f} MiB {'met' if total <= GOAL_MIB else 'NOT met'}; "
          f"first signed-in page <= {GOAL_SECONDS:.0f} s {'met' if first <= GOAL_SECONDS else 'NOT met'} "
          f"({first:.2f} s)")
    print(f"RESULT memory_start {total:.1f} MiB")


if __name__ == "__main__":
    main()
