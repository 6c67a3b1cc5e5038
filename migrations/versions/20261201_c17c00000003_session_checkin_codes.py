"""QR check-in for in-person sessions (issue 17)

Placeholder: filled in by the part of issue 17 that owns it.

Revision ID: c17c00000003
Revises: c17b00000002
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17c00000003'
down_revision = 'c17b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
