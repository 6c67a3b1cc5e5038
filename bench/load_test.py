"""Load test (and crash test): simulated trainees against gunicorn, on SQLite and PostgreSQL.

N trainees (asyncio, one process) sign in, do the pre-survey, read sections and take quizzes
against gunicorn with several sync workers, with think time between actions. Reports
p50/p95/p99 latency and errors per kind of request, compares with the goal (p95 < 100 ms for
reading a section and for submitting, no errors), then checks that every write the server
acknowledged is in the database.

``--crash``: part-way through, gunicorn (master and workers) is killed with SIGKILL while the
trainees go on; the database is checked at once (integrity, acknowledged writes), gunicorn is
restarted on the same database and port, the run continues, and everything is checked again
at the end. Requests overlapping the outage may fail and are reported apart; they are not
acknowledged writes unless the server answered.

PostgreSQL needs a cluster: TEST_DATABASE_URL (run under scripts/with-postgres.sh) or
--postgres-url; a database is created in it for the run and dropped afterwards.

Usage:
  .venv/bin/python bench/load_test.py --db sqlite [--trainees 100] [--seconds 60] [--crash]
  scripts/with-postgres.sh .venv/bin/python bench/load_test.py --db both [--crash]
  scripts/with-postgres.sh .venv/bin/python bench/load_test.py --short --db both   # ~1 min, with the crash
Exit status 1 if an acknowledged write is missing, a database check fails, or a request
failed outside the outage; the latency goal only prints (unless --strict).
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]
from _load_client import Recorder, Sample, Trainee, run_trainees  # noqa: E402
from _load_db import Database, check_acknowledged, check_integrity, create_database, drop_database  # noqa: E402
from _load_server import Server, machine_cpu  # noqa: E402
from _serve import ROOT, instance_env  # noqa: E402
from training.content import load_checked  # noqa: E402

PASSWORD = "load-trainee-password"
GOAL_MS = 100.0
RECOVERY_SECONDS = 2.0
READ_KINDS = ("GET section",)
SUBMIT_KINDS = ("POST section", "POST quiz")
KIND_ORDER = ("GET section", "POST section", "GET quiz", "POST quiz", "GET result", "GET survey", "POST survey",
              "resume", "sign-in", "GET home")


@dataclass
class Outage:
    killed: float
    restarted: float = 0.0
    back: float = 0.0
    in_flight: Counter = field(default_factory=Counter)
    checks: list[tuple[bool, str]] = field(default_factory=list)

    def covers(self, sample: Sample) -> bool:
        """The request overlapped the outage: it may fail."""
        return sample.end >= self.killed and sample.start <= self.back

    def recovering(self, sample: Sample) -> bool:
        """Sent just after the restart, behind the queue of the outage and to cold workers: it must
        succeed, but its latency is reported apart from the steady state's."""
        return self.back < sample.start <= self.back + RECOVERY_SECONDS


