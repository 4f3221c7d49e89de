"""imports and jobs

The record of ledger imports (each import, the identities of its transactions) and the kept job
queue (jobs and the files they read).

Revision ID: 7e4c2a9d5b13
Revises: 83e9eff9e529
Create Date: 2026-12-10 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7e4c2a9d5b13'
down_revision = '83e9eff9e529'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('transactions', sa.Integer(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('reverted_seq', sa.Integer(), nullable=True),
    sa.Column('reverted_by', sa.String(length=500), nullable=True),
    sa.Column('reverted_at', sa.DateTime(), nullable=True),
    sa.Column('revert_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number', name='uq_ledger_imports_project_number')
    )
    with op.batch_alter_table('ledger_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_imports_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_imports_sha256'), ['sha256'], unique=False)

    op.create_table('imported_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('identity', sa.String(length=64), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['ledger_imports.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'identity', name='uq_imported_transactions_project_identity')
    )
    with op.batch_alter_table('imported_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_transactions_import_id'), ['import_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=50), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=500), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_user_id'), ['user_id'], unique=False)

    op.create_table('job_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id')
    )


def downgrade():
    op.drop_table('job_files')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_user_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
    op.drop_table('jobs')
    with op.batch_alter_table('imported_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_transactions_import_id'))
    op.drop_table('imported_transactions')
    with op.batch_alter_table('ledger_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_imports_sha256'))
        batch_op.drop_index(batch_op.f('ix_ledger_imports_project_id'))
    op.drop_table('ledger_imports')
