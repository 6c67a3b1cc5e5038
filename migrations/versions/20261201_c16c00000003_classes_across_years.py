"""classes across years: each class decides whether completions from before its start count

``cohort.counts_earlier_completions`` (default false): a class counts only completions made on
or after its start (``starts_on``, else 1 April of its fiscal year), so a yearly refresher
class asks for the course again. Existing classes get false as well; archiving uses the
existing ``cohort.archived`` column.

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
    # Batch mode: SQLite cannot ALTER a table in place.
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts_earlier_completions', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('counts_earlier_completions')
