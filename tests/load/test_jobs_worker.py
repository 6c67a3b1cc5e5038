"""Background jobs with real processes (issue 18): ``training worker`` on the SQLite queue.

- SIGKILL mid-job: the job is picked up again by the next worker (its heartbeat went stale)
  and completes: a valid ZIP of every certificate.
- Under gunicorn with its default timeout (30 s) beside the worker: the 350-certificate ZIP
  of a class, started and downloaded over HTTP as an instructor does, completes and is a valid
  ZIP of 350 PDFs. Its time is printed (rendering 350 certificates is the cost: about a
  minute of CPU on an idle machine, two to three on a busy one), so it runs in `make load`
  (LOAD_FULL=1), not in `make test`, whose 10 minutes it would break; `make test` keeps the
  SIGKILL test, which already goes through the worker and gunicorn's routes.
- Reminders by SMTP to more than REMINDER_DIRECT_MAX people: the form starts a job, the worker
  sends to a real SMTP server on loopback, the job page shows what was sent and every row is
  recorded as sent; a second send is cancelled by the web during a mail (the SMTP server
  presses the button: no sleep), stops before the next one, and 続きを実行する sends the rest.
  About 10 s, most of it the worker's start-up: it runs in `make test`.

Each test has its own SQLite database and instance folder; neither needs PostgreSQL.
"""
from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select
from werkzeug.datastructures import MultiDict

