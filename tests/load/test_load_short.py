"""The short load and crash test (bench/load_test.py --short), on SQLite.

30 simulated trainees for 15 s against gunicorn with three workers; the server is killed with
SIGKILL part-way and restarted. Passes when no request failed outside the outage, every
write the server acknowledged is in the database, and the database is sound. Latency is
reported, not asserted (the machine is shared).

On PostgreSQL the same guarantees under SIGKILL (acknowledged writes checked right after the
kill and at the end, amcheck) are asserted by tests/load/test_scale_out.py, which kills one of
two app servers and restarts PostgreSQL itself; the PostgreSQL run of this test is kept for
`make load` (``bench/load_test.py --db both --crash``) and by hand with LOAD_SHORT_POSTGRES=1.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


DATABASES = ["sqlite", "postgres"] if os.environ.get("LOAD_SHORT_POSTGRES") == "1" else ["sqlite"]


@pytest.mark.parametrize("database", DATABASES)
def test_short_load_with_crash(database):
    if database == "postgres" and not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL: run under scripts/with-postgres.sh")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "load_test.py"), "--short", "--db", database],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, output
    assert f"[{database}] no acknowledged write missing" in done.stdout
    assert "right after the kill" in done.stdout and "missing right after it ok" in done.stdout
    sound = "integrity: PRAGMA integrity_check: ok" if database == "sqlite" else "consistency:"
    assert f"[{database}] {sound}" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("RESULT load_submit_p95 ")
