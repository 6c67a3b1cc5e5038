"""member actions and login slips (placeholder: filled by the members work of issue 16)

Revision ID: c16b00000002
Revises: c16a00000001
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16b00000002'
down_revision = 'c16a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
