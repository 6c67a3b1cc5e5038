"""quiz sittings

Revision ID: c13a00000001
Revises: c12d00000004
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13a00000001'
down_revision = 'c12d00000004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
