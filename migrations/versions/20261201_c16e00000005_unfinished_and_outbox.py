"""who has not finished: reminder target and outbox marked sent

Placeholder: filled in by the part of issue 16 that owns it.

Revision ID: c16e00000005
Revises: c16d00000004
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16e00000005'
down_revision = 'c16d00000004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
