"""attempt numbers (no schema change)

max_attempts under parallel submissions is held by a row lock, not by numbered attempts: the
quiz view takes SELECT … FOR UPDATE on the user's row before counting (training/learn/routes.py,
issue 12). This revision stays empty so the chain of issue-12 placeholders keeps its order.

Revision ID: c12d00000004
Revises: c12c00000003
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12d00000004'
down_revision = 'c12c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
