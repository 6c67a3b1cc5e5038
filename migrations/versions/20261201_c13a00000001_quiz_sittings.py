"""quiz sittings

Revision ID: c13a00000001
Revises: c12b00000002
Create Date: 2026-12-01 10:00:00

A check quiz's page draws its questions and option orders once per attempt and keeps them in
a sitting (quiz_sitting) until the form is submitted; the attempt keeps a copy (layout).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'c13a00000001'
down_revision = 'c12b00000002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    # Reviewed autogenerate output. The new column is nullable (attempts stored before layouts
    # existed, and scenario runs, have none), so no backfill; batch mode for SQLite's ALTER.
    op.create_table('quiz_sitting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=64), nullable=False),
    sa.Column('quiz_id', sa.String(length=64), nullable=False),
    sa.Column('content_version', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('layout', JSON, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quiz_sitting_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_sitting')),
    sa.UniqueConstraint('token', name=op.f('uq_quiz_sitting_token'))
    )
    with op.batch_alter_table('quiz_sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_sitting_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', JSON, nullable=True))


def downgrade():
    # Reviewed autogenerate output. Open sittings are lost: their trainees see a newly drawn
    # quiz page; submitted attempts keep their answers (by choice id) and scores.
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_column('layout')
    with op.batch_alter_table('quiz_sitting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_sitting_user_id'))
    op.drop_table('quiz_sitting')
