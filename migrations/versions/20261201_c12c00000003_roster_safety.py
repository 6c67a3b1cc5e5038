"""roster safety

Revision ID: c12c00000003
Revises: c12b00000002
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12c00000003'
down_revision = 'c12b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
