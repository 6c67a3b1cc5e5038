"""requests to talk

A trainee asks the owners of their class to contact them (「担当者から声をかけてほしい」).
``open_slot`` is TRUE while a request is open and NULL once a follow-up closes it; the unique
constraint on (user, class, open_slot) keeps one open request per person and class while
closed ones stay side by side (NULLs never clash), on SQLite and PostgreSQL alike.

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
    op.create_table('talk_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('open_slot', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notify_status', sa.String(length=16), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('followed_up_on', sa.Date(), nullable=True),
    sa.Column('followed_up_by_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_talk_request_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['followed_up_by_id'], ['user.id'], name=op.f('fk_talk_request_followed_up_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_talk_request_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_request')),
    sa.UniqueConstraint('user_id', 'cohort_id', 'open_slot', name=op.f('uq_talk_request_user_id_cohort_id_open_slot'))
    )
    with op.batch_alter_table('talk_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_request_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_request_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('talk_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_talk_request_cohort_id'))

    op.drop_table('talk_request')
