"""The portal's change service against the independent oracle (tests/common/oracle.py).

The same random histories as tests/ledger/test_against_oracle.py, but every change goes through
``portal.projects.services.change``: the project's row lock, the op stored in ``project_changes``,
the posting in ``ledger_postings``, the audit record, the commit, the worker's in-memory journal.
After every step every member's assessed and charged cents of every year agree with the oracle;
a refused change leaves the database as it was; and at the end a cold worker, replaying what
the database holds, gives the same state and the same cents. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger.project import ProjectState
from portal.audit import AuditEvent
from portal.extensions import db
from portal.projects import services
from portal.projects.ledgers import ledgers
from tests.common.core import residents, version
from tests.common.histories import both, changes, terms
from tests.common.oracle import Oracle

EXAMPLES = int(os.environ.get("ORACLE_PORTAL_EXAMPLES", "60"))
_slugs = itertools.count(1)


class Portal:
    """A project driven through the portal's change service, one op at a time."""

    def __init__(self, app: Flask, slug: str) -> None:
        self.app, self.slug = app, slug

    @property
    def state(self) -> ProjectState | None:
        with self.app.app_context():
            return services.state_for(services.get_project(self.slug))

    def create(self, start: dt.date, end: dt.date, budget: dict[int, int]) -> None:
        with self.app.app_context():
            services.create_project(self.slug, name=f"Oracle {self.slug}", start=start, end=end, years=budget, actor="oracle")

    def run(self, kind: str, effective: dt.date, **params: Any) -> Any:
        with self.app.app_context():
            return services.change(self.slug, lambda state, project: services.make_op(kind, effective, "oracle", kind, **params))

    def snapshot(self) -> tuple[int, int, int]:
        """What a refused change must not move: the postings, the recorded changes, the audit records."""
        with self.app.app_context():
            project = services.get_project(self.slug)
            audits = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.project_id == project.id))
            return project.ledger_seq, project.change_seq, audits or 0

    def cells(self) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], int]]:
        with self.app.app_context():
            journal = services.journal_for(services.get_project(self.slug))
            return ({cell: v for cell, v in sorted(journal.assessed_cells().items()) if v},  # type: ignore[misc]
                    {cell: v for cell, v in sorted(journal.charged_cells().items()) if v})  # type: ignore[misc]


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(term=terms(), data=st.data())
def test_every_members_cents_agree_with_the_oracle_through_the_change_service(app, term, data) -> None:
    start, end, budget = term
    portal = Portal(app, f"oracle-{next(_slugs)}")
    portal.create(start, end, budget)
    oracle = Oracle(start=start, end=end, budget=budget, policy="whole-term", rule=version("equal", start, [])[1],
                    populations=residents)
    done: list[str] = []
    for _ in range(data.draw(st.integers(3, 8))):
        label, steps = data.draw(changes(start, end, sorted(budget)))
        outcome = both(portal, oracle, steps)
        event(f"{label.split()[0]}: {outcome}")
        done.append(f"{label}: {outcome}")
        assessed, charged = portal.cells()
        assert assessed == oracle.assessed(), "\n".join(done)
        assert charged == oracle.charged(), "\n".join(done)
    warm = portal.state, portal.cells()
    with app.app_context():
        ledgers.clear()  # a cold worker: everything replayed from what the database holds
    assert (portal.state, portal.cells()) == warm
