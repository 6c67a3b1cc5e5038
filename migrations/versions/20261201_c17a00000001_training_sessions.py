"""in-person training sessions, attendance and the kind of a completion

Placeholder: filled in by the part of issue 17 that owns it.

Revision ID: c17a00000001
Revises: c16f00000006
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'c16f00000006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
