"""Settings, read from the environment.

Order (as in flaskr): defaults here, then environment variables, then the test dict passed to
``create_app``. Every setting is listed in the README's configuration table.
"""
from __future__ import annotations

import os
from pathlib import Path

#: The value a developer might leave in place; the app refuses to run with it in production.
DEFAULT_SECRET = "dev-only-insecure-secret"

#: OWASP 2023 minimum for PBKDF2-HMAC-SHA256 is 600,000 iterations. Set explicitly so a
#: library default change can never silently weaken new hashes.
DEFAULT_PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"

_TRUE = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool | None) -> bool | None:
    """Read a boolean environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in _TRUE


def load_settings(instance_path: str) -> dict:
    """Return the settings dict from defaults and the environment."""
    instance = Path(instance_path)
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        # `make run` writes a random key here once, so a local run never uses a default.
        key_file = instance / "secret_key"
        secret = key_file.read_text().strip() if key_file.exists() else DEFAULT_SECRET
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'training.sqlite3'}"
    if database_url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy 2 only accepts the postgresql scheme.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000")),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", DEFAULT_PASSWORD_HASH_METHOD),
        # None: decided in create_app (on, except in debug and testing).
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", None),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", str(8 * 3600))),
        # The cookie is re-sent only when the session changes (the lifetime counts from sign-in).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "ORGANISATION_NAME": os.environ.get("ORGANISATION_NAME", "練馬区"),
        # Printed on certificates (the QR code's verification address); empty: the request's own host.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        "CONTENT_ROOT": os.environ.get("CONTENT_ROOT", str(Path(__file__).resolve().parent.parent)),
        # Reminder e-mail; without MAIL_SERVER reminders go to the class's outbox instead.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "no-reply@localhost"),
        # Background jobs (training/jobs, issue 18). Without REDIS_URL the queue is a SQLite file
        # in the instance folder's jobs/ directory (one machine); with it, Redis (several servers).
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Where job files (and the SQLite queue) go; empty: the instance folder's jobs/.
        "JOB_DIR": os.environ.get("JOB_DIR", ""),
        "JOB_FILE_DAYS": int(os.environ.get("JOB_FILE_DAYS", "7")),
        "JOB_STALE_SECONDS": float(os.environ.get("JOB_STALE_SECONDS", "120")),
        "JOB_MAX_ATTEMPTS": int(os.environ.get("JOB_MAX_ATTEMPTS", "3")),
        "JOB_WORKER_THREADS": int(os.environ.get("JOB_WORKER_THREADS", "2")),
        "JOB_QUEUE_IMMEDIATE": env_bool("JOB_QUEUE_IMMEDIATE", False),
        # Test-only slow-down between two items of a job (the SIGKILL test); 0 in production.
        "JOB_ITEM_DELAY_SECONDS": float(os.environ.get("JOB_ITEM_DELAY_SECONDS", "0")),
        # A class ZIP of up to this many certificates stays a direct download; more is a job.
        "CERTIFICATE_ZIP_DIRECT_MAX": int(os.environ.get("CERTIFICATE_ZIP_DIRECT_MAX", "20")),
        # ID通知書: a PDF of up to this many slips is a direct download; more is a job (350: ~20 s).
        "SLIP_PDF_DIRECT_MAX": int(os.environ.get("SLIP_PDF_DIRECT_MAX", "40")),
        # A completion export of more rows than this (CSV or XLSX) is a job; fewer: a direct download.
        "RECORDS_EXPORT_DIRECT_MAX": int(os.environ.get("RECORDS_EXPORT_DIRECT_MAX", "10000")),
        # Reminders by SMTP to more people than this are sent by a job (progress, cancel); fewer: in the request.
        "REMINDER_DIRECT_MAX": int(os.environ.get("REMINDER_DIRECT_MAX", "10")),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; sessions expire on their own
    }
