"""Helpers for the benchmarks: a throwaway instance, gunicorn on loopback, a simple load loop."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance_env(tmp: Path) -> dict:
    return {**os.environ, "SECRET_KEY": "bench-secret-" + "x" * 20, "INSTANCE_PATH": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "SESSION_COOKIE_SECURE": "false",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def prepare_instance(password: str) -> tuple[Path, dict]:
    tmp = Path(tempfile.mkdtemp(prefix="training-bench-"))
    env = instance_env(tmp)
    for args in (["init-db"], ["demo", "--password", password]):
        subprocess.run([str(BIN / "training"), *args], env=env, check=True, capture_output=True)
    return tmp, env


class Gunicorn:
    """gunicorn serving ``target`` with ``workers`` processes on a free loopback port, with the
    production settings (gunicorn.conf.py), whatever the app."""

    def __init__(self, target: str, workers: int, env: dict, cwd: Path = ROOT):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers),
             "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target], env=env, cwd=str(cwd))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Session:
    """A tiny HTTP client with cookies, enough to sign in and post forms."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text, dict(response.getheaders())

    def csrf(self, path: str) -> str:
        _status, html, _headers = self.request("GET", path)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def load(port: int, path: str, cookie: str, seconds: float, clients: int) -> tuple[float, int]:
    """Requests per second over ``seconds`` with ``clients`` keep-alive connections; (rps, errors)."""
    done, errors = [0] * clients, [0] * clients
    stop_at = time.time() + seconds

    def worker(i: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        while time.time() < stop_at:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[i] += 1
                else:
                    errors[i] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.time() - start), sum(errors)
