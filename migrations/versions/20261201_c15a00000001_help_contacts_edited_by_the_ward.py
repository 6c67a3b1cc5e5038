"""help contacts edited by the ward

The content files stay the default for the help-now contacts and the directory; these tables
hold the ward's edits on top (``contact_edit``: only the fields that differ from the file, or
every field of a contact the ward added, and a hidden flag), every change with its old and new
values (``contact_revision``) and every 「確認しました」 (``contact_verification``: who, when,
against which source, with a snapshot of the line as it was checked).

Revision ID: c15a00000001
Revises: c13b00000002
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql



# revision identifiers, used by Alembic.
revision = 'c15a00000001'
down_revision = 'c13b00000002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'contact_edit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('target_id', sa.String(length=64), nullable=False),
        sa.Column('fields', JSON, nullable=False),
        sa.Column('added', sa.Boolean(), nullable=False),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_contact_edit_updated_by_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_edit')),
        sa.UniqueConstraint('kind', 'target_id', name=op.f('uq_contact_edit_kind_target_id')),
    )
    op.create_table(
        'contact_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('target_id', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('changes', JSON, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_contact_revision_actor_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_revision')),
    )
    with op.batch_alter_table('contact_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_revision_target_id'), ['target_id'], unique=False)
    op.create_table(
        'contact_verification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('source_url', sa.String(length=500), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('snapshot', JSON, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_contact_verification_actor_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_verification')),
    )
    with op.batch_alter_table('contact_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_verification_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_verification_contact_id'))
    op.drop_table('contact_verification')
    with op.batch_alter_table('contact_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_revision_target_id'))
    op.drop_table('contact_revision')
    op.drop_table('contact_edit')