from tests.conftest import PASSWORD, TEST_HASH_METHOD, AuthActions
from tests.integration.test_reminders import _class
from tests.support.jobs import certified_class
from tests.support.learner import csrf
from tests.support.smtp import Inbox, loopback_smtp
from training import create_app
from training.auth.accounts import NewUser, create_user
from training.extensions import db
from training.models import Job, Reminder

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
BATCH = re.compile(r'name="batch" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def _environment(folder: Path, **extra) -> dict:
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update({
        "INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "SECRET_KEY": "jobs-test-" + "x" * 40, "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        "SESSION_COOKIE_SECURE": "false", "CONTENT_ROOT": str(ROOT),
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _setup(folder: Path, certificates: int, env: dict):
    """Migrate the database, make an instructor and a class of certified members (in-process)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                      "PASSWORD_HASH_METHOD": TEST_HASH_METHOD, "JOB_DIR": str(folder / "instance" / "jobs")})
    with app.app_context():
        upgrade()
        create_user(NewUser(login_id="zip-teacher", display_name="研修 担当", password=PASSWORD, roles=("instructor",)))
        db.session.commit()
    cohort_id = certified_class(app, "zip-teacher", certificates)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return app, cohort_id


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A process in its own session (killed with its children), its output appended to ``log``."""
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _worker(env: dict, log: Path) -> subprocess.Popen:
    return _spawn([str(BIN / "training"), "worker", "--threads", "1"], env, log)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _job(url: str, job_id: int) -> Job:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(Job.__table__).where(Job.id == job_id)).one()
    finally:
        engine.dispose()


def _wait(url: str, job_id: int, done, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _job(url, job_id)
        if done(row):
            return row
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {_job(url, job_id)}")


def _check_zip(data: bytes, count: int) -> None:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == count == len(set(names))
    assert names == [f"GK2026-{n:05d}_受講者{n:04d}.pdf" for n in range(1, count + 1)]
    for name in names:
        with archive.open(name) as member:
            assert member.read(4) == b"%PDF", name


def test_a_killed_workers_job_is_picked_up_again_and_completes(tmp_path):
    env = _environment(tmp_path, JOB_STALE_SECONDS=2, JOB_ITEM_DELAY_SECONDS=0.1)
    app, cohort_id = _setup(tmp_path, 12, env)
    from training import jobs
    from training.models import User

    with app.test_request_context():
        owner = db.session.scalar(select(User).where(User.login_id == "zip-teacher"))
        job_id = jobs.start("certificate_zip", owner, {"cohort_id": cohort_id}, title="修了証のZIP", file_name="class.zip").id
        db.session.remove()
    log = tmp_path / "worker.log"
    first = _worker(env, log)
    try:
        row = _wait(env["DATABASE_URL"], job_id, lambda r: r.done_items >= 3, 60, "three certificates")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        row = _job(env["DATABASE_URL"], job_id)
        assert row.status == "running" and row.done_items < 12 and row.attempts == 1, row
    finally:
        _stop(first)
    second = _worker(env, log)
    try:
        row = _wait(env["DATABASE_URL"], job_id, lambda r: r.status in ("done", "failed"), 90, "the job to finish")
    finally:
        _stop(second)
    output = log.read_text(errors="replace")
    assert row.status == "done" and row.attempts == 2 and row.done_items == 12, (row, output[-3000:])
    assert "queued again" in output
    _check_zip(Path(row.file_path).read_bytes(), 12)
    assert list((tmp_path / "instance" / "jobs").glob("*.part")) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Cookies and CSRF tokens over plain HTTP, as a person's browser (no redirects followed)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=60)

    def post(self, path: str, form: dict):
        return self.opener.open(self.base + path, data=urllib.parse.urlencode(form).encode(), timeout=60)

    def token(self, path: str) -> str:
        return CSRF.search(self.get(path).read().decode()).group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


@pytest.mark.skipif(os.environ.get("LOAD_FULL") != "1", reason="make load (LOAD_FULL=1): a minute or more of rendering")
def test_350_certificates_under_gunicorn_default_timeout(tmp_path):
    env = _environment(tmp_path)
    started = time.monotonic()
    _app, cohort_id = _setup(tmp_path, 350, env)
    setup_seconds = time.monotonic() - started
    port = _free_port()
    ready = tmp_path / "ready"
    ready.mkdir()
    # gunicorn as the README runs it, with its default timeout (no --timeout: 30 s).
    server = _spawn([str(BIN / "gunicorn"), "-c", str(ROOT / "bench" / "_gunicorn_ready.py"),
                     "--workers", "2", "--bind", f"127.0.0.1:{port}", "training.wsgi:app"],
                    dict(env, BENCH_READY_DIR=str(ready)), tmp_path / "gunicorn.log")
    worker = _worker(env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < 2 and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.1)
        browser = Browser(f"http://127.0.0.1:{port}")
        signed_in = browser.post("/login", {"login_id": "zip-teacher", "password": PASSWORD,
                                            "csrf_token": browser.token("/login")})
        assert signed_in.status == 302
        page = browser.get(f"/teach/classes/{cohort_id}").read().decode()
        assert "修了証をまとめて作成（ZIP・350件）" in page
        clicked = time.monotonic()
        start = browser.post(f"/teach/classes/{cohort_id}/certificates-job",
                             {"csrf_token": CSRF.search(page).group(1)})
        assert start.status == 302
        job_path = urllib.parse.urlsplit(start.headers["Location"]).path
        assert time.monotonic() - clicked < 5  # the request only records and queues the job
        seen_progress = set()
        while True:
            state = json.loads(browser.get(job_path + "/status").read())
            seen_progress.add(state["done"])
            if state["finished"]:
                break
            assert time.monotonic() - clicked < 600, state
            time.sleep(1)
        job_seconds = time.monotonic() - clicked
        assert state["status"] == "done" and state["done"] == state["total"] == 350, state
        assert len(seen_progress) > 3  # the bar moved
        download = browser.get(job_path + "/download")
        assert download.status == 200 and download.headers["Content-Type"] == "application/zip"
        _check_zip(download.read(), 350)
        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "WORKER TIMEOUT" not in log, log[-3000:]
        print(f"350-certificate ZIP through the job: {job_seconds:.1f} s from the click to done "
              f"(setup of 350 certified members {setup_seconds:.1f} s)")
    finally:
        _stop(worker)
        _stop(server)


class _CancellingInbox(Inbox):
    """Keeps every message; on the ``cancel_at``-th one, runs ``cancel()`` before answering 250
    (someone presses 処理を取り消す while that mail is on its way: deterministic, no sleep)."""

    cancel_at: int | None = None
    cancel = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        if self.cancel and len(self.messages) == self.cancel_at:
            self.cancel()
        return "250 OK"


def _statuses(url: str, cohort_id: int) -> list[str]:
    """The status of each reminder of the class, in the order they were recorded."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            table = Reminder.__table__
            return list(connection.execute(select(table.c.status).where(table.c.cohort_id == cohort_id)
                                           .order_by(table.c.id)).scalars())
    finally:
        engine.dispose()


def test_reminders_over_the_threshold_are_sent_by_the_worker_and_a_cancel_stops_them(tmp_path):
    """Reminders as production sends them: the instructor's form starts a job (more than
    REMINDER_DIRECT_MAX people), ``training worker`` takes it from the SQLite queue and sends
    by SMTP to a real server on loopback; then a second send is cancelled part-way through the
    web and continued. The web side is the app in this process (its test client), on the same
    database and queue as the worker process."""
    people = 11  # REMINDER_DIRECT_MAX (10, its default) + 1: the smallest class that is a job
    inbox = _CancellingInbox()
    with loopback_smtp(inbox) as port:
        mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_FROM": "kenshu@example.jp"}
        env = _environment(tmp_path, **mail)
        log = tmp_path / "worker.log"
        # Started first: its start-up (imports, content) is the longest part of the test and
        # overlaps the database's setup. Huey's queue is its own file; the job table is read
        # only when a job comes (its first watchdog round may find no table yet: logged, harmless).
        worker = _worker(env, log)
        try:
            app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                              "SECRET_KEY": env["SECRET_KEY"], "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
                              "JOB_DIR": str(tmp_path / "instance" / "jobs"), "JOB_QUEUE_IMMEDIATE": False, **mail})
            with app.app_context():
                upgrade()
                assert app.config["REMINDER_DIRECT_MAX"] == people - 1
                create_user(NewUser(login_id="mail-teacher", display_name="研修 担当", password=PASSWORD,
                                    roles=("instructor",)))
                create_user(NewUser(login_id="mail-admin", display_name="管理 担当", password=PASSWORD,
                                    roles=("admin",)))
                db.session.commit()
            cohort_id = _class(app, "mail-teacher", [f"t{n:02d}@example.jp" for n in range(people)])
            teacher, admin = app.test_client(), app.test_client()
            assert AuthActions(teacher).login("mail-teacher").status_code == 302
            assert AuthActions(admin).login("mail-admin").status_code == 302
            reminders = f"/teach/classes/{cohort_id}/reminders"

            # 1. The whole class, through the form: the request records and queues; the worker sends.
            page = teacher.get(reminders).get_data(as_text=True)
            started = teacher.post(reminders, data={"csrf_token": csrf(page), "group": "overdue",
                                                    "batch": BATCH.search(page).group(1)})
            assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
            first = int(started.headers["Location"].rsplit("/", 1)[1])
            row = _wait(env["DATABASE_URL"], first, lambda r: r.finished_at is not None, 60, "the first send")
            assert (row.status, row.done_items, row.total_items, row.attempts) == ("done", people, people, 1), row
            assert row.result == {"sent": people, "failed": 0} and "result" not in row.params
            addresses = sorted(a for message in inbox.messages for a in message.rcpt_tos)
            assert addresses == [f"t{n:02d}@example.jp" for n in range(people)]
            assert _statuses(env["DATABASE_URL"], cohort_id) == ["sent"] * people
            shown = teacher.get(f"/jobs/{first}").get_data(as_text=True)
            assert f"送信 {people}件・送信失敗 0件・メールアドレスなし 0件です。" in shown and "完了" in shown

            # 2. Again within 24 hours (confirmed): the admin presses 取り消す during the 4th mail.
            token = AuthActions(admin).csrf_token("/help")
            pressed = []

            def cancel():  # in the SMTP server's thread, while the worker waits for its answer
                with app.app_context():
                    running = db.session.scalar(select(Job.id).where(Job.status == "running"))
                    db.session.remove()
                pressed.append((running, admin.post(f"/jobs/{running}/cancel", data={"csrf_token": token}).status_code))

            page = teacher.get(reminders).get_data(as_text=True)
            asked = teacher.post(reminders, data={"csrf_token": csrf(page), "group": "overdue",
                                                  "batch": BATCH.search(page).group(1)})
            assert asked.status_code == 200 and "24時間以内" in asked.get_data(as_text=True)
            confirm = MultiDict(HIDDEN.findall(asked.get_data(as_text=True)))
            confirm["confirm"] = "all"
            inbox.cancel, inbox.cancel_at = cancel, people + 4
            started = teacher.post(reminders, data=confirm)
            assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
            second = int(started.headers["Location"].rsplit("/", 1)[1])
            # The run's end is when its result says 4: the 4th mail's own progress write found the
            # job cancelled (so nothing was written), then the runner stored what the run did.
            row = _wait(env["DATABASE_URL"], second, lambda r: (r.result or {}).get("sent") == 4, 30,
                        "the cancelled send")
            assert pressed == [(second, 302)]
            assert row.status == "cancelled" and row.result == {"sent": 4, "failed": 0}, row
            assert len(inbox.messages) == people + 4  # not one more after the cancel
            assert _statuses(env["DATABASE_URL"], cohort_id)[people:] == ["sent"] * 4 + ["pending"] * (people - 4)
            shown = teacher.get(f"/jobs/{second}").get_data(as_text=True)
            assert "取り消しました" in shown and "送信 4件・送信失敗 0件" in shown
            assert f"送っていない{people - 4}件は「送信待ち」のまま記録しています" in shown and "続きを実行する" in shown

            # 3. 続きを実行する: the worker sends exactly the rest; everyone has had each send once.
            inbox.cancel = None
            assert teacher.post(f"/jobs/{second}/retry", data={"csrf_token": csrf(shown)}).status_code == 302
            row = _wait(env["DATABASE_URL"], second, lambda r: r.status == "done", 30, "the continued send")
            assert row.result == {"sent": people - 4, "failed": 0} and row.done_items == people - 4, row
            addresses = sorted(a for message in inbox.messages for a in message.rcpt_tos)
            assert addresses == sorted([f"t{n:02d}@example.jp" for n in range(people)] * 2)
            assert _statuses(env["DATABASE_URL"], cohort_id) == ["sent"] * (2 * people)
            assert f"送信 {people}件・送信失敗 0件" in teacher.get(f"/jobs/{second}").get_data(as_text=True)
        finally:
            _stop(worker)
    output = log.read_text(errors="replace")
    assert output.count("Executing training.jobs.queue.run_job") == 3, output[-3000:]
    assert f"job {second}: cancelled; stopped" in output, output[-3000:]
