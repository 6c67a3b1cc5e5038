"""job result: a job's output in its own column

``job.result`` (JSON, nullable): what a run of a job without a file did (reminders: sent and
failed; a retention run: erased of due), written by the worker however the run ends. It was
kept in ``params["result"]`` beside the job's input; existing values move into the column and
out of the params (and back on downgrade).

Revision ID: c18b00000002
Revises: c18a00000001
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'c18b00000002'
down_revision = 'c18a00000001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

job = sa.table('job', sa.column('id', sa.Integer), sa.column('params', JSON), sa.column('result', JSON))


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result', JSON, nullable=True))
    connection = op.get_bind()
    for job_id, params in connection.execute(sa.select(job.c.id, job.c.params)).all():
        if isinstance(params, dict) and 'result' in params:
            kept = {k: v for k, v in params.items() if k != 'result'}
            connection.execute(job.update().where(job.c.id == job_id)
                               .values(params=kept, result=params['result']))


def downgrade():
    """The result goes back into ``params["result"]``, where the previous code reads nothing but keeps it."""
    connection = op.get_bind()
    for job_id, params, result in connection.execute(sa.select(job.c.id, job.c.params, job.c.result)).all():
        if result is None:  # SQL NULL, or a JSON null
            continue
        connection.execute(job.update().where(job.c.id == job_id)
                           .values(params=dict(params or {}, result=result)))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('result')
