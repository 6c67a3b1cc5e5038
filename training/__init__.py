"""ゲートキーパー養成 e-ラーニング: the Flask application factory."""
from __future__ import annotations

import gc
import os
from pathlib import Path

from flask import Flask, redirect, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from training import clock, contact_edits, errors, security, text_input
from training.config import DEFAULT_SECRET, load_settings
from training.content import hours, load_checked
from training.database import check_connection, configure_sqlite, engine_options, track_engine
from training.extensions import csrf, db, login_manager
from training.integers import IdConverter
from training.audit import AUDIT_LABELS
from training.auth import sessions
from training.dates import format_date, format_datetime
from training.models import AUDIENCES, ROLES
from training.main.help_lines import lines_this_minute
from training.routing import RULE_CLASS
from training.templating import SHARED_TEMPLATE_CODE
from training.navigation import items_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration; the message is one line."""


#: Outside debug and testing a shorter SECRET_KEY is refused like a missing one (issue 12).
MIN_SECRET_KEY_BYTES = 32


def _key_bytes(key) -> bytes:
    """The secret key as bytes, the way itsdangerous uses it."""
    return key if isinstance(key, bytes) else str(key).encode("utf-8")


def create_app(test_config: dict | None = None, *, commands: bool = True) -> Flask:
    """Create the app: defaults, then environment, then ``test_config``.

    ``commands=False`` (the web server, training/wsgi.py) leaves out the ``training`` commands
    and Flask-Migrate, which a server never runs (tests/unit/test_lazy_imports.py)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.url_rule_class = RULE_CLASS  # URL builders compiled on first use (training/routing.py)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_settings(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    relaxed = bool(app.config.get("TESTING") or app.debug)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        # Plain-http local runs and the test client cannot send Secure cookies.
        app.config["SESSION_COOKIE_SECURE"] = not relaxed
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    # A short key can be guessed offline from one signed cookie: under 32 bytes counts as missing.
    if not relaxed and (app.config["SECRET_KEY"] in (DEFAULT_SECRET, "", None)
                        or len(_key_bytes(app.config["SECRET_KEY"])) < MIN_SECRET_KEY_BYTES):
        raise ConfigurationError(
            "SECRET_KEY が設定されていないか、32バイトより短い値です。環境変数 SECRET_KEY にランダムな値を"
            "設定してください（例: python -c 'import secrets; print(secrets.token_hex(32))'）。"
        )

    # Content is checked before anything else (it needs no database): invalid content stops the start.
    # Kept, checked, in the instance folder between starts (signed with the secret key).
    app.extensions["content"] = load_checked(app.config["CONTENT_ROOT"], Path(app.instance_path) / "cache",
                                             _key_bytes(app.config["SECRET_KEY"]))
    # The content graph lives as long as the process: move it out of the garbage collector's
    # way, so collections during big pages (a 1,000-trainee matrix) do not traverse it again.
    gc.freeze()
    _init_database(app, commands)
    _init_auth(app)
    csrf.init_app(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from training.admin import contact_routes  # noqa: F401 - adds the contact and directory views to admin_bp
    from training.admin import department_routes  # noqa: F401 - adds the department master views to admin_bp
    from training.admin import retention_routes  # noqa: F401 - adds /admin/retention to admin_bp
    from training.admin.routes import bp as admin_bp
    from training.auth.routes import bp as auth_bp
    from training.certificates.routes import bp as certificates_bp
    from training.learn import scenario_routes  # noqa: F401 - adds the scenario views to learn_bp
    from training.learn import quiz_routes  # noqa: F401 - adds the check quiz view to learn_bp
    from training.learn import checkin_routes  # noqa: F401 - adds the check-in view to learn_bp
    from training.learn.routes import bp as learn_bp
    from training.main.routes import bp as main_bp
    from training.records.api import bp as api_bp
    from training.records.routes import bp as records_bp
    from training.talk.routes import bp as talk_bp
    from training.teach import manage_routes  # noqa: F401 - adds the class management views to teach_bp
    from training.teach import people_routes  # noqa: F401 - adds the member search to teach_bp
    from training.teach import member_routes  # noqa: F401 - members, owners and login slips (issue 16)
    from training.teach import year_routes  # noqa: F401 - adds archive, delete and copy to teach_bp
    from training.teach import unfinished_routes  # noqa: F401 - 未修了者, reminders and the outbox (issue 16)
    from training.records import unfinished_routes as records_unfinished  # noqa: F401 - 未修了者 by department
    from training.inperson import routes as inperson_routes  # noqa: F401 - in-person sessions (issue 17)
    from training.inperson.checkin import bp as checkin_bp  # QR check-in (issue 17); also adds the QR page to teach_bp
    from training.jobs.routes import bp as jobs_bp  # background jobs (issue 18)
    from training.teach.join_routes import bp as join_bp
    from training.teach.routes import bp as teach_bp

    # Every <int:…> id is ASCII digits within the database INTEGER range, else 404 (issue 12);
    # set before the blueprints, whose rules pick their converters when they are added.
    app.url_map.converters["int"] = IdConverter
    for blueprint in (auth_bp, main_bp, learn_bp, teach_bp, join_bp, certificates_bp, records_bp, api_bp, admin_bp,
                      talk_bp, checkin_bp, jobs_bp):
        app.register_blueprint(blueprint)

    errors.register(app)
    security.register(app)
    text_input.register(app)

    @app.context_processor
    def _layout_context():
        user = current_user._get_current_object()
        # Routes are fixed once the first request is served (Flask forbids adding more).
        endpoints = app.extensions.get("nav_endpoints")
        if endpoints is None:
            endpoints = app.extensions["nav_endpoints"] = frozenset(app.view_functions)
        moment = clock.now()
        # The files' contacts with the ward's edits over them (cached per process, contact_edits).
        ward = contact_edits.effective(app)
        is_admin = getattr(user, "is_authenticated", False) and user.has_role("admin")
        return {
            "nav_items": items_for(user, endpoints),
            "help_contacts": ward.contacts,
            # The lines for this person, in order, each open now or not: computed per request in JST.
            "help_lines": lines_this_minute(ward.contacts, _audience_of(user), moment),
            # Admins: lines never verified by the ward, or verified more than 12 months ago.
            "contacts_needing_check": ward.needing_check(moment.date()) if is_admin else (),
            "help_checked_at": moment,
            "help_for_youth": _audience_of(user) == "high_school",
            "organisation_name": app.config["ORGANISATION_NAME"],
            "roles_labels": ROLES,
            "audience_labels": AUDIENCES,
            "audit_labels": AUDIT_LABELS,
        }

    app.add_template_filter(format_datetime, "datetime_ja")
    app.add_template_filter(format_date, "date_ja")
    app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CODE  # compiled once per process (training/templating.py)
    hours.HOLIDAY_CACHE = Path(app.instance_path) / "cache"  # a year's holiday dates (training/content/hours.py)
    SHARED_TEMPLATE_CODE.keep_on_disk(Path(app.instance_path) / "cache" / "templates", _key_bytes(app.config["SECRET_KEY"]))

    @app.before_request
    def _require_password_change():
        """A user with a temporary password may only change it (or sign out, or get help)."""
        allowed = {"auth.change_password", "auth.logout", "main.help_now", "static"}
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in allowed):
            return redirect(url_for("auth.change_password"))
        return None

    if commands:
        from training.cli import register_commands

        register_commands(app)
    return app


def _audience_of(user) -> str | None:
    """The signed-in trainee's audience; None for signed-out visitors (the general lines)."""
    return getattr(user, "audience", None) if getattr(user, "is_authenticated", False) else None


def _init_database(app: Flask, migrations: bool) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    options = engine_options(uri, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True, render_as_batch=True)
    with app.app_context():
        track_engine(db.engine)
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        if not app.config.get("SKIP_DATABASE_CHECK"):
            check_connection(db.engine, uri)


def _init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "このページを見るにはログインしてください。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(session_id: str):
        """Sessions are rows on the server (training.auth.sessions): one query checks the row and loads the user."""
        return sessions.load(session_id)
