"""dashboard and API fixes (issue 17)

Placeholder: filled in by the part of issue 17 that owns it.

Revision ID: c17b00000002
Revises: c17a00000001
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17b00000002'
down_revision = 'c17a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
