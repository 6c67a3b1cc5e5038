"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py`` (``training.wsgi:app``)."""
from __future__ import annotations

import sys

from training import ConfigurationError, create_app
from training.content import ContentInvalid
from training.database import DatabaseUnavailable, close_before_fork

try:
    app = create_app(commands=False)
except (DatabaseUnavailable, ConfigurationError, ContentInvalid) as exc:
    print(f"エラー: {exc}", file=sys.stderr)
    raise SystemExit(1) from None


def warm_up() -> None:
    """Do once, in the master, the work every worker's first requests would do: load every
    page template (compiled code from the instance folder's cache, training/templating.py),
    serve the sign-in page, and run the session check once (SQLAlchemy compiles its query).
    The workers then share the result copy-on-write instead of each building its own copy."""
    for name in app.jinja_env.list_templates(extensions=["html"]):
        if name != "certificates/template.html":  # the PDF layout: WeasyPrint's own environment
            app.jinja_env.get_template(name)
    app.test_client().get("/login")
    from training.auth import sessions

    with app.test_request_context("/"):
        sessions.load("0:warm-up")


def before_fork() -> None:
    """gunicorn.conf.py's ``when_ready``: the master loaded the app (``preload_app``) and
    serves no request itself. It warms up, then closes its database connections, so no worker
    inherits a socket to the database (each opens its own)."""
    warm_up()
    close_before_fork()
