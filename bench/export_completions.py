"""Exporting 100,000 completion records: CSV time as a ratio to `sqlite3 -csv` running the same
join on the same database (goal: at most 2×), XLSX time as a ratio to the CSV export (goal: at
most 8×), and the peak memory of each (goal: under 150 MB). Each export runs in its own process so the peaks do not mix.
Both exports are what a user downloads from 記録の出力: the same filters (fiscal year 2026), the
whole file written (the XLSX with the page heading the page gives it). Last line:
`RESULT export_xlsx_vs_csv <ratio>` (the CSV's ratio to sqlite3 is the line before).

Usage: .venv/bin/python bench/export_completions.py [--records 100000] [--rounds 5] [--xlsx-rounds 3]
(needs Debian's sqlite3)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
JOIN = """SELECT u.employee_no, u.display_name, u.name_kana, c.department_name, c.audience, c.course_id,
 c.kind, c.completed_at, c.score, k.serial, k.revoked_at, k.superseded_at, k.valid_until
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
    deps = ["税務課", "収納課", "国保年金課", "区民事務所", "保健予防課", "=HYPERLINK(\"x\")", "＋収納課"]
    con.executemany(
        "INSERT INTO user (id, login_id, display_name, name_kana, password_hash, audience, department, employee_no,"
        " active, must_change_password, session_token, created_at) VALUES (?,?,?,?,?,?,?,?,1,0,?,?)",
        [(i, f"u{i}", f"受講者 {i}", f"じゅこうしゃ {i}", "x", "counter_staff", deps[i % len(deps)], f"{i:07d}",
          f"t{i}", "2026-04-01 00:00:00") for i in range(1, records + 1)])
    con.executemany(
        "INSERT INTO course_completion (id, user_id, course_id, score, content_version, completed_at,"
        " department_name, audience, cycle, fiscal_year, updated_at, kind) VALUES (?,?,?,?,?,?,?,?,1,2026,?,?)",
        [(i, i, "counter-staff", 80 + i % 21, "v", (start + dt.timedelta(minutes=5 * i)).isoformat(" "),
          deps[i % len(deps)], "counter_staff", (start + dt.timedelta(minutes=5 * i)).isoformat(" "),
          ("elearning", "elearning", "in_person", "blended")[i % 4])
         for i in range(1, records + 1)])
    con.executemany(
        "INSERT INTO certificate (id, serial, fiscal_year, sequence, revision, verification_code, user_id,"
        " course_completion_id, course_id, recipient_name, course_title, audience, completed_on, content_version,"
        " issued_at) VALUES (?,?,2026,?,1,?,?,?,?,?,?,?,?,?,?)",
        [(i, f"GK2026-{i:06d}", i, f"CODE{i:016d}", i, i, "counter-staff", f"受講者 {i}", "窓口職員向け",
          "counter_staff", "2026-04-01", "v", "2026-04-01 00:00:00") for i in range(1, records + 1)])
    con.commit()
    con.close()


