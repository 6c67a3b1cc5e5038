"""Scale-out test: two app servers behind HAProxy on one PostgreSQL, with Redis, on loopback.

Starts Redis (Debian's redis-server, own port and folder), two gunicorn app servers (4 sync
workers each, same SECRET_KEY, database and instance folder) and HAProxy with
deploy/haproxy.cfg in front of them, on the PostgreSQL cluster of scripts/with-postgres.sh.
Then, with the simulated trainees of bench/load_test.py signing in through the balancer:

1. sessions: signed in on app1, the same cookie works on app2; an admin deactivates the
   trainee through the balancer and the cookie is refused by both servers;
2. login limits: wrong passwords for one account sent in parallel, half to each server
   directly, are evaluated only as often as LOGIN_LIMIT_PER_ACCOUNT allows (counted in
   PostgreSQL, shared by every server); the rest, and the right password, get 429;
3. under load, the split of requests between the servers (X-Served-By and HAProxy's counts);
4. app1 is killed with SIGKILL (master and workers): HAProxy takes it out, the trainees go on
   on app2; app1 is restarted and rejoins; the share of failed requests is reported;
5. PostgreSQL is stopped with ``-m immediate`` and started again: both app servers recover by
   themselves (SQLAlchemy's pool_pre_ping drops the dead pooled connections); the writes
   acknowledged before the stop are checked in the database after it;
6. Redis is stopped and started: sign-ins go on through both servers (they do not use Redis);
   then a job (the yearly report's XLSX) started through app1 is run by the one job worker
   (``training worker``, its queue in Redis) and its progress and file are read through app2;
7. at the end: every acknowledged write is in the database, which is consistent (amcheck).

``--full`` (make load) also measures throughput and p95 with one server (app2 disabled in
HAProxy) and with two, at 100 and 300 trainees, side by side in the same run, before the
disruption run with 100 trainees.

Usage (needs TEST_DATABASE_URL and TEST_POSTGRES_*, i.e. scripts/with-postgres.sh):
  scripts/with-postgres.sh .venv/bin/python bench/scale_test.py            # short, for make test
  scripts/with-postgres.sh .venv/bin/python bench/scale_test.py --full     # make load
Exit status 1 when a check fails. Last line: RESULT scale_kill_failed_share <percent> %.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]
from _load_client import Recorder, Sample, Trainee, run_trainees  # noqa: E402
from _load_cluster import Balancer, PostgresControl, Redis, tree_cpu_seconds  # noqa: E402
from _load_db import Database, check_acknowledged, check_integrity, create_database, drop_database  # noqa: E402
from _load_server import Server, group_cpu_seconds, machine_cpu  # noqa: E402
from _serve import Session, instance_env  # noqa: E402
from load_test import PASSWORD, READ_KINDS, SUBMIT_KINDS, code_version, percentile, setup_trainees  # noqa: E402
from training.content import load_checked  # noqa: E402

NAMES = ("app1", "app2")
ADMIN = "scale-admin"
ACCOUNT_LIMIT = "5 per 15 minutes"      # the default of LOGIN_LIMIT_PER_ACCOUNT
ACCOUNT_LIMIT_COUNT = 5
#: After PostgreSQL is back, requests may fail this long (a worker blocked on the dead
#: connection finishes its request); any failure later is an error.
PG_RECOVERY_SECONDS = 2.0
#: After app1 is killed, requests may fail this long (those under way on it); later ones must
#: all be served by app2.
KILL_GRACE_SECONDS = 2.0


@dataclass
class Cluster:
    folder: Path
    database: Database
    servers: dict[str, Server]
    balancer: Balancer
    redis: Redis
    postgres: PostgresControl
    timings: dict = field(default_factory=dict)
    #: ``training worker``: the job queue's consumer (Redis), beside the two app servers.
    worker: subprocess.Popen | None = None

    def stop(self) -> None:
        self.balancer.stop()
        for server in self.servers.values():
            server.stop()
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        self.redis.stop()

    def server_cpu(self) -> float:
        return sum(group_cpu_seconds(server.proc.pid) for server in self.servers.values()
                   if server.proc and server.proc.poll() is None)

    def postgres_cpu(self) -> float:
        try:
            return tree_cpu_seconds(self.postgres.postmaster_pid())
        except (OSError, ValueError):
            return 0.0


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, line: str) -> None:
        self.lines.append(f"  {line} {'ok' if ok else 'FAILED'}")
        if not ok:
            self.failures.append(line)

    def note(self, line: str) -> None:
        self.lines.append(f"  {line}")


def start_cluster(folder: Path, postgres_url: str, trainees: int, workers: int) -> tuple[Cluster, dict]:
    """Database, trainees and an admin, Redis, two app servers, HAProxy: all ready."""
    database = create_database("postgres", folder, postgres_url)
    # The throwaway cluster runs with synchronous_commit=off (scripts/with-postgres.sh): an
    # immediate stop would then lose the last commits, as it would in production with that
    # setting. Production keeps the default (on), and so does this database.
    with closing(psycopg.connect(postgres_url, autocommit=True)) as connection:
        connection.execute(f"ALTER DATABASE {database.name} SET synchronous_commit = on")
    redis = Redis(folder)
    redis.start()
    env = {**instance_env(folder), "DATABASE_URL": database.url, "REDIS_URL": redis.url, "PROXY_FIX_HOPS": "1",
           "LOGIN_LIMIT_PER_ACCOUNT": ACCOUNT_LIMIT,
           # Every simulated trainee comes from 127.0.0.1: the per-address limit would refuse them.
           "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute"}
    # The app needs only a connection to boot, so the servers start while the schema is
    # migrated and the trainees are created (they get no traffic before both are done).
    mark = time.monotonic()
    servers = {}
    for name in NAMES:
        server_folder = folder / name
        server_folder.mkdir()
        servers[name] = Server(env, workers, server_folder)
        servers[name].start()
    balancer = Balancer(folder, [servers[name].port for name in NAMES])
    cluster = Cluster(folder, database, servers, balancer, redis, PostgresControl())
    with open(folder / "worker.log", "ab") as log:
        # One job worker for both servers: the queue is Redis, the files the shared instance folder.
        cluster.worker = subprocess.Popen([str(Path(sys.executable).parent / "training"), "worker"], env=env,
                                          cwd=str(BENCH.parent), stdout=log, stderr=log, start_new_session=True)
    try:
        people = setup_trainees(env, trainees, ADMIN)
        timings = {"database and trainees": time.monotonic() - mark}
        for server in servers.values():
            asyncio.run(server.wait_ready())
        timings["app servers"] = time.monotonic() - mark  # counted from the same start
        mark = time.monotonic()
        balancer.start()
        wait_for(lambda: all(balancer.status(name) == "UP" for name in NAMES), 20, "HAProxy: both servers UP")
        timings["HAProxy"] = time.monotonic() - mark
    except BaseException:
        cluster.stop()
        raise
    cluster.timings = timings
    return cluster, people


def wait_for(condition, timeout: float, what: str) -> float:
    """Poll ``condition`` every 50 ms; the seconds it took. RuntimeError after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def header(headers: dict, name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def sign_in(port: int, login_id: str, password: str = PASSWORD) -> tuple[int, Session, dict]:
    """A fresh browser signs in on ``port``: (status of the POST, the session, its headers)."""
    status, session, headers, _body = sign_in_page(port, login_id, password)
    return status, session, headers


def sign_in_page(port: int, login_id: str, password: str = PASSWORD) -> tuple[int, Session, dict, str]:
    """As ``sign_in``, with the body of the answer to the POST."""
    session = Session(port)
    form = {"csrf_token": session.csrf("/login"), "login_id": login_id, "password": password}
    status, body, headers = session.request("POST", "/login", form)
    return status, session, headers, body


def page_title(body: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else body.strip()[:60]


def check_sessions(cluster: Cluster, report: Report, login_id: str, user_id: int) -> None:
    """A session started on app1 works on app2; deactivation through the app ends it on both."""
    app1, app2 = (cluster.servers[name].port for name in NAMES)
    status, on_app1, _ = sign_in(app1, login_id)
    on_app2 = Session(app2)
    on_app2.cookies = dict(on_app1.cookies)
    home_app2, _body, _ = on_app2.request("GET", "/")
    report.check(status == 302 and home_app2 == 200,
                 f"session: signed in on app1 ({status}), the same cookie on app2: home page {home_app2}")
    status, admin, _ = sign_in(cluster.balancer.port, ADMIN)
    csrf = admin.csrf(f"/admin/users/{user_id}")
    done, _body, headers = admin.request("POST", f"/admin/users/{user_id}/active",
                                         {"csrf_token": csrf, "active": "0"})
    after = {}
    for name, session in (("app1", on_app1), ("app2", on_app2)):
        code, _body, answer = session.request("GET", "/")
        after[name] = f"{code} {header(answer, 'location') or ''}".strip()
    refused = all(value.startswith("302") and "/login" in value for value in after.values())
    report.check(status == 302 and done == 302 and refused,
                 f"session: deactivated by the admin through the balancer (served by {header(headers, 'x-served-by')}, "
                 f"{done}); the trainee's cookie then gets app1 {after['app1']}, app2 {after['app2']}")
    again, _, _ = sign_in(app2, login_id)
    report.check(again == 200, f"session: the deactivated trainee signs in on app2: {again} (the form again)")


def check_login_limit(cluster: Cluster, report: Report, login_id: str, attempts: int = 16) -> None:
    """Parallel wrong passwords for one account, half to each server: only the limit is evaluated."""
    ports = [cluster.servers[name].port for name in NAMES]

    def attempt(i: int) -> tuple[str, int]:
        status, _session, _headers = sign_in(ports[i % 2], login_id, "wrong-password-" + str(i))
        return NAMES[i % 2], status

    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(attempt, range(attempts)))
    evaluated = Counter(name for name, status in results if status == 200)
    refused = Counter(name for name, status in results if status == 429)
    right, titles = {}, set()
    for name, port in zip(NAMES, ports):
        status, _session, _headers, body = sign_in_page(port, login_id)
        right[name] = status
        titles.add(page_title(body))
    report.check(sum(evaluated.values()) == ACCOUNT_LIMIT_COUNT
                 and sum(refused.values()) == attempts - ACCOUNT_LIMIT_COUNT
                 and all(status == 429 for status in right.values()) and titles == {"試行回数が上限に達しました"},
                 f"login limit ({ACCOUNT_LIMIT} per account): {attempts} parallel wrong passwords, half to each "
                 f"server: evaluated app1 {evaluated['app1']} + app2 {evaluated['app2']} = "
                 f"{sum(evaluated.values())}, refused (429) app1 {refused['app1']} + app2 {refused['app2']}; "
                 f"then the right password: app1 {right['app1']}, app2 {right['app2']} "
                 f"「{'」「'.join(sorted(titles))}」")


def database_size(database: Database) -> str:
    """The database's size on disk and the learning records it holds, for sizing (docs/performance.md)."""
    with closing(psycopg.connect(database.url, autocommit=True)) as connection:
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        rows = {table: connection.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}").fetchone()
                for table in ("section_view", "quiz_attempt", "user_session")}
    return (f"database: {size / 2**20:.1f} MiB on disk; " + ", ".join(
        f"{table} {count} rows, {total / max(count, 1):.0f} B per row with its indexes"
        for table, (count, total) in rows.items()))


