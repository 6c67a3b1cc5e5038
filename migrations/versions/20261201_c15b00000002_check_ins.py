"""check-ins

One private answer to 「いまの気持ちは？」 per trainee, course and place (a scenario ending, a
module's end, a section), with the level (1-4), the class the trainee was in, and when. The
unique constraint keeps a double click from storing two rows; answering again replaces the
answer. Erased with the person by retention.

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
    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=160), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_check_in_cohort_id_cohort'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_check_in_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in')),
    sa.UniqueConstraint('user_id', 'course_id', 'place', name=op.f('uq_check_in_user_id_course_id_place'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_user_id'))
        batch_op.drop_index(batch_op.f('ix_check_in_course_id'))
        batch_op.drop_index(batch_op.f('ix_check_in_cohort_id'))

    op.drop_table('check_in')
