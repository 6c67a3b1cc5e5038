"""who has not finished: reminder target and outbox marked sent

Each reminder stores what it asked for (``target_key``: a course id, or course/module), so
that a second reminder about the same thing within 24 hours asks for confirmation first and
the list of those not finished shows when each person was last reminded. An outbox reminder
(recorded when no mail server is set) can be marked as sent by other means: when
(``marked_sent_at``) and by whom (``marked_sent_by_id``). All three are nullable: rows from
before this revision have no target (they count for every target of their class).

Revision ID: c16e00000005
Revises: c16d00000004
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16e00000005'
down_revision = 'c16d00000004'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot ALTER a table in place. No table refers to reminder, so the
    # batch copy of it drops nothing else.
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_key', sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column('marked_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('marked_sent_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reminder_marked_sent_by_id_user'), 'user',
                                    ['marked_sent_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reminder_marked_sent_by_id_user'), type_='foreignkey')
        batch_op.drop_column('marked_sent_by_id')
        batch_op.drop_column('marked_sent_at')
        batch_op.drop_column('target_key')
