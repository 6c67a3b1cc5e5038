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
