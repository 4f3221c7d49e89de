"""billing payments: payments received, the later allocations of unallocated ones, payment reminders

Revision ID: b5f1c3a8e2d7
Revises: 7c1e9a4d2b56
Create Date: 2026-12-01 23:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b5f1c3a8e2d7'
down_revision = '7c1e9a4d2b56'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('bank_reference', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('payment_date', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('debtor', sa.String(length=140), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=True),
    sa.Column('code', sa.String(length=3), nullable=True),
    sa.Column('invoice_number', sa.Integer(), nullable=True),
    sa.Column('credit_cents', sa.BigInteger(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'bank_reference', name='uq_billing_payments_project_bank_reference'),
    )
    with op.batch_alter_table('billing_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_payments_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_payments_file_sha256'), ['file_sha256'], unique=False)
    op.create_table('billing_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('invoice_number', sa.Integer(), nullable=True),
    sa.Column('credit_cents', sa.BigInteger(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['billing_payments.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_id'),
    )
    op.create_table('billing_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('reminder_date', sa.Date(), nullable=False),
    sa.Column('outstanding_cents', sa.BigInteger(), nullable=False),
    sa.Column('fee_cents', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('issued_by', sa.String(length=500), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('billing_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_reminders_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_reminders_invoice_id'), ['invoice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('billing_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_reminders_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_billing_reminders_project_id'))
    op.drop_table('billing_reminders')
    op.drop_table('billing_allocations')
    with op.batch_alter_table('billing_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_payments_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_billing_payments_project_id'))
    op.drop_table('billing_payments')
