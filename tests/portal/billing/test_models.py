"""Billing's tables as the migration makes them are the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.billing import models
from portal.extensions import db

TABLES = {"billing_sellers", "billing_members", "invoice_counters", "invoices", "invoice_lines"}


def test_the_migration_makes_the_models_tables(app) -> None:
    assert {m.__tablename__ for m in (models.Seller, models.MemberBilling, models.Counter, models.Invoice, models.InvoiceLine)} == TABLES
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, db.metadata) if _table_of(d) in TABLES]
    assert differences == []


def _table_of(difference: object) -> str | None:
    """The table a difference of ``compare_metadata`` is about (a tuple, or a list of tuples for column changes)."""
    item = difference[0] if isinstance(difference, list) else difference
    for part in item[1:]:  # type: ignore[index]
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if name in TABLES:
            return str(name)
    return None
