"""postgresql: lz4 compression for the large texts a change writes (its posting, its audit record)

A change on a 300-member project stores some 100 KB of beancount text and an audit record of
about as much; PostgreSQL compresses each on insert, and its default (pglz) took a millisecond or
two of every change's time. lz4 compresses such text several times faster at much the same size.
Only values written from now on are compressed so; those already stored stay as they are and read
the same. Nothing to do on SQLite, or on a PostgreSQL built without lz4.

Revision ID: e1f4a7c2b9d3
Revises: c3e8a5f1d9b2
Create Date: 2026-12-02 16:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e1f4a7c2b9d3"
down_revision = "c3e8a5f1d9b2"
branch_labels = None
depends_on = None

COLUMNS = (("ledger_postings", "text"), ("audit_events", "details_json"))


def _lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(found)


def upgrade() -> None:
    if _lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")
