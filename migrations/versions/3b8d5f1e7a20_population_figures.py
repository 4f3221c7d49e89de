"""population figures

Official populations of years not bundled with the portal, loaded by an administrator
(``portal populations import YEAR FILE``).

Revision ID: 3b8d5f1e7a20
Revises: 9c4e2a7b1d30
Create Date: 2026-12-01 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3b8d5f1e7a20'
down_revision = '9c4e2a7b1d30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('population_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('imported_by', sa.String(length=500), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'code', name='uq_population_figures_year_code')
    )
    with op.batch_alter_table('population_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_figures_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('population_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_figures_year'))
    op.drop_table('population_figures')
