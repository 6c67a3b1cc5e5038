"""attempt numbers

Revision ID: c12d00000004
Revises: c12c00000003
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12d00000004'
down_revision = 'c12c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