@dataclass
class Outcome:
    """One database's run, as reported."""

    db: str
    ok: bool
    submit_p95: float
    lines: list[str]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (already sorted); 0 for none."""
    if not values:
        return 0.0
    return values[min(len(values), max(1, math.ceil(p / 100 * len(values)))) - 1]


def latency_row(label: str, samples: list[Sample]) -> tuple[str, float]:
    """A report line for ``samples`` and their p95 in ms."""
    ms = sorted((s.end - s.start) * 1000 for s in samples if s.ok)
    errors = sum(1 for s in samples if not s.ok)
    p95 = percentile(ms, 95)
    return (f"  {label:<34} {len(samples):>6} {errors:>6} {percentile(ms, 50):>8.1f} {p95:>8.1f} "
            f"{percentile(ms, 99):>8.1f} {ms[-1] if ms else 0:>8.1f}"), p95


def write_samples(path: Path, db: str, samples: list[Sample]) -> None:
    """Append every request to a CSV file, for a closer look (latency over time, say)."""
    new = not path.exists()
    with open(path, "a", newline="") as out:
        writer = csv.writer(out)
        if new:
            writer.writerow(["db", "kind", "start_s", "end_s", "ok", "detail"])
        writer.writerows([db, s.kind, f"{s.start:.4f}", f"{s.end:.4f}", int(s.ok), s.detail] for s in samples)


def setup_trainees(env: dict, count: int, *admin: str) -> dict[str, list]:
    """Migrate the database and create the trainees in a separate process (the app's own functions);
    ``admin``: also an administrator with this login id and the same password."""
    done = subprocess.run([sys.executable, str(BENCH / "_load_trainees.py"), str(count), PASSWORD, *admin], env=env,
                          cwd=str(ROOT), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"setting up trainees failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def drive(args, server: Server, database: Database, trainees: dict, content) -> tuple[Recorder, Outage | None]:
    """Run the trainees for ``args.seconds``; with ``args.crash``, kill and restart the server part-way."""
    recorder, stop, rng = Recorder(), asyncio.Event(), random.Random(args.seed)
    cpu_before, machine_before = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
    server.count_cpu(start=True)
    people = [Trainee(login_id, PASSWORD, user_id, course_id, port=server.port, content=content, recorder=recorder,
                      think=tuple(args.think), correct_rate=0.7, stop=stop, rng=random.Random(rng.random()))
              for login_id, (user_id, course_id) in sorted(trainees.items())]
    task = asyncio.create_task(run_trainees(people, args.ramp_up))
    outage = None
    if args.crash:
        await asyncio.sleep(args.seconds * args.crash_at)
        # Aim the kill at a write under way (for up to 2 s), the moment most likely to hurt.
        aim_until = recorder.now() + 2.0
        while not any(recorder.in_flight[k] for k in SUBMIT_KINDS) and recorder.now() < aim_until:
            await asyncio.sleep(0.001)
        outage = Outage(killed=recorder.now(), in_flight=+recorder.in_flight)
        server.count_cpu(start=False)
        server.kill()
        # The state on disk right after the crash, before anything restarts: sound, and
        # holding every write acknowledged so far.
        acked = list(recorder.acks)
        outage.checks.append(check_integrity(database))
        counts, missing, _rows = check_acknowledged(database, acked)
        outage.checks.append((not missing, f"{sum(counts.values())} rows acknowledged before the kill, "
                                           f"{len(missing)} missing right after it"))
        await asyncio.sleep(max(0.0, args.outage - (recorder.now() - outage.killed)))
        outage.restarted = recorder.now()
        server.start()
        await server.wait_ready()
        server.count_cpu(start=True)
        outage.back = recorder.now()
    end = max(args.seconds, outage.back + args.after_restart) if outage else args.seconds
    await asyncio.sleep(max(0.0, end - recorder.now()))
    stop.set()
    await task
    server.count_cpu(start=False)
    cpu, machine_after = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
    recorder.cpu_seconds = cpu.ru_utime + cpu.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    busy, total = (after - before for after, before in zip(machine_after, machine_before))
    recorder.cpu_note = (f"CPU during the run: server {server.cpu_seconds:.1f} s "
                         f"({1000 * server.cpu_seconds / max(len(recorder.samples), 1):.1f} ms per request"
                         f"{', worker start-up after the restart not counted' if outage else ''}), "
                         f"load generator {recorder.cpu_seconds:.1f} s; the machine was busy "
                         f"{100 * busy / max(total, 1):.0f}% of its {os.cpu_count()} cores")
    return recorder, outage


def outage_report(outage: Outage, samples: list[Sample]) -> tuple[list[str], bool]:
    """The crash's lines: what was in flight, how long it was down, the recovery, the checks after the kill."""
    lines, ok = [], True
    during = [s for s in samples if outage.covers(s)]
    after = [s for s in samples if s.start > outage.back]
    recovery = sorted((s.end - s.start) * 1000 for s in samples if outage.recovering(s) and s.ok)
    flying = ", ".join(f"{n} {k}" for k, n in sorted(outage.in_flight.items())) or "none"
    lines.append(f"  crash: SIGKILL at {outage.killed:.1f} s with requests in flight ({flying}); restarted at "
                 f"{outage.restarted:.1f} s, every worker serving at {outage.back:.1f} s "
                 f"({outage.back - outage.killed:.1f} s down)")
    lines.append(f"  crash: {len(during)} requests overlapped the outage, {sum(1 for s in during if not s.ok)} "
                 f"failed (expected, not counted as errors); {len(after)} requests after the restart, "
                 f"{sum(1 for s in after if not s.ok)} failed")
    lines.append(f"  crash: recovery, the first {RECOVERY_SECONDS:.0f} s after the restart (cold workers, "
                 f"returning trainees): {len(recovery)} requests, p50 {percentile(recovery, 50):.1f} ms, "
                 f"p95 {percentile(recovery, 95):.1f} ms, max {recovery[-1] if recovery else 0:.1f} ms")
    for check_ok, line in outage.checks:
        lines.append(f"  right after the kill: {line} {'ok' if check_ok else 'FAILED'}")
        ok = ok and check_ok
    if not any(s.ok for s in after):
        lines.append("  crash: no request succeeded after the restart FAILED")
        ok = False
    return lines, ok


def report(db: str, args, recorder: Recorder, outage: Outage | None, database: Database) -> Outcome:
    """Latency table, goals, outage, acknowledged writes and integrity, as lines; ok or not."""
    lines, ok = [], True
    normal = [s for s in recorder.samples if not (outage and outage.covers(s))]
    steady = [s for s in normal if not (outage and outage.recovering(s))]
    lines.append(f"  {'kind':<34} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                 f"{'max ms':>8}")
    by_kind: dict[str, list[Sample]] = {}
    for sample in steady:
        by_kind.setdefault(sample.kind, []).append(sample)
    for kind in sorted(by_kind, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 99):
        lines.append(latency_row(kind, by_kind[kind])[0])
    read_line, read_p95 = latency_row("read (GET section)", [s for s in steady if s.kind in READ_KINDS])
    submit_line, submit_p95 = latency_row("submit (POST section + POST quiz)",
                                          [s for s in steady if s.kind in SUBMIT_KINDS])
    lines += [read_line, submit_line]
    seconds = max(s.end for s in recorder.samples) if recorder.samples else 0.0
    lines.append(f"  {len(steady)} requests in {seconds:.0f} s ({len(steady) / max(seconds, 1):.0f}/s)"
                 + (f" outside the outage and the {RECOVERY_SECONDS:.0f} s after it" if outage else ""))
    lines.append(f"  {recorder.cpu_note}")
    errors = [s for s in normal if not s.ok]
    goal_read, goal_submit = read_p95 < GOAL_MS, submit_p95 < GOAL_MS
    lines.append(f"  goal read p95 < {GOAL_MS:.0f} ms: {read_p95:.1f} ms {'met' if goal_read else 'NOT MET'}")
    lines.append(f"  goal submit p95 < {GOAL_MS:.0f} ms: {submit_p95:.1f} ms {'met' if goal_submit else 'NOT MET'}")
    lines.append(f"  goal no errors: {len(errors)} error(s) {'met' if not errors else 'NOT MET'}")
    if errors:
        ok = False
        for (kind, detail), n in Counter((s.kind, s.detail) for s in errors).most_common(10):
            lines.append(f"    {n} × {kind}: {detail}")
    if args.strict and not (goal_read and goal_submit):
        ok = False
    if outage:
        crash_lines, crash_ok = outage_report(outage, recorder.samples)
        lines += crash_lines
        ok = ok and crash_ok
    counts, missing, rows = check_acknowledged(database, recorder.acks)
    described = ", ".join(f"{t} {counts[t]} (table holds {rows[t]})" for t in sorted(rows))
    if not recorder.acks:
        lines.append("  no write was acknowledged: the trainees did nothing FAILED")
        ok = False
    if missing:
        ok = False
        lines.append(f"  acknowledged writes ({len(recorder.acks)} answers, distinct rows): {described}; "
                     f"{len(missing)} MISSING:")
        lines += [f"    {ack.table} {ack.key}" for ack in missing[:20]]
    else:
        lines.append(f"  acknowledged writes ({len(recorder.acks)} answers, distinct rows): {described}")
        lines.append(f"  [{db}] no acknowledged write missing")
    sound, line = check_integrity(database)
    lines.append(f"  [{db}] {'integrity' if db == 'sqlite' else 'consistency'}: {line} {'ok' if sound else 'FAILED'}")
    ok = ok and sound
    return Outcome(db, ok, submit_p95, lines)


def run_one(db: str, args, content, postgres_url: str | None) -> Outcome:
    """Prepare a database and a server, run the trainees, check; everything removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"training-load-{db}-"))
    database = create_database(db, folder, postgres_url)
    try:
        env = {**instance_env(folder), "DATABASE_URL": database.url,
               # Sign-ins that fail count toward these limits; the bench's should not, but a
               # failed one must never cascade into refusals that look like app errors.
               "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute"}
        started = time.monotonic()
        trainees = setup_trainees(env, args.trainees)
        server = Server(env, args.workers, folder)
        server.start()
        try:
            asyncio.run(server.wait_ready())
            print(f"[{db}] {len(trainees)} trainees, {args.workers} gunicorn workers, ready in "
                  f"{time.monotonic() - started:.1f} s; load average {os.getloadavg()[0]:.1f}; "
                  f"running {args.seconds:.0f} s"
                  + (f", SIGKILL at {args.seconds * args.crash_at:.0f} s" if args.crash else ""), flush=True)
            recorder, outage = asyncio.run(drive(args, server, database, trainees, content))
        except BaseException:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.stop()
        if args.samples:
            write_samples(args.samples, db, recorder.samples)
        return report(db, args, recorder, outage, database)
    finally:
        drop_database(database)
        shutil.rmtree(folder, ignore_errors=True)


def code_version() -> str:
    """The commit measured, marked when the app's files differ from it (figures need their code)."""
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=str(ROOT), capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    changed = git("status", "--porcelain", "--", "training", "templates", "modules", "quizzes")
    return commit + (" with uncommitted changes to the app" if changed else "")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--trainees", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run, ramp-up included")
    parser.add_argument("--think", type=float, nargs=2, default=[0.5, 2.0], metavar=("MIN", "MAX"),
                        help="think time between actions, seconds (answering a quiz takes twice as long)")
    parser.add_argument("--ramp-up", type=float, default=10.0, help="trainees arrive over this many seconds")
    parser.add_argument("--workers", type=int, help="gunicorn sync workers (default 4; 3 with --short)")
    parser.add_argument("--crash", action="store_true", help="SIGKILL gunicorn mid-run, restart it, check")
    parser.add_argument("--crash-at", type=float, default=0.4, help="when to kill, as a fraction of the run")
    parser.add_argument("--outage", type=float, default=1.0, help="seconds before gunicorn is restarted")
    parser.add_argument("--after-restart", type=float, default=5.0,
                        help="the run lasts at least this long after the restart (it may exceed --seconds)")
    parser.add_argument("--short", action="store_true",
                        help="the quick version for make test: 30 trainees, 15 s, think 0.2-0.8 s, 3 workers, "
                             "crash at 5 s")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL cluster to create the run's database in (default: TEST_DATABASE_URL)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the latency goal is not met")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--samples", type=Path, metavar="CSV",
                        help="also write every request (db, kind, start s, end s, ok, detail) to this CSV file")
    args = parser.parse_args(argv)
    if args.short:
        args.trainees, args.seconds, args.think, args.ramp_up = 30, 15.0, [0.2, 0.8], 3.0
        args.crash, args.crash_at, args.after_restart = True, 1 / 3, 4.0
        args.workers = args.workers or 3
    args.workers = args.workers or 4
    if args.db != "sqlite" and not args.postgres_url:
        parser.error("PostgreSQL needs a cluster: run under scripts/with-postgres.sh or pass --postgres-url")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    content = load_checked(ROOT)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"load test at {code_version()}: {args.trainees} trainees, {args.seconds:.0f} s, "
          f"think {args.think[0]}–{args.think[1]} s, ramp-up {args.ramp_up:.0f} s, {args.workers} workers, crash {'on' if args.crash else 'off'}", flush=True)
    outcomes = []
    for db in dbs:
        outcome = run_one(db, args, content, args.postgres_url)
        print("\n".join(outcome.lines), flush=True)
        outcomes.append(outcome)
    for outcome in outcomes:
        print(f"{outcome.db}: {'PASS' if outcome.ok else 'FAIL'} (submit p95 {outcome.submit_p95:.1f} ms)")
    print(f"RESULT load_submit_p95 {max(o.submit_p95 for o in outcomes):.1f} ms")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