def job_across_servers(cluster: Cluster, report: Report) -> None:
    """After Redis has been restarted: a job started through app1 (the yearly report's XLSX,
    as the personnel clerk would) is run by the job worker, and its progress and file are read
    through app2 with the same session (the servers share the instance folder, as they would
    share a mounted folder in production)."""
    import json

    app1, app2 = (cluster.servers[name].port for name in NAMES)
    status, on_app1, _ = sign_in(app1, ADMIN)
    token = on_app1.csrf("/records/report")
    started, _body, headers = on_app1.request("POST", "/records/report/file",
                                              {"csrf_token": token, "year": "2026", "format": "xlsx"})
    location = header(headers, "location")
    match = re.search(r"/jobs/(\d+)$", location)
    report.check(status == 302 and started == 302 and match is not None,
                 f"jobs: the yearly report started on app1 ({started} → {location or 'no job'})")
    if match is None:
        return
    job = match.group(1)
    on_app2 = Session(app2)
    on_app2.cookies = dict(on_app1.cookies)
    progress: dict = {}

    def done() -> bool:
        code, body, _ = on_app2.request("GET", f"/jobs/{job}/status")
        progress.update(json.loads(body) if code == 200 else {"status": f"HTTP {code}"})
        return progress.get("status") in ("done", "failed", "cancelled")

    try:
        took = wait_for(done, 60, "the job worker runs the yearly report")
    except RuntimeError:
        took = None
    code, body, answer = on_app2.request("GET", f"/jobs/{job}/download")
    report.check(progress.get("status") == "done" and code == 200 and body.startswith("PK")
                 and "yearly-report-2026" in header(answer, "content-disposition"),
                 f"jobs: run by the worker ({progress.get('status')}"
                 f"{'' if took is None else f' in {took:.1f} s'}), its progress and XLSX read on app2 ({code})")


