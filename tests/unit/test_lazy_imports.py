"""The web server's start stays light (issue 18, memory and cold start).

gunicorn's master imports ``training.wsgi`` once and forks its workers from it; what that
import loads is what every worker carries. Libraries used by a few pages only (WeasyPrint for
certificates, XlsxWriter for exports, the QR encoder, password scoring, e-mail address checks,
Alembic for migrations, the holidays library once a year's dates are cached) are imported
where they are used. A start also leaves the checked content, the compiled templates and the
year's holidays in the instance folder's cache, so the next start reuses them.
"""
from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Never imported by starting the web app (each is imported where it is used).
LAZY = ("weasyprint", "xlsxwriter", "openpyxl", "PIL", "segno", "zxcvbn", "email_validator", "alembic",
        "flask_migrate", "fontTools", "pydyf", "training.cli", "training.certificates.pdf")

START = """
import json, sys
import training.wsgi as wsgi
wsgi.warm_up()
print(json.dumps(sorted(sys.modules)))
"""
# (warm_up raises here if it fails; gunicorn's before_fork logs it and starts anyway.)


def _start(tmp_path, database_url) -> set[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "FLASK_"))}
    env.update(SECRET_KEY="lazy-imports-secret-" + "x" * 20, INSTANCE_PATH=str(tmp_path),
               DATABASE_URL=database_url, SESSION_COOKIE_SECURE="false")
    done = subprocess.run([sys.executable, "-c", START], env=env, cwd=str(ROOT), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


#: Only when nothing is cached yet: the content parser (YAML, Markdown, the checks) and holidays.
FIRST_START_ONLY = ("yaml", "markdown_it", "training.content.loader", "training.content.checks", "holidays")


def _loaded(names, modules) -> list[str]:
    return sorted(name for name in names if name in modules or any(m.startswith(name + ".") for m in modules))


def test_starting_the_web_app_leaves_heavy_libraries_unloaded_and_fills_the_cache(tmp_path, database_url):
    # The run's migrated database (read only: the warm-up signs nobody in and writes nothing).
    first = _start(tmp_path, database_url)
    assert "training.wsgi" in first and "flask" in first
    assert _loaded(LAZY, first) == [], "imported at start-up"
    assert _loaded(FIRST_START_ONLY, first) == sorted(FIRST_START_ONLY)  # parsed, checked, dates computed
    cache = tmp_path / "cache"
    assert len(list(cache.glob("content-*.pickle"))) == 1
    assert len(list((cache / "templates").glob("*.code"))) > 50  # every page template, compiled once
    assert list(cache.glob("holidays-JP-*.json"))
    # A restart reads all three from the cache.
    again = _start(tmp_path, database_url)
    assert _loaded(LAZY + FIRST_START_ONLY, again) == [], "imported at a restart"


def test_the_production_settings_preload_the_app_and_close_connections_before_fork():
    import gc

    try:
        settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        assert not gc.isenabled()  # no collections while the master loads the app (when_ready: on again)
    finally:
        gc.enable()
    assert settings["wsgi_app"] == "training.wsgi:app"
    assert settings["preload_app"] is True and settings["workers"] == 4
    assert "timeout" not in settings  # gunicorn's default 30 s: long work runs as jobs
    assert callable(settings["when_ready"])


def test_a_cached_file_not_signed_with_this_key_is_ignored(tmp_path):
    from training.content import _read_disk, _write_disk

    path = tmp_path / "content-x.pickle"
    _write_disk(tmp_path, path, {"any": "picklable"}, b"the-key")
    assert _read_disk(path, b"the-key") == {"any": "picklable"}
    assert _read_disk(path, b"another-key") is None
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert _read_disk(path, b"the-key") is None  # altered after writing: parsed again instead


def test_the_content_cache_key_follows_every_file_and_the_code(tmp_path, monkeypatch):
    from training.content import _disk_key, _fingerprint

    fingerprint = _fingerprint(ROOT)
    key = _disk_key(ROOT, fingerprint)
    assert len(fingerprint) > 20 and _disk_key(ROOT, fingerprint) == key  # stable for the same files
    (path, mtime, size), rest = fingerprint[0], fingerprint[1:]
    assert _disk_key(ROOT, ((path, mtime + 1, size), *rest)) != key  # a content file rewritten
    assert _disk_key(ROOT, ((path, mtime, size + 1), *rest)) != key  # or grown
    assert _disk_key(ROOT, rest) != key  # or removed
    # A module of the app changed (the parser, or a class the pickle refers to): a new key too.
    # (A stand-in for the app's code folder, so that no real module is touched.)
    import training.content as content_package

    code = tmp_path / "code"
    code.mkdir()
    module = code / "model.py"
    module.write_text("x = 1\n")
    monkeypatch.setattr(content_package, "_CODE_ROOT", code)
    before = _disk_key(ROOT, fingerprint)
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _disk_key(ROOT, fingerprint) != before
