"""refresher completions: a completion per fiscal year

Placeholder: filled in by the part of issue 16 that owns it.

Revision ID: c16f00000006
Revises: c16e00000005
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16f00000006'
down_revision = 'c16e00000005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