def probe_sign_in(port: int, login_id: str) -> tuple[int, str]:
    """A sign-in while the database is down: (status, the page's heading), 0 when no page came."""
    try:
        status, _session, _headers, body = sign_in_page(port, login_id)
    except (OSError, AttributeError) as exc:      # AttributeError: no sign-in form to read
        return 0, type(exc).__name__
    return status, page_title(body)


def new_trainees(people: dict, port: int, recorder: Recorder, stop: asyncio.Event, content, think, seed: int):
    rng = random.Random(seed)
    return [Trainee(login_id, PASSWORD, user_id, course_id, port=port, content=content, recorder=recorder,
                    think=tuple(think), correct_rate=0.7, stop=stop, rng=random.Random(rng.random()))
            for login_id, (user_id, course_id) in sorted(people.items())]


@dataclass
class Timeline:
    """When each disruption happened, in the recorder's seconds."""

    killed: float = 0.0
    marked_down: float = 0.0
    restarted: float = 0.0
    rejoined: float = 0.0
    pg_stopped: float = 0.0
    pg_back: float = 0.0
    redis_stopped: float = 0.0
    redis_back: float = 0.0
    acked_before_pg: list = field(default_factory=list)
    pg_check: tuple[bool, str] = (True, "")
    kill_check: tuple[bool, str] = (True, "")
    probes_redis_down: dict = field(default_factory=dict)
    probes_pg_down: dict = field(default_factory=dict)
    in_flight: Counter = field(default_factory=Counter)


