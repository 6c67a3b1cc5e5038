"""refresher completions: a completion per cycle, with its fiscal year

A person may complete a course again when a class that does not count earlier completions
asks for it (issue 16). ``course_completion``, ``module_completion`` and ``survey_response``
get a ``cycle`` (1 for every existing row) that joins their unique constraint; both completion
tables get the ``fiscal_year`` (年度, JST) of ``completed_at``, filled for existing rows.

SQLite cannot change a unique constraint in place, so the three tables are copied
(batch_alter_table). ``certificate`` refers to ``course_completion`` (ON DELETE RESTRICT) and
with foreign keys on, SQLite's DROP of the old copy would be refused (or, for a cascading key,
would delete the rows that refer to it): the certificates are kept aside in a temporary table,
removed, and put back unchanged after the copy, all in the migration's transaction.

Revision ID: c16f00000006
Revises: c16e00000005
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c16f00000006'
down_revision = 'c16e00000005'
branch_labels = None
depends_on = None


def _fiscal_year_sql(dialect: str) -> str:
    """The 年度 of completed_at in JST: the year of (JST time - 3 months)."""
    if dialect == 'sqlite':
        return "CAST(strftime('%Y', completed_at, '+9 hours', '-3 months') AS INTEGER)"
    return "CAST(EXTRACT(YEAR FROM (completed_at AT TIME ZONE 'Asia/Tokyo') - INTERVAL '3 months') AS INTEGER)"


def _keep_certificates_aside(sqlite: bool):
    if sqlite:
        op.execute('CREATE TEMP TABLE _certificate_kept AS SELECT * FROM certificate')
        op.execute('DELETE FROM certificate')


def _put_certificates_back(sqlite: bool):
    if sqlite:
        op.execute('INSERT INTO certificate SELECT * FROM _certificate_kept')
        op.execute('DROP TABLE _certificate_kept')


def upgrade():
    dialect = op.get_bind().dialect.name
    sqlite = dialect == 'sqlite'
    fiscal_year = _fiscal_year_sql(dialect)
    for table in ('course_completion', 'module_completion'):
        op.add_column(table, sa.Column('cycle', sa.Integer(), server_default='1', nullable=False))
        op.add_column(table, sa.Column('fiscal_year', sa.Integer(), nullable=True))
        op.execute(f'UPDATE {table} SET fiscal_year = {fiscal_year}')
    op.add_column('survey_response', sa.Column('cycle', sa.Integer(), server_default='1', nullable=False))

    _keep_certificates_aside(sqlite)
    with op.batch_alter_table('course_completion', schema=None) as batch_op:
        batch_op.alter_column('fiscal_year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_course_completion_user_id_course_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_course_completion_user_id_course_id_cycle'),
                                          ['user_id', 'course_id', 'cycle'])
        batch_op.create_index(batch_op.f('ix_course_completion_fiscal_year'), ['fiscal_year'], unique=False)
    _put_certificates_back(sqlite)
    with op.batch_alter_table('module_completion', schema=None) as batch_op:
        batch_op.alter_column('fiscal_year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_module_completion_user_id_course_id_module_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_module_completion_user_id_course_id_module_id_cycle'),
                                          ['user_id', 'course_id', 'module_id', 'cycle'])
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_response_user_id_course_id_phase', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_survey_response_user_id_course_id_phase_cycle'),
                                          ['user_id', 'course_id', 'phase', 'cycle'])


def downgrade():
    """Keeps the first cycle only: later completions (and their certificates), module
    completions and survey answers of a refresher are removed."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute('DELETE FROM survey_response WHERE cycle > 1')
    op.execute('DELETE FROM module_completion WHERE cycle > 1')
    op.execute('UPDATE certificate SET reissue_of_id = NULL WHERE reissue_of_id IN (SELECT id FROM certificate '
               'WHERE course_completion_id IN (SELECT id FROM course_completion WHERE cycle > 1))')
    op.execute('DELETE FROM certificate WHERE course_completion_id IN '
               '(SELECT id FROM course_completion WHERE cycle > 1)')
    op.execute('DELETE FROM course_completion WHERE cycle > 1')
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_response_user_id_course_id_phase_cycle'), type_='unique')
        batch_op.create_unique_constraint('uq_survey_response_user_id_course_id_phase',
                                          ['user_id', 'course_id', 'phase'])
        batch_op.drop_column('cycle')
    with op.batch_alter_table('module_completion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_module_completion_user_id_course_id_module_id_cycle'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_module_completion_user_id_course_id_module_id',
                                          ['user_id', 'course_id', 'module_id'])
        batch_op.drop_column('fiscal_year')
        batch_op.drop_column('cycle')
    _keep_certificates_aside(sqlite)
    if sqlite:
        # The copy made by upgrade() holds department_id's key as a table constraint, which
        # c16d's downgrade (a native DROP COLUMN) cannot remove: the column is put back as
        # c16d added it, with an inline REFERENCES.
        op.execute('ALTER TABLE course_completion ADD COLUMN department_id_kept INTEGER')
        op.execute('UPDATE course_completion SET department_id_kept = department_id')
    reflect_args = [sa.Column('department_id', sa.Integer())] if sqlite else []
    with op.batch_alter_table('course_completion', schema=None, reflect_args=reflect_args) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_completion_fiscal_year'))
        batch_op.drop_constraint(batch_op.f('uq_course_completion_user_id_course_id_cycle'), type_='unique')
        batch_op.create_unique_constraint('uq_course_completion_user_id_course_id', ['user_id', 'course_id'])
        batch_op.drop_column('fiscal_year')
        batch_op.drop_column('cycle')
        if sqlite:
            batch_op.drop_column('department_id')
    if sqlite:
        op.execute('ALTER TABLE course_completion ADD COLUMN department_id INTEGER REFERENCES department (id)')
        op.execute('UPDATE course_completion SET department_id = department_id_kept')
        op.execute('ALTER TABLE course_completion DROP COLUMN department_id_kept')
    _put_certificates_back(sqlite)
