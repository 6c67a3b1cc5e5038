"""people search keys (placeholder: filled by the search work of issue 16)

Revision ID: c16a00000001
Revises: c15c00000003
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16a00000001'
down_revision = 'c15c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
