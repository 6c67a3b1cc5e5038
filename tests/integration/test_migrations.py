"""Alembic migrations are the only source of the schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from training.extensions import db
from training.models import Base


def test_models_match_the_migrations(app):
    """No model change may land without its migration."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_migration_files_are_dated():
    from pathlib import Path
    import re

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names
    assert all(re.match(r"^\d{8}_[0-9a-f]+_\w+\.py$", n) for n in names), names


def test_people_search_keys_are_back_filled(app):
    """c16a00000001 fills the keys of existing users and keeps the rows that refer to them."""
    import datetime as dt

    import sqlalchemy as sa

    users = sa.table("user", sa.column("id", sa.Integer), sa.column("login_id", sa.String),
                     sa.column("display_name", sa.String), sa.column("name_kana", sa.String),
                     sa.column("password_hash", sa.String), sa.column("employee_no", sa.String),
                     sa.column("active", sa.Boolean), sa.column("must_change_password", sa.Boolean),
                     sa.column("session_token", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
    roles = sa.table("user_role", sa.column("user_id", sa.Integer), sa.column("role", sa.String))
    with app.app_context():
        downgrade(revision="c15c00000003")
        with db.engine.begin() as connection:
            connection.execute(users.insert().values(
                id=1, login_id="T004513", display_name="髙橋 一郎", name_kana="たかはし", password_hash="!",
                employee_no="004513", active=True, must_change_password=False, session_token="x",
                created_at=dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)))
            connection.execute(roles.insert().values(user_id=1, role="trainee"))
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(sa.text('SELECT search_key, employee_no_digits FROM "user"')).one()
            kept = connection.execute(sa.text("SELECT count(*) FROM user_role")).scalar()
    assert row == ("高橋一郎\nタカハシ\nt004513\n004513", "4513") and kept == 1


def test_refresher_migration_fills_fiscal_years_and_keeps_certificates(app):
    """c16f00000006 gives each completion its 年度 (JST) and cycle 1, copying the tables on
    SQLite without losing the certificates that refer to them."""
    import datetime as dt

    import sqlalchemy as sa

    with app.app_context():
        downgrade(revision="c16e00000005")
        sqlite = db.engine.dialect.name == "sqlite"

        def when(text: str):
            """UTC: SQLite's stored text, or an aware datetime for PostgreSQL."""
            return text if sqlite else dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)

        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO \"user\" (id, login_id, display_name, password_hash, active, must_change_password, "
                "session_token, created_at, search_key) VALUES (1, 't1', '受講 一郎', '!', :t, :f, 'x', :at, 'k')"),
                {"t": True, "f": False, "at": when("2026-04-01 00:00:00")})
            # 2027-03-31 23:30 JST is FY2026; 2027-04-01 00:10 JST is FY2027.
            for cid, course, at in ((1, "counter-staff", "2027-03-31 14:30:00"),
                                    (2, "teachers", "2027-03-31 15:10:00")):
                connection.execute(sa.text(
                    "INSERT INTO course_completion (id, user_id, course_id, score, content_version, completed_at) "
                    "VALUES (:id, 1, :course, 90, 'v', :at)"), {"id": cid, "course": course, "at": when(at)})
                connection.execute(sa.text(
                    "INSERT INTO module_completion (user_id, course_id, module_id, score, content_version, "
                    "completed_at) VALUES (1, :course, 'm', 90, 'v', :at)"), {"course": course, "at": when(at)})
            connection.execute(sa.text(
                "INSERT INTO certificate (id, serial, fiscal_year, sequence, revision, verification_code, user_id, "
                "course_completion_id, course_id, recipient_name, course_title, audience, completed_on, "
                "content_version, issued_at) VALUES (1, 'GK2026-00001', 2026, 1, 1, 'CODE', 1, 1, 'counter-staff', "
                "'受講 一郎', '講座', 'counter_staff', :day, 'v', :at)"),
                {"day": dt.date(2027, 3, 31), "at": when("2027-03-31 14:30:00")})
        upgrade()
        with db.engine.connect() as connection:
            years = connection.execute(sa.text(
                "SELECT course_id, fiscal_year, cycle FROM course_completion ORDER BY id")).all()
            module_years = connection.execute(sa.text(
                "SELECT fiscal_year FROM module_completion ORDER BY id")).scalars().all()
            kept = connection.execute(sa.text("SELECT course_completion_id FROM certificate")).scalars().all()
    assert [tuple(row) for row in years] == [("counter-staff", 2026, 1), ("teachers", 2027, 1)]
    assert module_years == [2026, 2027] and kept == [1]


def test_job_results_move_out_of_the_params_and_back(app):
    """c18b00000002 moves a no-file job's ``params["result"]`` into ``job.result``; downgrade puts it back."""
    import datetime as dt
    import json

    import sqlalchemy as sa

    with app.app_context():
        downgrade(revision="c18a00000001")
        sqlite = db.engine.dialect.name == "sqlite"
        at = "2026-12-01 00:00:00" if sqlite else dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO \"user\" (id, login_id, display_name, password_hash, active, must_change_password, "
                "session_token, created_at, search_key) VALUES (1, 'a1', '管理 一郎', '!', :t, :f, 'x', :at, 'k')"),
                {"t": True, "f": False, "at": at})
            for job_id, params in ((1, {"years": 5, "result": {"erased": 2, "due": 3}}), (2, {"cohort_id": 7})):
                connection.execute(sa.text(
                    "INSERT INTO job (id, kind, owner_id, title, params, status, done_items, attempts, created_at, "
                    "queued_at) VALUES (:id, 'retention', 1, '削除', :params, 'cancelled', 2, 1, :at, :at)"),
                    {"id": job_id, "params": json.dumps(params), "at": at})

        def rows():
            jobs = sa.table("job", sa.column("id"), sa.column("params", sa.JSON), sa.column("result", sa.JSON))
            with db.engine.connect() as connection:
                return [tuple(r) for r in connection.execute(sa.select(jobs.c.params, jobs.c.result).order_by(jobs.c.id))]

        upgrade()
        assert rows() == [({"years": 5}, {"erased": 2, "due": 3}), ({"cohort_id": 7}, None)]
        downgrade(revision="c18a00000001")
        with db.engine.connect() as connection:
            params = [json.loads(p) if isinstance(p, str) else p
                      for p in connection.execute(sa.text("SELECT params FROM job ORDER BY id")).scalars()]
        assert params == [{"years": 5, "result": {"erased": 2, "due": 3}}, {"cohort_id": 7}]
        upgrade()
