"""The accountant's tools over a project's ledger: read-only BQL, the whole ledger as a file, imports.

Everything here works on the same in-memory journal the shares come from, so a query, an export
and the members table always agree. What a query may do is decided by ``ledger.query`` (only
reading statements); an import is validated by ``ledger.importer`` (all or nothing) and appended
as one posting through the change machinery of ``portal.projects.services``.
"""

from __future__ import annotations

from typing import Any

from beancount.core import data

from ledger import export as ledger_export
from ledger import importer
from ledger.journal import Journal
from ledger.project import settings
from ledger.query import QueryResult
from portal.clock import today
from portal.projects.models import Project
from portal.projects.services import Outcome, get_project, journal_for, make_op, post_entries, state_for


def query(slug: str, text: str) -> QueryResult:
    """Run a read-only BQL query over the project's ledger as it is now."""
    return journal_for(get_project(slug)).query(text)


def export(project: Project) -> str:
    """The whole ledger as one beancount file that opens in bean-check, bean-query and Fava."""
    state = state_for(project)
    return ledger_export.render(journal_for(project).entries, title=project.name, settings=settings(state), start=state.start)


def import_ledger(slug: str, text: str, *, filename: str, actor: str) -> Outcome:
    """Append a validated .beancount file's transactions as one posting: all or nothing."""

    def build(project: Project, journal: Journal) -> tuple[Any, list[data.Directive], dict[str, Any]]:
        opens = [e for e in journal.entries if isinstance(e, data.Open)]
        validated = importer.validate(text, opens)
        stamped = importer.stamp(validated, {"imported-from": filename, "imported-by": actor})
        count = sum(isinstance(e, data.Transaction) for e in stamped)
        op = make_op("ledger-imported", today(), actor, f"Imported {count} transactions from {filename}", filename=filename)
        return op, stamped, {"filename": filename, "transactions": count}

    return post_entries(slug, build)
