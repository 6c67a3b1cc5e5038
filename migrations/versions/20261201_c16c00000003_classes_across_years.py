"""classes across years (placeholder: filled by the class-year work of issue 16)

Revision ID: c16c00000003
Revises: c16b00000002
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16c00000003'
down_revision = 'c16b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
