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
