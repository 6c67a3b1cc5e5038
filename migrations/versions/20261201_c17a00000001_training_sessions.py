"""in-person training sessions, attendance and the kind of a completion

Issue 17: ``training_session`` (集合研修: course, date and JST times, venue, capacity,
lecturer, mode in_person | blended, an optional linked class), ``session_owner`` (creator and
co-owners) and ``session_participant`` (registration, attendance status, role-play items
observed, the completion the attendance recorded). ``course_completion`` gets ``kind``
(elearning | in_person | blended), NOT NULL with the server default 'elearning', so every
existing row is an e-learning completion.

Revision ID: c17a00000001
Revises: c16f00000006
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'c16f00000006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    # A plain ADD COLUMN with a constant default works in place on both databases (no table copy,
    # so the certificates that refer to course_completion are untouched).
    op.add_column('course_completion', sa.Column('kind', sa.String(length=16), server_default='elearning',
                                                 nullable=False))
    op.create_table(
        'training_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('course_id', sa.String(length=64), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('starts_at', sa.Time(), nullable=False),
        sa.Column('ends_at', sa.Time(), nullable=False),
        sa.Column('venue', sa.String(length=200), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('lecturer', sa.String(length=100), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_training_session_cohort_id_cohort'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session')),
    )
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_held_on'), ['held_on'], unique=False)
    op.create_table(
        'session_owner',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id'],
                                name=op.f('fk_session_owner_session_id_training_session'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_owner_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_owner')),
        sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_owner_session_id_user_id')),
    )
    with op.batch_alter_table('session_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_owner_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_owner_user_id'), ['user_id'], unique=False)
    op.create_table(
        'session_participant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=True),
        sa.Column('left_early_confirmed', sa.Boolean(), nullable=False),
        sa.Column('roleplay', JSON, nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('marked_by_id', sa.Integer(), nullable=True),
        sa.Column('completion_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['completion_id'], ['course_completion.id'],
                                name=op.f('fk_session_participant_completion_id_course_completion'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['marked_by_id'], ['user.id'], name=op.f('fk_session_participant_marked_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id'],
                                name=op.f('fk_session_participant_session_id_training_session'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_participant_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_participant')),
        sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_participant_session_id_user_id')),
    )
    with op.batch_alter_table('session_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_participant_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_participant_user_id'), ['user_id'], unique=False)


def downgrade():
    """Removes the sessions and their attendance; in-person and blended completions stay as
    completions (the kind column goes; their certificates keep referring to them)."""
    op.drop_table('session_participant')
    op.drop_table('session_owner')
    op.drop_table('training_session')
    # A native DROP COLUMN (SQLite 3.35+): a batch copy of course_completion would be refused
    # for the certificates that refer to it (see c16f00000006).
    op.drop_column('course_completion', 'kind')
