"""The short scale-out test (bench/scale_test.py): two app servers behind HAProxy, PostgreSQL, Redis.

Sessions and login limits across both servers, the split of the trainees' requests, SIGKILL
of one app server under load, PostgreSQL stopped with ``-m immediate`` and started again, Redis
stopped and started; every acknowledged write checked in the database. Needs the cluster of
scripts/with-postgres.sh (skipped without it, unless REQUIRE_POSTGRES=1) and Debian's haproxy
and redis-server (make system-test). Latency is not asserted (the machine is shared).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_two_servers_behind_haproxy():
    if not os.environ.get("TEST_POSTGRES_DATA"):
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but scripts/with-postgres.sh did not set TEST_POSTGRES_DATA")
        pytest.skip("PostgreSQL: run under scripts/with-postgres.sh")
    for program in ("haproxy", "redis-server"):
        assert shutil.which(program) or Path("/usr/sbin", program).exists(), f"{program} missing: make system-test"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "scale_test.py")], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, output
    lines = done.stdout.splitlines()
    for expected in ("session: signed in on app1 (302), the same cookie on app2: home page 200 ok",
                     "login limit (5 per 15 minutes per account)", "split before the kill",
                     "kill: app1 serves again after the restart", "PostgreSQL: first request served after the restart",
                     "missing right after it", "missing after the restart", "PostgreSQL down: a sign-in is refused",
                     "Redis stopped for", "jobs: the yearly report started on app1", "jobs: run by the worker",
                     "acknowledged writes:", "consistency:"):
        assert any(expected in line and line.endswith(" ok") for line in lines), f"{expected!r} not ok:\n{output}"
    assert not any(line.endswith("FAILED") for line in lines), output
    assert lines[-1].startswith("RESULT scale_kill_failed_share ")
