"""dashboard fixes: course_completion.updated_at for the API's updated_since

``updated_at`` is when a completion, as the API shows it, last changed: the completion recorded,
its certificate issued, reissued or revoked, or its department snapshot corrected or mapped.
Existing rows are filled with the latest of their completion time and their certificates'
issue and revocation times (the changes that can be told from the data). NOT NULL, indexed
for incremental sync. Added in place (no table copy on SQLite).

Revision ID: c17b00000002
Revises: c17a00000001
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17b00000002'
down_revision = 'c17a00000001'
branch_labels = None
depends_on = None


def upgrade():
    # No table copy (batch mode): on SQLite, copying course_completion would trip over the
    # certificates that refer to it (see c16f00000006). ADD COLUMN NOT NULL needs a constant
    # default there; every row is filled at once, and the app always sets the value.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column('course_completion', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                                 server_default='1970-01-01 00:00:00'))
    op.execute("UPDATE course_completion SET updated_at = completed_at")
    for column in ('issued_at', 'revoked_at'):
        later = (f"FROM certificate c WHERE c.course_completion_id = course_completion.id "
                 f"AND c.{column} > course_completion.updated_at")
        op.execute(f"UPDATE course_completion SET updated_at = (SELECT MAX(c.{column}) {later}) "
                   f"WHERE EXISTS (SELECT 1 {later})")
    if not sqlite:
        op.alter_column('course_completion', 'updated_at', server_default=None)
    op.create_index(op.f('ix_course_completion_updated_at'), 'course_completion', ['updated_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_course_completion_updated_at'), table_name='course_completion')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE course_completion DROP COLUMN updated_at')  # native since SQLite 3.35
    else:
        op.drop_column('course_completion', 'updated_at')
