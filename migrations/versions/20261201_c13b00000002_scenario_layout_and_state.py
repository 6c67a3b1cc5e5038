"""scenario layout and state

Revision ID: c13b00000002
Revises: c13a00000001
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13b00000002'
down_revision = 'c13a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
