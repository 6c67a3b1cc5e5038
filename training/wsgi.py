"""WSGI entry point for gunicorn: ``gunicorn 'training.wsgi:app'``."""
from __future__ import annotations

import sys

from training import ConfigurationError, create_app
from training.content import ContentInvalid
from training.database import DatabaseUnavailable

try:
    app = create_app()
except (DatabaseUnavailable, ConfigurationError, ContentInvalid) as exc:
    print(f"エラー: {exc}", file=sys.stderr)
    raise SystemExit(1) from None
