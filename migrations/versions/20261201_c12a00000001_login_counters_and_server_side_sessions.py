"""login counters and server-side sessions

Revision ID: c12a00000001
Revises: 5e47678bcf13
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12a00000001'
down_revision = '5e47678bcf13'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
