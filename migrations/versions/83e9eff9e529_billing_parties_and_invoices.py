"""billing: parties, invoice number series, issued invoices

The project's seller and its invoicing settings, each member's billing details, one counter row per
seller's number series, and the issued invoices with their lines (written once, never updated).

Revision ID: 83e9eff9e529
Revises: ea6438676d8f
Create Date: 2026-12-01 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '83e9eff9e529'
down_revision = 'ea6438676d8f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_sellers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=210), nullable=False),
    sa.Column('business_id', sa.String(length=9), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('einvoice_address', sa.String(length=60), nullable=True),
    sa.Column('operator', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('instalments', sa.Integer(), nullable=False),
    sa.Column('terms_days', sa.Integer(), nullable=False),
    sa.Column('vat_rate', sa.String(length=10), nullable=False),
    sa.Column('vat_reason', sa.String(length=70), nullable=True),
    sa.Column('reference_kind', sa.String(length=8), nullable=False),
    sa.Column('reference_prefix', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id')
    )
    op.create_table('billing_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=210), nullable=True),
    sa.Column('business_id', sa.String(length=9), nullable=True),
    sa.Column('einvoice_address', sa.String(length=60), nullable=True),
    sa.Column('operator', sa.String(length=20), nullable=True),
    sa.Column('buyer_reference', sa.String(length=70), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'code', name='uq_billing_members_project_code')
    )
    with op.batch_alter_table('billing_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_members_project_id'), ['project_id'], unique=False)

    op.create_table('invoice_counters',
    sa.Column('seller_key', sa.String(length=9), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seller_key')
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seller_key', sa.String(length=9), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('instalment', sa.Integer(), nullable=True),
    sa.Column('instalments', sa.Integer(), nullable=False),
    sa.Column('corrects', sa.Integer(), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('terms_days', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('rf', sa.String(length=25), nullable=False),
    sa.Column('reference_kind', sa.String(length=8), nullable=False),
    sa.Column('net_cents', sa.BigInteger(), nullable=False),
    sa.Column('vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('vat_rate', sa.String(length=10), nullable=False),
    sa.Column('vat_reason', sa.String(length=70), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('seller_json', sa.Text(), nullable=False),
    sa.Column('buyer_json', sa.Text(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.String(length=500), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seller_key', 'number', name='uq_invoices_seller_number'),
    sa.UniqueConstraint('seller_key', 'reference', name='uq_invoices_seller_reference')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_project_id'), ['project_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('correction', sa.Boolean(), nullable=False),
    sa.Column('text', sa.String(length=100), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_lines_invoice_position')
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))
    op.drop_table('invoice_lines')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_project_id'))
    op.drop_table('invoices')
    op.drop_table('invoice_counters')
    with op.batch_alter_table('billing_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_members_project_id'))
    op.drop_table('billing_members')
    op.drop_table('billing_sellers')