async def poll(condition, timeout: float, what: str) -> None:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for: {what}")
        await asyncio.sleep(0.05)


async def disrupt(args, cluster: Cluster, people: dict, content) -> tuple[Recorder, Timeline]:
    """The trainees through the balancer while app1 is killed, PostgreSQL and Redis restarted."""
    recorder, stop, line = Recorder(), asyncio.Event(), Timeline()
    balancer, app1 = cluster.balancer, cluster.servers["app1"]
    probe_ids = args.probes
    task = asyncio.create_task(run_trainees(
        new_trainees(people, balancer.port, recorder, stop, content, args.think, args.seed), args.ramp_up))
    await asyncio.sleep(args.kill_at)
    # Some writes acknowledged first (they are checked right after the kill), then, as in
    # load_test.py, aim at a write under way.
    await poll(lambda: len(recorder.acks) >= 20, 30, "20 acknowledged writes before the kill")
    aim_until = recorder.now() + 2.0
    while not any(recorder.in_flight[k] for k in SUBMIT_KINDS) and recorder.now() < aim_until:
        await asyncio.sleep(0.001)
    line.in_flight = +recorder.in_flight
    line.killed = recorder.now()
    app1.kill()
    acked = list(recorder.acks)
    await poll(lambda: balancer.status("app1").startswith("DOWN"), 15, "HAProxy marks app1 DOWN")
    line.marked_down = recorder.now()
    # What the database holds right after the kill, before anything restarts (as load_test.py).
    counts, missing, _rows = await asyncio.to_thread(check_acknowledged, cluster.database, acked)
    line.kill_check = (not missing, f"{sum(counts.values())} rows acknowledged before the kill, "
                                    f"{len(missing)} missing right after it")
    await asyncio.sleep(max(0.0, line.killed + args.outage - recorder.now()))
    line.restarted = recorder.now()
    app1.start()
    await app1.wait_ready()
    await poll(lambda: balancer.status("app1") == "UP", 15, "HAProxy marks app1 UP again")
    line.rejoined = recorder.now()
    await asyncio.sleep(args.between)

    if cluster.postgres.available:
        line.acked_before_pg = list(recorder.acks)
        line.pg_stopped = recorder.now()
        await asyncio.to_thread(cluster.postgres.stop_immediate)
        for name, login_id in zip(NAMES, probe_ids):
            line.probes_pg_down[name] = await asyncio.to_thread(probe_sign_in, cluster.servers[name].port, login_id)
        await asyncio.sleep(args.pg_down)
        await asyncio.to_thread(cluster.postgres.start)
        line.pg_back = recorder.now()
        counts, missing, _rows = await asyncio.to_thread(check_acknowledged, cluster.database, line.acked_before_pg)
        line.pg_check = (not missing, f"{sum(counts.values())} rows acknowledged before the stop, "
                                      f"{len(missing)} missing after the restart")
        await asyncio.sleep(args.between)

    line.redis_stopped = recorder.now()
    cluster.redis.stop()
    await asyncio.sleep(0.2)
    for name, login_id in zip(NAMES, probe_ids):
        status, _session, _headers = await asyncio.to_thread(sign_in, cluster.servers[name].port, login_id)
        line.probes_redis_down[name] = (status, cluster.redis.ping())
    await asyncio.sleep(max(0.0, line.redis_stopped + args.redis_down - recorder.now()))
    await asyncio.to_thread(cluster.redis.start)
    line.redis_back = recorder.now()

    await asyncio.sleep(args.after)
    stop.set()
    await task
    return recorder, line


