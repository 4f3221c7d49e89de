"""documents and signatures

The consortium agreement and council decisions as PDF files, stored in the database with their
SHA-256 (attached to a project or to one of its recorded changes; withdrawn, never deleted), and
the members' signatures of the agreement, one per membership period.

Revision ID: ea6438676d8f
Revises: 3b8d5f1e7a20
Create Date: 2026-12-01 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'ea6438676d8f'
down_revision = '3b8d5f1e7a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('attached_by', sa.String(length=500), nullable=False),
    sa.Column('attached_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['project_changes.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_change_id'), ['change_id'], unique=False)

    op.create_table('agreement_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=3), nullable=False),
    sa.Column('period_joined', sa.Date(), nullable=False),
    sa.Column('signer', sa.String(length=300), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=500), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'city_code', 'period_joined', name='uq_agreement_signatures_period')
    )
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signatures_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_signatures_project_id'))
    op.drop_table('agreement_signatures')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_change_id'))
        batch_op.drop_index(batch_op.f('ix_documents_project_id'))
    op.drop_table('documents')
