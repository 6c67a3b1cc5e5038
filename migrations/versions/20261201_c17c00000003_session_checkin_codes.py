"""QR check-in for in-person sessions (issue 17)

``session_checkin_request``: a QR check-in by a signed-in person who is not registered for the
session (who, first and last attempt, how many); listed on the instructor's roll call as
「受付で登録を求めた方」 until added. The codes themselves are not stored (an HMAC of the
session id and the minute, see training/inperson/qr.py).

Revision ID: c17c00000003
Revises: c17b00000002
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17c00000003'
down_revision = 'c17b00000002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'session_checkin_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id'],
                                name=op.f('fk_session_checkin_request_session_id_training_session'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_checkin_request_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_checkin_request')),
        sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_checkin_request_session_id_user_id')),
    )
    with op.batch_alter_table('session_checkin_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_checkin_request_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_checkin_request_user_id'), ['user_id'], unique=False)


def downgrade():
    """Removes the list of people who asked to be registered (attendance is not touched)."""
    op.drop_table('session_checkin_request')
