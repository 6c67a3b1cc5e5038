"""reminder batches

Each reminder remembers the batch (the form) it was sent from; one person has at most one
reminder per batch, so a resubmitted form or a retry after a timeout never mails them twice.

Revision ID: c12b00000002
Revises: c12a00000001
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12b00000002'
down_revision = 'c12a00000001'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed autogenerate output. Batch mode: SQLite adds a constraint by copying the table.
    # Existing rows get no batch key (NULLs never clash with each other or with new rows).
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_reminder_batch_key_user_id'), ['batch_key', 'user_id'])


def downgrade():
    # Reviewed autogenerate output. The batch keys are dropped; the reminders stay.
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_reminder_batch_key_user_id'), type_='unique')
        batch_op.drop_column('batch_key')
