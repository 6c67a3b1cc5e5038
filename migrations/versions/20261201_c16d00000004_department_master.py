"""department master

Adds the department master (``department``, ``department_successor`` for renames, merges and
splits), ``user.department_id``, and the department and audience snapshot of each course
completion. No department is created: the ward has no master yet. Each existing completion
gets the department text and audience of its user as they stand now (the best there is);
the admin page 所属の対応づけ then links the free-text values to master departments.

Revision ID: c16d00000004
Revises: c16c00000003
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16d00000004'
down_revision = 'c16c00000003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('valid_from_fy', sa.Integer(), nullable=True),
    sa.Column('valid_to_fy', sa.Integer(), nullable=True),
    sa.Column('staff_count', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('department_successor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('from_fy', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['predecessor_id'], ['department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['department.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('predecessor_id', 'successor_id')
    )
    with op.batch_alter_table('department_successor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_successor_predecessor_id'), ['predecessor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_successor_successor_id'), ['successor_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # Native ADD COLUMN with an inline REFERENCES: a batch copy of "user" or
        # "course_completion" would drop the old table, and with foreign keys on that DROP
        # deletes every row that refers to it (roles, sessions, certificates).
        op.execute('ALTER TABLE "user" ADD COLUMN department_id INTEGER '
                   'REFERENCES department (id)')
        op.execute('ALTER TABLE course_completion ADD COLUMN department_id INTEGER '
                   'REFERENCES department (id)')
        op.add_column('course_completion', sa.Column('department_name', sa.String(length=100), nullable=True))
        op.add_column('course_completion', sa.Column('audience', sa.String(length=32), nullable=True))
    else:
        op.add_column('user', sa.Column('department_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_user_department_id', 'user', 'department', ['department_id'], ['id'])
        op.add_column('course_completion', sa.Column('department_id', sa.Integer(), nullable=True))
        op.add_column('course_completion', sa.Column('department_name', sa.String(length=100), nullable=True))
        op.add_column('course_completion', sa.Column('audience', sa.String(length=32), nullable=True))
        op.create_foreign_key('fk_course_completion_department_id', 'course_completion', 'department',
                              ['department_id'], ['id'])
    op.create_index('ix_user_department_id', 'user', ['department_id'], unique=False)
    # Snapshot: each completion takes its user's department text and audience as they are now.
    op.execute(
        'UPDATE course_completion SET '
        'department_name = (SELECT "user".department FROM "user" WHERE "user".id = course_completion.user_id), '
        'audience = (SELECT "user".audience FROM "user" WHERE "user".id = course_completion.user_id)')


def downgrade():
    op.drop_index('ix_user_department_id', table_name='user')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_course_completion_department_id', 'course_completion', type_='foreignkey')
        op.drop_constraint('fk_user_department_id', 'user', type_='foreignkey')
    # SQLite: native DROP COLUMN (3.35+), for the reason given in upgrade().
    for column in ('audience', 'department_name', 'department_id'):
        op.drop_column('course_completion', column)
    op.drop_column('user', 'department_id')
    with op.batch_alter_table('department_successor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_successor_successor_id'))
        batch_op.drop_index(batch_op.f('ix_department_successor_predecessor_id'))
    op.drop_table('department_successor')
    op.drop_table('department')
