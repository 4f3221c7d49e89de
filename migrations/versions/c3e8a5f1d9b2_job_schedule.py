"""job schedule: the latest slot each periodic job kind was queued for

Revision ID: c3e8a5f1d9b2
Revises: b7d3f9a1c2e4
Create Date: 2026-12-02 01:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3e8a5f1d9b2"
down_revision = "b7d3f9a1c2e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("job_schedule",
                    sa.Column("kind", sa.String(length=50), nullable=False),
                    sa.Column("slot", sa.String(length=20), nullable=False),
                    sa.PrimaryKeyConstraint("kind"))


def downgrade() -> None:
    op.drop_table("job_schedule")