def overlaps_pg(s: Sample, line: Timeline) -> bool:
    """The request overlapped PostgreSQL's restart or the seconds after it, when it may fail."""
    return bool(line.pg_stopped) and s.end >= line.pg_stopped and s.start <= line.pg_back + PG_RECOVERY_SECONDS


def disruption_report(cluster: Cluster, recorder: Recorder, line: Timeline, report: Report) -> float:
    """The checks of the disruption run; the share (percent) of requests that failed around the kill."""
    samples = recorder.samples
    before_kill = [s for s in samples if s.end < line.killed and s.ok]
    split = Counter(s.server for s in before_kill)
    shares = {name: split[name] / max(len(before_kill), 1) for name in NAMES}
    report.check(all(share >= 0.25 for share in shares.values()),
                 f"split before the kill (X-Served-By): app1 {split['app1']}, app2 {split['app2']} of "
                 f"{len(before_kill)} requests ({100 * shares['app1']:.0f}% / {100 * shares['app2']:.0f}%)")

    # The kill: from the kill until app1 is back in the pool, before PostgreSQL is stopped.
    until = min(line.rejoined, line.pg_stopped or line.rejoined)
    window = [s for s in samples if s.end >= line.killed and s.start <= until and not overlaps_pg(s, line)]
    failed = [s for s in window if not s.ok]
    share = 100 * len(failed) / max(len(window), 1)
    flying = ", ".join(f"{n} {k}" for k, n in sorted(line.in_flight.items())) or "none"
    report.note(f"kill: SIGKILL to app1 at {line.killed:.1f} s ({flying} in flight through the balancer); "
                f"HAProxy marked it DOWN after {line.marked_down - line.killed:.2f} s; restarted at "
                f"{line.restarted:.1f} s, UP again after {line.rejoined - line.restarted:.1f} s")
    last = max((s.end for s in failed), default=line.killed) - line.killed
    report.note(f"kill: {len(failed)} of {len(window)} requests from the kill to the rejoin failed ({share:.1f}%), "
                f"the last {last:.2f} s after the kill: "
                + (", ".join(f"{n} × {k} {d or ''} ({srv or 'HAProxy'})".replace("  ", " ")
                             for (k, d, srv), n in Counter((s.kind, s.detail, s.server) for s in failed).items())
                   or "none"))
    late = [s for s in failed if s.start > line.killed + KILL_GRACE_SECONDS]
    for s in late:
        report.note(f"kill: late failure {s.kind} {s.detail} from {s.server or 'HAProxy'}, "
                    f"{s.start - line.killed:.2f}–{s.end - line.killed:.2f} s after the kill")
    # Until app1 is started again (after that, an answer from it is its rejoining: HAProxy may mark
    # it UP a poll before this run sees it, line.rejoined).
    served = Counter(s.server for s in window if s.ok and s.start > line.marked_down and s.end < line.restarted)
    report.check(not late and served["app1"] == 0 and served["app2"] > 0,
                 f"kill: from {KILL_GRACE_SECONDS:.0f} s after the kill every request succeeds "
                 f"({len(late)} failed), served by app2 ({served['app2']}; app1 {served['app1']})")
    report.check(line.kill_check[0] and not line.kill_check[1].startswith("0 "), f"kill: {line.kill_check[1]}")
    rejoined = sum(1 for s in samples if s.ok and s.server == "app1" and s.start > line.rejoined)
    report.check(rejoined > 0, f"kill: app1 serves again after the restart ({rejoined} requests)")

    # PostgreSQL.
    if line.pg_stopped:
        during = [s for s in samples if s.end >= line.pg_stopped and s.start <= line.pg_back]
        late = [s for s in samples if not s.ok and s.start > line.pg_back + PG_RECOVERY_SECONDS]
        after = sum(1 for s in samples if s.start > line.pg_back + PG_RECOVERY_SECONDS)
        first_ok = {}
        for name in NAMES:
            times = [s.end for s in samples if s.ok and s.server == name and s.start >= line.pg_back]
            first_ok[name] = min(times) - line.pg_back if times else None
        report.note(f"PostgreSQL: stopped (immediate) at {line.pg_stopped:.1f} s, accepting connections again at "
                    f"{line.pg_back:.1f} s; {sum(1 for s in during if not s.ok)} of {len(during)} requests "
                    f"overlapping it failed")
        report.check(all(v is not None for v in first_ok.values()) and not late and after > 0,
                     "PostgreSQL: first request served after the restart: "
                     + ", ".join(f"{n} {'never' if v is None else f'{v:.2f} s'}" for n, v in first_ok.items())
                     + f" (neither restarted); {len(late)} of the {after} requests sent more than "
                       f"{PG_RECOVERY_SECONDS:.0f} s after it failed")
        report.check(line.pg_check[0], f"PostgreSQL: {line.pg_check[1]}")
        probes = line.probes_pg_down
        report.check(all(status == 503 and "ただいま" in title for status, title in probes.values()),
                     "PostgreSQL down: a sign-in is refused, in Japanese: "
                     + ", ".join(f"{n} {status} 「{title}」" for n, (status, title) in probes.items()))
    else:
        report.check(False, "PostgreSQL: TEST_POSTGRES_* not set, the restart did not run (scripts/with-postgres.sh)")

    # Redis.
    redis_window = [s for s in samples if s.end >= line.redis_stopped and s.start <= line.redis_back + 1.0]
    probes = ", ".join(f"{n} {status} (Redis answering: {'yes' if up else 'no'})"
                       for n, (status, up) in line.probes_redis_down.items())
    report.check(all(status == 302 and not up for status, up in line.probes_redis_down.values())
                 and not any(not s.ok for s in redis_window),
                 f"Redis stopped for {line.redis_back - line.redis_stopped:.1f} s: sign-ins {probes}; "
                 f"{sum(1 for s in redis_window if not s.ok)} of {len(redis_window)} trainee requests failed")

    # Everything else.
    def excused(s: Sample) -> bool:
        return (s.end >= line.killed and s.start <= line.killed + KILL_GRACE_SECONDS) or overlaps_pg(s, line)
    other = [s for s in samples if not s.ok and not excused(s)]
    report.check(not other, f"no other failed request: {len(other)} of {len(samples)}"
                 + "".join(f"; {n} × {k} {d}" for (k, d), n in Counter((s.kind, s.detail) for s in other).items()))
    counts = {name: row["stot"] for name, row in cluster.balancer.servers().items()}
    report.note(f"HAProxy's own count of requests sent: app1 {counts.get('app1')}, app2 {counts.get('app2')}")
    return share


