"""member actions and login slips

Adds ``slip_batch``: the login slips (ID通知書) of one roster import or password reset,
kept encrypted until the PDF and the CSV have each been downloaded once, or for 24 hours.
Member actions (remove, move, edit, reset) need no new columns.

Revision ID: c16b00000002
Revises: c16a00000001
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16b00000002'
down_revision = 'c16a00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('slip_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pdf_downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('csv_downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_slip_batch_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_slip_batch_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slip_batch'))
    )
    with op.batch_alter_table('slip_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slip_batch_cohort_id'), ['cohort_id'], unique=False)


def downgrade():
    with op.batch_alter_table('slip_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slip_batch_cohort_id'))
    op.drop_table('slip_batch')
