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
    serve the sign-in page, run the session check and the learning-records query once
    (SQLAlchemy compiles them), render every lesson text, and serve a trainee's home, course
    and pre-survey pages once (Python specialises the code they run).
    The workers then share the result copy-on-write instead of each building its own copy."""
    for name in app.jinja_env.list_templates(extensions=["html"]):
        if name != "certificates/template.html":  # the PDF layout: WeasyPrint's own environment
            app.jinja_env.get_template(name)
    app.test_client().get("/login")
    from training.auth import sessions
    from training.learn.progress import course_progress, load_records
    from training.learn.routes import section_article

    content = app.extensions["content"]
    with app.test_request_context("/"):
        sessions.load("0:warm-up")
        # Every lesson text rendered once (routes.section_article keeps it), and a course's
        # progress computed once for nobody (user id 0 has no records): read-only.
        for course in content.courses:
            course_progress(course, content, load_records(0, course.id))
            for number, module_id in enumerate(course.modules, 1):
                module = content.module(module_id)
                sections = module.sections_for(course.audience)
                for index in range(len(sections)):
                    section_article(course, module, sections, index, number)
    # A trainee's pages as nobody: a user object never stored (id 0 has no rows), so every read
    # finds nothing and nothing is written: home, each course's overview and its pre-survey.
    from flask_login import login_user
    from training.models import User, UserRole

    for course in content.courses:
        nobody = User(id=0, login_id="warm-up", display_name="warm-up", audience=course.audience, active=True,
                      must_change_password=False)
        nobody.role_rows = [UserRole(role="trainee")]
        for path in ("/", f"/learn/{course.id}", f"/learn/{course.id}/survey/pre"):
            with app.test_request_context(path):
                login_user(nobody)
                status = app.full_dispatch_request().status_code
                if status != 200:
                    raise RuntimeError(f"warm-up: {path} answered {status}")


def before_fork() -> None:
    """gunicorn.conf.py's ``when_ready``: the master loaded the app (``preload_app``) and
    serves no request itself. It warms up, then closes its database connections, so no worker
    inherits a socket to the database (each opens its own). A warm-up that fails (a database
    not yet migrated) is logged and the start goes on: the workers then do that work themselves."""
    try:
        warm_up()
    except Exception:  # noqa: BLE001 - an optimisation must not stop the start
        app.logger.warning("準備処理（ウォームアップ）に失敗しました。起動は続けます。", exc_info=True)
        from training.extensions import db

        with app.app_context():
            db.session.remove()
    close_before_fork()
