"""site settings and certificate revisions

Revision ID: d44fa5b20d59
Revises: 3758fd058b6b
Create Date: 2026-11-26 21:08:05.064659

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd44fa5b20d59'
down_revision = '3758fd058b6b'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed autogenerate output.
    op.create_table('site_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_setting'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        # Existing certificates are their first revision.
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('issuer_title', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('issuer_name', sa.String(length=100), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_certificate_fiscal_year_sequence'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_fiscal_year_sequence_revision'), ['fiscal_year', 'sequence', 'revision'])



def downgrade():
    # Reviewed autogenerate output.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificate_fiscal_year_sequence_revision'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_fiscal_year_sequence'), ['fiscal_year', 'sequence'])
        batch_op.drop_column('issuer_name')
        batch_op.drop_column('issuer_title')
        batch_op.drop_column('revision')

    op.drop_table('site_setting')
