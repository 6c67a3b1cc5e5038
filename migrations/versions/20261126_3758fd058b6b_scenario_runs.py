"""scenario runs

Revision ID: 3758fd058b6b
Revises: dedcb3281045
Create Date: 2026-11-26 20:52:07.092248

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '3758fd058b6b'
down_revision = 'dedcb3281045'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed autogenerate output.
    op.create_table('scenario_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=64), nullable=False),
    sa.Column('scenario_id', sa.String(length=64), nullable=False),
    sa.Column('content_version', sa.String(length=64), nullable=False),
    sa.Column('steps', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('history', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('current_node', sa.String(length=64), nullable=False),
    sa.Column('awaiting_feedback', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempt.id'], name=op.f('fk_scenario_run_attempt_id_quiz_attempt'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_scenario_run_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_run'))
    )
    with op.batch_alter_table('scenario_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_run_user_id'), ['user_id'], unique=False)



def downgrade():
    # Reviewed autogenerate output.
    with op.batch_alter_table('scenario_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_run_user_id'))

    op.drop_table('scenario_run')
