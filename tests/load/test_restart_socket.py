"""A restart refuses nobody when systemd holds the listening socket (README, "Running in production").

With ``preload_app`` gunicorn listens only once the master has loaded the app (about a second),
so during ``systemctl restart`` a plain unit refuses connections and the proxy in front shows
an error page. With the README's ``training-web.socket`` unit, systemd owns the socket across
restarts and hands it to each new gunicorn (socket activation: ``LISTEN_FDS``/``LISTEN_PID``,
fd 3): what arrives in between waits in the socket's backlog and is answered by the new server.

This test plays systemd's part: it opens the listening socket itself, starts gunicorn with the
project's settings on it the way systemd does (the socket as fd 3, ``LISTEN_PID`` the gunicorn
process itself), sends a request before the app has loaded, stops gunicorn, sends a request
while none runs, starts a new one, and checks that every request was answered with the page,
none refused or lost.
"""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

#: What systemd does before it executes the service: the socket becomes fd 3 and the
#: variables name this very process (gunicorn checks LISTEN_PID against its own pid).
ACTIVATE = """
import os, sys
fd = int(sys.argv[1])
os.dup2(fd, 3)
os.close(fd)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"""


def _start(listener: socket.socket, env: dict) -> subprocess.Popen:
    fd = os.dup(listener.fileno())
    try:
        return subprocess.Popen(
            [sys.executable, "-c", ACTIVATE, str(fd), str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
             "--workers", "2", "--log-level", "warning"], env=env, cwd=str(ROOT), pass_fds=(fd,))
    finally:
        os.close(fd)


def _get(port: int, answers: list) -> None:
    """GET /login; appends (status, body holds the page, seconds) or the error."""
    began = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/login")
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        conn.close()
        answers.append((response.status, "ログイン" in body, time.monotonic() - began))
    except OSError as exc:  # a refused or reset connection: what the socket unit prevents
        answers.append(exc)


def test_requests_during_a_restart_wait_for_the_new_server_instead_of_failing(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TEST_DATABASE_URL", "FLASK_"))}
    env.update(SECRET_KEY="restart-socket-secret-" + "x" * 20, INSTANCE_PATH=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'training.sqlite3'}", SESSION_COOKIE_SECURE="false")
    subprocess.run([str(BIN / "training"), "init-db"], env=env, check=True, capture_output=True, timeout=120)

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    servers = []
    try:
        # The first start: a request sent at once waits while the master loads the app.
        servers.append(_start(listener, env))
        answers: list = []
        _get(port, answers)
        assert servers[0].poll() is None
        # A restart: the old server stops (SIGTERM, as systemctl does); a request arrives while
        # no server runs at all; then the new server starts on the same socket.
        servers[0].terminate()
        assert servers[0].wait(timeout=30) == 0
        waiting = threading.Thread(target=_get, args=(port, answers))
        waiting.start()
        time.sleep(0.3)  # the request is in the socket's backlog, with nobody to accept it
        assert waiting.is_alive(), "answered with no server running"
        servers.append(_start(listener, env))
        waiting.join(timeout=90)
        assert not waiting.is_alive()
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
        listener.close()

    assert all(isinstance(answer, tuple) for answer in answers), answers  # nothing refused or reset
    assert [(status, page) for status, page, _seconds in answers] == [(200, True), (200, True)]
    # The second request waited through the restart: at least the time no server ran.
    assert answers[1][2] >= 0.3
    print(f"answered after {answers[0][2]:.2f} s (first start) and {answers[1][2]:.2f} s (through the restart)")