async def measure(args, cluster: Cluster, people: dict, content, seconds: float) -> dict:
    """Trainees through the balancer for ``seconds``: throughput, p95, errors, CPU per request."""
    recorder, stop = Recorder(), asyncio.Event()
    cpu0, pg0, machine0, load = cluster.server_cpu(), cluster.postgres_cpu(), machine_cpu(), os.getloadavg()[0]
    gen0 = resource.getrusage(resource.RUSAGE_SELF)
    task = asyncio.create_task(run_trainees(
        new_trainees(people, cluster.balancer.port, recorder, stop, content, args.think, args.seed), args.ramp_up))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    gen1 = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = (after - before for after, before in zip(machine_cpu(), machine0))
    steady = [s for s in recorder.samples if s.start >= args.ramp_up]
    span = max(s.end for s in steady) - args.ramp_up if steady else 1.0
    ms = sorted((s.end - s.start) * 1000 for s in steady if s.ok)
    kind_ms = lambda kinds: sorted((s.end - s.start) * 1000 for s in steady if s.ok and s.kind in kinds)  # noqa: E731
    requests = len(recorder.samples)
    return {"throughput": sum(1 for s in steady if s.ok) / span, "p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "read_p95": percentile(kind_ms(READ_KINDS), 95), "submit_p95": percentile(kind_ms(SUBMIT_KINDS), 95),
            "errors": sum(1 for s in recorder.samples if not s.ok), "requests": requests,
            "split": Counter(s.server for s in recorder.samples if s.ok),
            "app_ms": 1000 * (cluster.server_cpu() - cpu0) / max(requests, 1),
            "pg_ms": 1000 * (cluster.postgres_cpu() - pg0) / max(requests, 1),
            "gen_ms": 1000 * (gen1.ru_utime + gen1.ru_stime - gen0.ru_utime - gen0.ru_stime) / max(requests, 1),
            "busy": 100 * busy / max(total, 1), "load": load}


