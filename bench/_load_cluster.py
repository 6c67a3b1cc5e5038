"""The scale-out test's other processes on loopback: HAProxy, Redis, and PostgreSQL's pg_ctl.

HAProxy runs deploy/haproxy.cfg itself (the file the README shows), its "${...}" names filled
from the environment; the test reads per-server state and request counts from its stats
socket. Redis is Debian's redis-server on its own port and folder, with nothing saved to disk
(it holds only the job queue). PostgreSQL is the cluster of scripts/with-postgres.sh, stopped
and started with the same pg_ctl options it was started with (TEST_POSTGRES_*).
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from _serve import ROOT, free_port

HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not start:\n{tail}")


class Balancer:
    """HAProxy with deploy/haproxy.cfg in front of the app servers ``app1``, ``app2``, ..."""

    def __init__(self, folder: Path, app_ports: list[int]):
        self.port, self.folder = free_port(), folder
        self.socket = folder / "haproxy.sock"
        self.log = folder / "haproxy.log"
        self.env = {**os.environ, "TRAINING_LISTEN": f"127.0.0.1:{self.port}",
                    "TRAINING_HAPROXY_SOCKET": str(self.socket),
                    **{f"TRAINING_APP{i}": f"127.0.0.1:{port}" for i, port in enumerate(app_ports, 1)}}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([haproxy, "-db", "-f", str(HAPROXY_CONFIG)], env=self.env, stdout=log,
                                         stderr=log, start_new_session=True)
        _wait_port(self.port, self.proc, "HAProxy", self.log)

    def command(self, line: str) -> str:
        """One command on the stats socket (``show stat``, ``disable server app/app2``, ...)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def servers(self) -> dict[str, dict[str, str]]:
        """The backend's servers from ``show stat``: name -> row (status, stot = requests sent, ...)."""
        text = self.command("show stat").lstrip("# ")
        return {row["svname"]: row for row in csv.DictReader(io.StringIO(text))
                if row["pxname"] == "app" and row["svname"] not in ("BACKEND", "FRONTEND")}

    def status(self, name: str) -> str:
        return self.servers()[name]["status"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Redis:
    """Debian's redis-server on its own loopback port and folder; nothing persisted."""

    def __init__(self, folder: Path):
        self.port, self.folder = free_port(), folder / "redis"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [redis, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_port(self.port, self.proc, "redis-server", self.log)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop as a service manager would (SIGTERM), and wait until the port is closed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PostgresControl:
    """Stop (immediate) and start the cluster of scripts/with-postgres.sh with its own options."""

    def __init__(self):
        self.pg_ctl = os.environ.get("TEST_POSTGRES_PG_CTL", "")
        self.data = os.environ.get("TEST_POSTGRES_DATA", "")
        self.options = os.environ.get("TEST_POSTGRES_OPTIONS", "")
        self.log = os.environ.get("TEST_POSTGRES_LOG", "")

    @property
    def available(self) -> bool:
        return bool(self.pg_ctl and self.data and self.options)

    def _run(self, *argv: str) -> None:
        # scripts/with-postgres.sh runs the server as `postgres` when started as root.
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        done = subprocess.run([*prefix, self.pg_ctl, "-D", self.data, *argv], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    def stop_immediate(self) -> None:
        """Every server process quits at once, without a checkpoint: recovery replays the WAL."""
        self._run("-m", "immediate", "stop")

    def start(self) -> None:
        """Start and wait until it accepts connections (after its crash recovery)."""
        self._run("-l", self.log, "-w", "-t", "60", "-o", self.options, "start")

    def postmaster_pid(self) -> int:
        return int(Path(self.data, "postmaster.pid").read_text().split()[0])


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time of a process, its live children and the children it has reaped (PostgreSQL's
    postmaster and its backends)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rpartition(")")[2].split()
        except (OSError, ValueError):
            continue
        if pid == root_pid:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == root_pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