def child(database: str, fmt: str, output: str, rounds: str) -> None:
    """Run the export ``rounds`` times in this process; print wall and CPU seconds per round,
    then the peak memory."""
    os.environ.update({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench" * 8,
                       "INSTANCE_PATH": str(Path(database).parent)})
    from training import create_app
    from training.content import current_content
    from training.dates import today_jst
    from training.records import export

    app = create_app()
    for _ in range(int(rounds)):
        with app.app_context():
            wall, cpu = time.perf_counter(), time.process_time()
            filters, content, today = export.Filters(fiscal_year=2026), current_content(), today_jst()
            with open(output, "wb") as target:
                if fmt == "xlsx":
                    export.write_xlsx(export.rows(filters, content, today), target,
                                      heading=f"修了記録（{filters.describe(content)}）")
                else:
                    for chunk in export.stream_csv(export.text_rows(filters, content, today), "utf-8-sig"):
                        target.write(chunk)
            print(f"{time.perf_counter() - wall:.3f} {time.process_time() - cpu:.3f}")
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def sqlite3_baseline(database: Path, output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `sqlite3 -csv` running the join."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(output, "wb") as out:
        subprocess.run(["sqlite3", "-csv", "-header", str(database), JOIN], stdout=out, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def python_floor(database: Path, output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the least any Python export can do: the same join through the
    sqlite3 module, rows straight into csv.writer (no app code, no formatting at all)."""
    import csv
    import sqlite3

    wall, cpu = time.perf_counter(), time.process_time()
    connection = sqlite3.connect(database)
    try:
        cursor = connection.execute(JOIN)
        with open(output, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow([c[0] for c in cursor.description])
            while batch := cursor.fetchmany(1000):
                writer.writerows(batch)
    finally:
        connection.close()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="CSV exports and sqlite3 runs (medians)")
    parser.add_argument("--xlsx-rounds", type=int, default=3, help="XLSX exports (median)")
    args = parser.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("sqlite3 が必要です: apt-get install sqlite3")
    folder = Path(tempfile.mkdtemp(prefix="training-export-"))
    database = folder / "export.sqlite3"
    build(database, args.records)
    baseline = [sqlite3_baseline(database, folder / "sqlite3.csv") for _ in range(args.rounds)]
    results = {}
    for fmt, rounds in (("csv", args.rounds), ("xlsx", args.xlsx_rounds)):
        output = folder / f"export.{fmt}"
        lines = subprocess.run([sys.executable, __file__, "--child", str(database), fmt, str(output), str(rounds)],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        times = [tuple(map(float, line.split())) for line in lines[:rounds]]
        results[fmt] = (times, float(lines[rounds]), output.stat().st_size)
    baseline += [sqlite3_baseline(database, folder / "sqlite3.csv") for _ in range(args.rounds)]
    floor = [python_floor(database, folder / "floor.csv") for _ in range(args.rounds)]
    shutil.rmtree(folder, ignore_errors=True)
    base_wall = statistics.median(t[0] for t in baseline)
    base_cpu = statistics.median(t[1] for t in baseline)
    csv_times, csv_peak, csv_size = results["csv"]
    csv_wall = statistics.median(t[0] for t in csv_times)
    csv_cpu = statistics.median(t[1] for t in csv_times)
    xlsx_times, xlsx_peak, xlsx_size = results["xlsx"]
    xlsx_wall = statistics.median(t[0] for t in xlsx_times)
    xlsx_cpu = statistics.median(t[1] for t in xlsx_times)
    print(f"{args.records} records (fiscal year 2026); medians of {args.rounds} runs")
    print(f"sqlite3 -csv, same join: {base_wall:.2f} s wall, {base_cpu:.2f} s CPU")
    print(f"CSV export: {csv_wall:.2f} s wall, {csv_cpu:.2f} s CPU, peak {csv_peak:.0f} MiB, "
          f"{csv_size / 2**20:.1f} MiB file; ratio {csv_wall / base_wall:.2f} wall, {csv_cpu / base_cpu:.2f} CPU")
    floor_cpu = statistics.median(t[1] for t in floor)
    print(f"Python floor (sqlite3 module + csv.writer, same join, no app code): "
          f"{statistics.median(t[0] for t in floor):.2f} s wall, {floor_cpu:.2f} s CPU; "
          f"ratio {floor_cpu / base_cpu:.2f} CPU (the least a Python export can reach)")
    print(f"XLSX export (median of {args.xlsx_rounds}): {xlsx_wall:.2f} s wall, {xlsx_cpu:.2f} s CPU, "
          f"peak {xlsx_peak:.0f} MiB, {xlsx_size / 2**20:.1f} MiB file; ratio to the CSV export "
          f"{xlsx_cpu / csv_cpu:.2f} CPU, {xlsx_wall / csv_wall:.2f} wall (goal at most 8)")
    print("goals: CSV at most 2x sqlite3, XLSX at most 8x the CSV export; peak memory under 150 MB for either format")
    print("(the ratio uses CPU time: both sides are CPU-bound and the machine is shared)")
    print(f"RESULT export_csv_vs_sqlite3 {csv_cpu / base_cpu:.2f} ratio")
    print(f"RESULT export_xlsx_vs_csv {xlsx_cpu / csv_cpu:.2f} ratio")


if __name__ == "__main__":
    main()
