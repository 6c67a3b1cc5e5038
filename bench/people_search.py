"""People search over 20,000 users on SQLite (goal: under 100 ms), with a plain indexed
lookup (one user by login id) in the same run as the baseline.

The users are written with Core inserts, their search keys computed with the same fold the
application uses (training/text_fold.py); a tenth carry a variant kanji (髙橋, 山﨑, 渡邊…).
Each query is timed as the personnel search runs it (training/records/search.py: the
folded LIKE plus loading the listed users), median of --repeat runs.

Usage: .venv/bin/python bench/people_search.py [--people 20000] [--repeat 9]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import insert, select

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="training-bench-"))

from training import create_app  # noqa: E402
from training.extensions import db  # noqa: E402
from training.models import User, UserRole  # noqa: E402
from training.records.search import search  # noqa: E402
from training.text_fold import number_key, search_key  # noqa: E402

SURNAMES = [("高橋", "たかはし"), ("髙橋", "たかはし"), ("山崎", "やまざき"), ("山﨑", "やまざき"), ("佐藤", "さとう"),
            ("鈴木", "すずき"), ("田中", "たなか"), ("渡辺", "わたなべ"), ("渡邊", "わたなべ"), ("伊藤", "いとう"),
            ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
            ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"), ("木村", "きむら"),
            ("斎藤", "さいとう"), ("齋藤", "さいとう"), ("清水", "しみず"), ("山本", "やまもと"), ("森", "もり"),
            ("池田", "いけだ"), ("橋本", "はしもと"), ("阿部", "あべ"), ("石川", "いしかわ"), ("前田", "まえだ")]
GIVEN = [("一郎", "いちろう"), ("花子", "はなこ"), ("健", "けん"), ("美咲", "みさき"), ("翔", "しょう"), ("陽菜", "ひな"),
         ("大輔", "だいすけ"), ("由美", "ゆみ"), ("誠", "まこと"), ("直子", "なおこ"), ("徳子", "のりこ"), ("亮", "りょう")]
QUERIES = ("高橋", "山崎", "4513", "ﾔﾏｻﾞｷ", "わたなべ みさき", "004513", "渡辺")


def median_ms(action, repeat: int) -> float:
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="training-people-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
    with app.test_request_context():
        upgrade()
        now = dt.datetime.now(dt.timezone.utc)
        rows = []
        for i in range(1, args.people + 1):
            surname, surname_kana = SURNAMES[(i * 7) % len(SURNAMES)]
            given, given_kana = GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
            name, kana, login, number = f"{surname} {given}", f"{surname_kana} {given_kana}", f"p{i:06d}", f"{i:06d}"
            rows.append({"login_id": login, "display_name": name, "name_kana": kana, "password_hash": "x",
                         "employee_no": number, "audience": "counter_staff", "active": True,
                         "must_change_password": False, "session_token": f"t{i}", "created_at": now,
                         "search_key": search_key(name, kana, login, number), "employee_no_digits": number_key(number)})
        ids = db.session.scalars(insert(User).returning(User.id), rows).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))

        def lookup():
            db.session.scalars(select(User).where(User.login_id == "p004513")).one()
            db.session.expunge_all()

        baseline = median_ms(lookup, args.repeat)
        timings = {}
        for query in QUERIES:
            def run(query=query):
                found = search(query)
                db.session.expunge_all()
                return found
            timings[query] = (median_ms(run, args.repeat), len(run().people), run().more)
    print(f"{args.people} people on SQLite; baseline (one user by login id, indexed): {baseline:.2f} ms")
    for query, (ms, count, more) in timings.items():
        print(f"  search {query!r}: {ms:.1f} ms, {count}{'+' if more else ''} listed")
    overall = statistics.median(ms for ms, _count, _more in timings.values())
    worst = max(ms for ms, _count, _more in timings.values())
    print(f"median over the queries: {overall:.1f} ms ({overall / baseline:.0f}× the baseline); slowest {worst:.1f} ms")
    print("goal: under 100 ms")
    print(f"RESULT people_search_ms {overall:.1f} ms")


if __name__ == "__main__":
    main()
