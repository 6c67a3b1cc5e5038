"""gunicorn for the load test: its own process group on a fixed loopback port, and CPU accounting.

The process group lets the crash test kill the master and every worker at once with SIGKILL,
and lets the bench count the server's CPU time apart from the load generator's and from
whatever else the shared machine runs.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from _serve import BIN, ROOT, free_port

BENCH = Path(__file__).resolve().parent


def group_cpu_seconds(pgid: int) -> float:
    """CPU time used so far by the live processes of a process group (gunicorn master and workers)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)  # minus idle and iowait


class Server:
    """gunicorn in its own process group on a fixed loopback port; ready when every worker is."""

    def __init__(self, env: dict, workers: int, folder: Path):
        self.port, self.workers, self.folder = free_port(), workers, folder
        self.ready_dir = folder / "ready"
        self.log = folder / "gunicorn.log"
        self.env = {**env, "BENCH_READY_DIR": str(self.ready_dir)}
        self.proc: subprocess.Popen | None = None
        self.cpu_seconds, self._cpu_mark = 0.0, 0.0

    def count_cpu(self, start: bool) -> None:
        """Start counting the server's CPU time (after it is ready), or add what it used since."""
        used = group_cpu_seconds(self.proc.pid)
        if not start:
            self.cpu_seconds += used - self._cpu_mark
        self._cpu_mark = used

    def start(self) -> None:
        shutil.rmtree(self.ready_dir, ignore_errors=True)
        self.ready_dir.mkdir()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(BENCH / "_gunicorn_ready.py"), "--workers", str(self.workers),
                 "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "training.wsgi:app"],
                env=self.env, cwd=str(ROOT), stdout=log, stderr=log, start_new_session=True)

    async def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for _ in self.ready_dir.iterdir()) < self.workers:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once (the whole process group)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""
