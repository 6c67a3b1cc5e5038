"""scenario layout and state

Each scenario run stores the order its options are shown in (``layout``, drawn when the run
starts) and the values the scenario remembers (``state``). Both are nullable: a run started
before this revision has neither, and the player asks the trainee to start it again.

Revision ID: c13b00000002
Revises: c13a00000001
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'c13b00000002'
down_revision = 'c13a00000001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    # Batch mode: SQLite cannot ALTER a table in place.
    with op.batch_alter_table('scenario_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', JSON, nullable=True))
        batch_op.add_column(sa.Column('state', JSON, nullable=True))


def downgrade():
    with op.batch_alter_table('scenario_run', schema=None) as batch_op:
        batch_op.drop_column('state')
        batch_op.drop_column('layout')
