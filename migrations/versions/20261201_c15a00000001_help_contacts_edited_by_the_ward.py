"""help contacts edited by the ward (placeholder: filled by the contacts work of issue 15)

Revision ID: c15a00000001
Revises: c13b00000002
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15a00000001'
down_revision = 'c13b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
