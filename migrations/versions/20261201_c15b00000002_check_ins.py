"""check-ins (placeholder: filled by the check-in work of issue 15)

Revision ID: c15b00000002
Revises: c15a00000001
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15b00000002'
down_revision = 'c15a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
