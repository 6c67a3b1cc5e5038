"""Exporting 100,000 completion records: CSV time as a ratio to `sqlite3 -csv` running the same
join on the same database (goal: at most 2×), XLSX time, and the peak memory of each (goal:
under 150 MB). Each export runs in its own process so the peaks do not mix.

Usage: .venv/bin/python bench/export_completions.py [--records 100000]   (needs Debian's sqlite3)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
JOIN = """SELECT u.employee_no, u.display_name, u.name_kana, u.department, u.audience, c.course_id,
 c.completed_at, c.score, k.serial, k.revoked_at, k.superseded_at, k.valid_until
 FROM course_completion c JOIN user u ON u.id = c.user_id
 LEFT JOIN certificate k ON k.course_completion_id = c.id AND k.superseded_at IS NULL
 WHERE c.completed_at >= '2026-03-31 15:00:00' AND c.completed_at < '2027-03-31 15:00:00'
 ORDER BY c.completed_at, c.id;"""


def build(database: Path, records: int) -> None:
    """A database with ``records`` completions (and certificates) in fiscal year 2026."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench" * 8,
           "INSTANCE_PATH": str(database.parent)}
    subprocess.run([str(BIN / "training"), "init-db"], env=env, check=True, capture_output=True)
    import sqlite3

    con = sqlite3.connect(database)
    start = dt.datetime(2026, 4, 1, 0, 0)
    deps = ["税務課", "収納課", "国保年金課", "区民事務所", "保健予防課", "=HYPERLINK(\"x\")"]
    con.executemany(
        "INSERT INTO user (id, login_id, display_name, name_kana, password_hash, audience, department, employee_no,"
        " active, must_change_password, session_token, created_at) VALUES (?,?,?,?,?,?,?,?,1,0,?,?)",
        [(i, f"u{i}", f"受講者 {i}", f"じゅこうしゃ {i}", "x", "counter_staff", deps[i % len(deps)], f"{i:07d}",
          f"t{i}", "2026-04-01 00:00:00") for i in range(1, records + 1)])
    con.executemany(
        "INSERT INTO course_completion (id, user_id, course_id, score, content_version, completed_at)"
        " VALUES (?,?,?,?,?,?)",
        [(i, i, "counter-staff", 80 + i % 21, "v", (start + dt.timedelta(minutes=5 * i)).isoformat(" "))
         for i in range(1, records + 1)])
    con.executemany(
        "INSERT INTO certificate (id, serial, fiscal_year, sequence, revision, verification_code, user_id,"
        " course_completion_id, course_id, recipient_name, course_title, audience, completed_on, content_version,"
        " issued_at) VALUES (?,?,2026,?,1,?,?,?,?,?,?,?,?,?,?)",
        [(i, f"GK2026-{i:06d}", i, f"CODE{i:016d}", i, i, "counter-staff", f"受講者 {i}", "窓口職員向け",
          "counter_staff", "2026-04-01", "v", "2026-04-01 00:00:00") for i in range(1, records + 1)])
    con.commit()
    con.close()


def child(database: str, fmt: str, output: str) -> None:
    """Run one export in this process and print its time and peak memory."""
    os.environ.update({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench" * 8,
                       "INSTANCE_PATH": str(Path(database).parent)})
    from training import create_app
    from training.content import current_content
    from training.dates import today_jst
    from training.records import export

    app = create_app()
    with app.app_context():
        start = time.perf_counter()
        rows = export.rows(export.Filters(fiscal_year=2026), current_content(), today_jst())
        with open(output, "wb") as target:
            if fmt == "xlsx":
                export.write_xlsx(rows, target)
            else:
                for chunk in export.stream_csv(rows, "utf-8-sig"):
                    target.write(chunk)
        elapsed = time.perf_counter() - start
    print(f"{elapsed:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("sqlite3 が必要です: apt-get install sqlite3")
    folder = Path(tempfile.mkdtemp(prefix="training-export-"))
    database = folder / "export.sqlite3"
    build(database, args.records)
    start = time.perf_counter()
    with open(folder / "sqlite3.csv", "wb") as out:
        subprocess.run(["sqlite3", "-csv", "-header", str(database), JOIN], stdout=out, check=True)
    baseline = time.perf_counter() - start
    results = {}
    for fmt in ("csv", "xlsx"):
        output = folder / f"export.{fmt}"
        line = subprocess.run([sys.executable, __file__, "--child", str(database), fmt, str(output)],
                              capture_output=True, text=True, check=True).stdout.split()
        results[fmt] = (float(line[0]), float(line[1]), output.stat().st_size)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.records} records (fiscal year 2026)")
    print(f"sqlite3 -csv, same join: {baseline:.2f} s")
    print(f"CSV export: {results['csv'][0]:.2f} s, peak {results['csv'][1]:.0f} MiB, {results['csv'][2] / 2**20:.1f} MiB file")
    print(f"XLSX export: {results['xlsx'][0]:.2f} s, peak {results['xlsx'][1]:.0f} MiB, {results['xlsx'][2] / 2**20:.1f} MiB file")
    print("goals: CSV at most 2x sqlite3; peak memory under 150 MB for either format")
    print(f"RESULT export_csv_vs_sqlite3 {results['csv'][0] / baseline:.2f} ratio")


if __name__ == "__main__":
    main()
