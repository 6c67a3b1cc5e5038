"""Limits that hold under parallel requests and across workers (issue 12, the attack itself).

gunicorn with four worker processes serves the test database (SQLite file or PostgreSQL,
whichever this run uses); many requests are fired at once, each with its own session cookie
and CSRF token. A limit counted per worker, or checked before and counted after, lets more
through than it says; counted in the database with a reservation it lets exactly its number.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from training.extensions import db
from training.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 4


class Client:
    """One visitor: its own cookies (so its own session and CSRF token), one request at a time."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        """Send one request; remember the cookies it sets; (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def csrf(self, path: str) -> str:
        """The CSRF token of the form at ``path`` (this visitor's session)."""
        _status, html = self.request("GET", path)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def server(database_url):
    """gunicorn, four workers, on the test database; yields the port once every worker serves."""
    folder = Path(tempfile.mkdtemp(prefix="training-limits-"))
    ready = folder / "ready"
    ready.mkdir()
    port = _free_port()
    env = {
        "PATH": str(BIN) + ":/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": "limits-test-secret-" + "x" * 20,
        "SESSION_COOKIE_SECURE": "false",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # seconds, not minutes
        "BENCH_READY_DIR": str(ready),
    }
    log = open(folder / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "bench" / "_gunicorn_ready.py"), "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "training.wsgi:app"],
        env=env, cwd=str(ROOT), stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while sum(1 for _ in ready.iterdir()) < WORKERS:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _all_at_once(calls) -> list:
    """Run every zero-argument callable in its own thread, released together; their results."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i):
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _failures(app, login_ids=None) -> int:
    """How many sign-in attempts were evaluated and failed (audit entries), for these login ids."""
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failure")).all()
    return sum(1 for e in entries if login_ids is None or e.detail.get("login_id") in login_ids)


def _wrong_password_posts(port, login_ids) -> list[int]:
    """One visitor per login id: a fresh session and token each, then every POST at once."""
    visitors = [(Client(port), login_id) for login_id in login_ids]
    forms = [(v, {"login_id": lid, "password": "not-the-password", "csrf_token": v.csrf("/login")})
             for v, lid in visitors]
    return [status for status, _ in _all_at_once([lambda v=v, f=f: v.request("POST", "/login", f)
                                                  for v, f in forms])]


def test_account_limit_holds_across_workers(app, server, create_user_factory):
    _uid, login_id = create_user_factory("trainee")
    statuses = _wrong_password_posts(server, [login_id] * 25)
    evaluated = _failures(app, {login_id})
    print(f"account: 25 parallel -> {evaluated} evaluated, {statuses.count(429)} x 429")
    assert evaluated == 5  # no more than the limit, and no fewer (nothing refused wrongly)
    assert statuses.count(200) == 5 and statuses.count(429) == 20


def test_address_limit_holds_across_workers(app, server, create_user_factory):
    login_ids = [create_user_factory("trainee")[1] for _ in range(40)]
    statuses = _wrong_password_posts(server, login_ids)
    evaluated = _failures(app)
    print(f"address: 40 parallel (40 accounts) -> {evaluated} evaluated, {statuses.count(429)} x 429")
    assert evaluated == 30
    assert statuses.count(200) == 30 and statuses.count(429) == 10


def test_verify_limit_holds_across_workers(server):
    visitors = [Client(server) for _ in range(45)]
    statuses = [status for status, _ in _all_at_once(
        [lambda v=v, n=n: v.request("GET", f"/verify/AAAA-BBBB-CCCC-DDDD-{n:04d}") for n, v in enumerate(visitors)])]
    print(f"verify: 45 parallel -> {statuses.count(404)} looked up, {statuses.count(429)} x 429")
    assert statuses.count(404) == 30 and statuses.count(429) == 15


def test_join_limit_holds_across_workers(server):
    visitors = [Client(server) for _ in range(20)]
    forms = [(v, {"code": "ZZZZ-ZZZZ", "csrf_token": v.csrf("/join")}) for v in visitors]
    results = _all_at_once([lambda v=v, f=f: v.request("POST", "/join", f) for v, f in forms])
    statuses = [status for status, _ in results]
    wrong = sum(1 for status, body in results if status == 200 and "参加コードが正しくない" in body)
    print(f"join: 20 parallel wrong codes -> {wrong} evaluated, {statuses.count(429)} x 429")
    assert wrong == 10 and statuses.count(429) == 10


def test_password_change_limit_holds_across_workers(app, server, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    visitor = Client(server)
    token = visitor.csrf("/login")
    assert visitor.request("POST", "/login", {"login_id": login_id, "password": PASSWORD, "csrf_token": token})[0] == 302
    token = visitor.csrf("/account/password")
    form = {"current": "not-the-password", "new": "a-new-password-123", "confirm": "a-new-password-123",
            "csrf_token": token}
    statuses = [status for status, _ in _all_at_once([lambda: visitor.request("POST", "/account/password", form)
                                                      for _ in range(12)])]
    with app.app_context():
        failures = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user.password_change_failure", AuditEntry.target_id == str(user_id)))
    print(f"password change: 12 parallel wrong current passwords -> {failures} evaluated, "
          f"{statuses.count(429)} x 429")
    assert failures == 5 and statuses.count(200) == 5 and statuses.count(429) == 7


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _database_sockets(port: int) -> set[str]:
    """Inodes of the loopback TCP connections to ``port`` (the PostgreSQL server), from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def test_preloaded_workers_share_no_database_connection(server, database_url):
    """gunicorn.conf.py preloads the app in the master: the master keeps no connection to the
    database after its warm-up, and every worker uses connections of its own (issue 18)."""
    master = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _is_server(p, server)
                  and _parent(p) == os.getpid())
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    assert len(workers) == WORKERS
    # Every worker serves (database reads: certificate checks that find nothing are not limited
    # per worker, and a fresh visitor's sign-in page reads the contacts).
    statuses = _all_at_once([lambda: Client(server).request("GET", "/login")[0] for _ in range(16)])
    assert statuses == [200] * 16
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        held = {pid: {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir() if _readable(fd)}
                for pid in [master, *workers]}
        assert not any(target.startswith(path) for target in held[master])
        return
    port = int(database_url.rsplit(":", 1)[1].split("/", 1)[0])
    to_database = _database_sockets(port)
    per_process = {pid: _socket_inodes(pid) & to_database for pid in [master, *workers]}
    assert per_process[master] == set()
    owners = [inode for pid in workers for inode in per_process[pid]]
    assert len(owners) == len(set(owners)) > 0  # no connection held by two workers


def _is_server(proc: Path, port: int) -> bool:
    try:
        return f"127.0.0.1:{port}" in (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rpartition(")")[2].split()[1])
    except OSError:
        return -1


def _readable(fd: Path) -> bool:
    try:
        os.readlink(fd)
        return True
    except OSError:
        return False
