"""people search keys

Each user gets ``search_key`` (name, kana, login id and employee number folded: NFKC, kana
and variant kanji, see training/text_fold.py) and ``employee_no_digits`` (the employee number
without leading zeros), both indexed. Existing rows are filled here, in Python, 500 at a time,
with the same fold the application uses on every later write.

Revision ID: c16a00000001
Revises: c15c00000003
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa

from training.text_fold import SEARCH_KEY_LENGTH, number_key, search_key


# revision identifiers, used by Alembic.
revision = 'c16a00000001'
down_revision = 'c15c00000003'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    # Batch mode, though SQLite adds columns and indexes in place here: the table is not copied
    # (copying "user" with foreign keys on would cascade its DROP to every child row).
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.String(length=SEARCH_KEY_LENGTH), nullable=True))
        batch_op.add_column(sa.Column('employee_no_digits', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_search_key'), ['search_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_employee_no_digits'), ['employee_no_digits'], unique=False)

    connection = op.get_bind()
    users = sa.table('user', sa.column('id', sa.Integer), sa.column('display_name', sa.String),
                     sa.column('name_kana', sa.String), sa.column('login_id', sa.String),
                     sa.column('employee_no', sa.String), sa.column('search_key', sa.String),
                     sa.column('employee_no_digits', sa.String))
    change = (sa.update(users).where(users.c.id == sa.bindparam('row_id'))
              .values(search_key=sa.bindparam('key'), employee_no_digits=sa.bindparam('digits')))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.display_name, users.c.name_kana, users.c.login_id, users.c.employee_no)
            .where(users.c.id > last_id).order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(change, [
            {'row_id': row.id, 'key': search_key(row.display_name, row.name_kana, row.login_id, row.employee_no),
             'digits': number_key(row.employee_no)} for row in rows])
        last_id = rows[-1].id


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Native DROP COLUMN (SQLite 3.35+): a batch copy of "user" would drop the old table,
        # and with foreign keys on that DROP deletes every row that refers to a user.
        op.drop_index('ix_user_employee_no_digits', table_name='user')
        op.drop_index('ix_user_search_key', table_name='user')
        op.execute('ALTER TABLE "user" DROP COLUMN employee_no_digits')
        op.execute('ALTER TABLE "user" DROP COLUMN search_key')
        return
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_employee_no_digits'))
        batch_op.drop_index(batch_op.f('ix_user_search_key'))
        batch_op.drop_column('employee_no_digits')
        batch_op.drop_column('search_key')
