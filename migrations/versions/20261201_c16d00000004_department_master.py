"""department master (placeholder: filled by the department work of issue 16)

Revision ID: c16d00000004
Revises: c16c00000003
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16d00000004'
down_revision = 'c16c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
