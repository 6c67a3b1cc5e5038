"""requests to talk (placeholder: filled by the request-to-talk work of issue 15)

Revision ID: c15c00000003
Revises: c15b00000002
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15c00000003'
down_revision = 'c15b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