def throughput_table(args, cluster: Cluster, people: dict, content, report: Report) -> None:
    """100 and 300 trainees, one server then two, each with trainees of its own."""
    ordered = sorted(people.items())
    offset = 0
    report.lines.append(f"  {'trainees':>8} {'servers':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'read p95':>8} "
                        f"{'submit p95':>10} {'errors':>6} {'split app1/app2':>15} {'app CPU ms/req':>14} "
                        f"{'PG CPU ms/req':>13} {'machine busy':>12} {'load avg':>8}")
    for count in args.sizes:
        for servers in (1, 2):
            group = dict(ordered[offset:offset + count])
            offset += count
            cluster.balancer.command("disable server app/app2" if servers == 1 else "enable server app/app2")
            if servers == 2:
                wait_for(lambda: cluster.balancer.status("app2") == "UP", 10, "app2 UP")
            result = asyncio.run(measure(args, cluster, group, content, args.seconds))
            split = result["split"]
            report.lines.append(
                f"  {count:>8} {servers:>7} {result['throughput']:>7.0f} {result['p50']:>7.1f} {result['p95']:>7.1f} "
                f"{result['read_p95']:>8.1f} {result['submit_p95']:>10.1f} {result['errors']:>6} "
                f"{split['app1']:>7}/{split['app2']:<7} {result['app_ms']:>14.1f} {result['pg_ms']:>13.1f} "
                f"{result['busy']:>11.0f}% {result['load']:>8.1f}")
            report.lines.append(f"  RESULT scale_{count}_{servers}server_p95 {result['p95']:.1f} ms "
                                f"(throughput {result['throughput']:.0f} req/s, load generator "
                                f"{result['gen_ms']:.1f} ms CPU per request)")
    cluster.balancer.command("enable server app/app2")
    wait_for(lambda: cluster.balancer.status("app2") == "UP", 10, "app2 UP")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help="make load: the throughput table (100 and 300 trainees, one and two servers), "
                             "then the disruption run with 100 trainees")
    parser.add_argument("--seconds", type=float, default=40.0, help="--full: length of each throughput run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300], help="--full: trainee counts")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per app server (4)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs) and print where it is")
    args = parser.parse_args(argv)
    if not args.postgres_url:
        parser.error("needs a PostgreSQL cluster: run under scripts/with-postgres.sh")
    if args.full:
        args.trainees, args.think, args.ramp_up = 100, [0.5, 2.0], 10.0
        timeline = 20, 2.0, 5.0, 2.0, 3.0, 8.0
    else:
        args.trainees, args.think, args.ramp_up = 30, [0.3, 1.0], 2.0
        timeline = 3.5, 0.5, 1.5, 0.5, 1.0, 1.5
    # Seconds: kill at, app1 down for, between steps, PostgreSQL down for, Redis down for, run on after.
    args.kill_at, args.outage, args.between, args.pg_down, args.redis_down, args.after = timeline
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    content = load_checked(ROOT_DIR)
    folder = Path(tempfile.mkdtemp(prefix="training-scale-"))
    started = time.monotonic()
    table = sum(2 * n for n in args.sizes) if args.full else 0
    cluster, people = start_cluster(folder, args.postgres_url, args.trainees + table + 4, args.workers)
    report = Report()
    share = 0.0
    try:
        ordered = sorted(people.items())
        (deactivate, (deactivate_id, _)), (limited, _), *probes = ordered[-4:]
        args.probes = [login_id for login_id, _ in probes]
        rest = dict(ordered[:-4])
        print(f"scale-out test at {code_version()}: PostgreSQL, Redis on {cluster.redis.port}, HAProxy on "
              f"{cluster.balancer.port} in front of app1 on {cluster.servers['app1'].port} and app2 on "
              f"{cluster.servers['app2'].port} ({args.workers} workers each); "
              f"ready in {time.monotonic() - started:.1f} s ("
              + ", ".join(f"{k} {v:.1f} s" for k, v in cluster.timings.items())
              + f"); load average {os.getloadavg()[0]:.1f}", flush=True)
        check_sessions(cluster, report, deactivate, deactivate_id)
        check_login_limit(cluster, report, limited)
        if args.full:
            items = sorted(rest.items())
            throughput_table(args, cluster, dict(items[args.trainees:]), content, report)
            rest = dict(items[:args.trainees])
        recorder, line = asyncio.run(disrupt(args, cluster, rest, content))
        share = disruption_report(cluster, recorder, line, report)
        job_across_servers(cluster, report)
        counts, missing, rows = check_acknowledged(cluster.database, recorder.acks)
        report.check(bool(recorder.acks) and not missing,
                     f"acknowledged writes: {sum(counts.values())} distinct rows ({len(recorder.acks)} answers), "
                     f"{len(missing)} missing")
        sound, detail = check_integrity(cluster.database)
        report.check(sound, f"consistency: {detail}")
        report.note(database_size(cluster.database))
    except BaseException:
        for name, server in cluster.servers.items():
            print(f"--- {name} log:\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        cluster.stop()
        drop_database(cluster.database)
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print("\n".join(report.lines))
    print(f"scale-out: {'PASS' if not report.failures else 'FAIL'} in {time.monotonic() - started:.1f} s")
    print(f"RESULT scale_kill_failed_share {share:.1f} %")
    return 0 if not report.failures else 1


ROOT_DIR = BENCH.parent

if __name__ == "__main__":
    sys.exit(main())
