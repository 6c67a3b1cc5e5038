"""What the ward's contact edits cost the help panel on every page, in-process.

The panel's contacts come from training.contact_edits.effective(): a per-process cache that
runs one version query at most every CONTACTS_RECHECK_SECONDS. This measures, on a SQLite
instance with the demo data and a few edits, the time of one signed-in page (/help, which
shows every line) with

- the cache as configured (2 s: almost every request runs no query),
- a version check on every request (CONTACTS_RECHECK_SECONDS = 0),
- no cache at all (the whole state read and built on every request: what the cache avoids),
- the files' contacts alone, no database (what the panel cost before the ward's edits),

and prints each as a ratio to the first. Usage: .venv/bin/python bench/help_contacts_cache.py [--requests 400]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from training import contact_edits, create_app  # noqa: E402
from training.demo import create_demo  # noqa: E402
from training.extensions import db  # noqa: E402
from training.models import User  # noqa: E402

PASSWORD = "bench-demo-password"


def timed(client, path: str, requests: int) -> float:
    """Median CPU milliseconds (process time: fair on a shared machine) of ``requests`` GETs, in 5 rounds."""
    rounds = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(requests // 5):
            response = client.get(path)
            assert response.status_code == 200
        rounds.append((time.process_time() - start) * 1000 / (requests // 5))
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="training-bench-contacts-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        create_demo(PASSWORD)
        admin = db.session.scalar(db.select(User).where(User.login_id == "demo-admin"))
        content = app.extensions["content"]
        for contact in content.contacts.contacts[:3]:
            values = contact_edits.contact_values(contact)
            values["note"] = "受付時間を区が確認しました"
            state = contact_edits.read(db.session, content).line(contact.id)
            contact_edits.save_contact(db.session, content, contact.id, {**values, "order": state.contact.order},
                                       False, admin)
            contact_edits.verify(db.session, content, contact.id, contact.source_url or "https://example.org/", "", admin)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"login_id": "demo-counter", "password": PASSWORD})
    assert response.status_code == 302
    timed(client, "/help", 50)  # warm up

    results = {}
    app.config["CONTACTS_RECHECK_SECONDS"] = 2.0
    results["cached (2 s recheck)"] = timed(client, "/help", args.requests)
    app.config["CONTACTS_RECHECK_SECONDS"] = 0
    results["version query every request"] = timed(client, "/help", args.requests)
    original = contact_edits.effective

    def uncached(app=None):
        from flask import current_app

        return contact_edits.read(db.session, current_app.extensions["content"])

    files = contact_edits.files_only(app.extensions["content"])
    try:
        contact_edits.effective = uncached
        results["no cache (read and build every request)"] = timed(client, "/help", args.requests)
        contact_edits.effective = lambda app=None: files
        results["files only, no database (before the change)"] = timed(client, "/help", args.requests)
    finally:
        contact_edits.effective = original
    base = results["cached (2 s recheck)"]
    for name, ms in results.items():
        print(f"{name:46s} {ms:6.2f} ms/page  x{ms / base:.2f}")
    print(f"RESULT help_contacts_uncached_vs_cached {results['no cache (read and build every request)'] / base:.2f} ratio")


if __name__ == "__main__":
    main()
