"""Background jobs (issue 18): placeholder, filled in by the jobs branch.

Revision ID: c18a00000001
Revises: c17c00000003
Create Date: 2026-12-01 20:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'c18a00000001'
down_revision = 'c17c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
