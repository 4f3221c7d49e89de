"""A change that cannot have its project's lock in time is refused as busy, with nothing done.

Two real connections: one holds the lock (PostgreSQL: the project's row, by an UPDATE in an open
transaction; SQLite: the database's write lock, the same way), the other is the portal's. The
service raises ``Busy``; a page answers 503 with ``Retry-After`` and the message on its form; the
command line exits with status 2. Once the lock is free the same change goes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from portal import demo
from portal.audit import AuditEvent
from portal.errors import Busy, status_of
from portal.extensions import db
from portal.projects import services
from portal.projects.models import LedgerCell, LedgerPosting, ProjectChange
from tests.common.apps import dispose, make_app, migrated_database
from tests.common.web import csrf, login, submit_change

WAIT = 0.3  # PORTAL_LOCK_SECONDS of these apps


@pytest.fixture
def busy_app(backend: str, tmp_path) -> Iterator[Flask]:
    app = make_app(migrated_database(backend, tmp_path), tmp_path, PORTAL_LOCK_SECONDS=WAIT)
    with app.app_context():
        demo.load()
    yield app
    dispose(app)


@contextmanager
def another_change_holds(app: Flask, slug: str = "iam") -> Iterator[None]:
    """A second connection takes the project's lock as a change does, and keeps it until the block ends."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            conn.execute(sa.text("UPDATE projects SET lock_version = lock_version + 1 WHERE slug = :s"), {"s": slug})
            try:
                yield
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


def unchanged(app: Flask) -> tuple[int, ...]:
    """Everything a change writes: postings, recorded changes, audit records, the sums, the project's numbers."""
    with app.app_context():
        project = services.get_project("iam")
        counts = [db.session.scalar(select(func.count()).select_from(m)) or 0 for m in (LedgerPosting, ProjectChange, AuditEvent)]
        total = db.session.scalar(select(func.coalesce(func.sum(func.abs(LedgerCell.cents)), 0))) or 0
        return (*counts, int(total), project.ledger_seq, project.change_seq, project.lock_version)


def join(code: str = "091") -> services.Outcome:
    return services.add_members("iam", [code], joined=dt.date(2026, 3, 1), decision="KV 3/2026", actor="lead")


def test_a_change_that_waits_too_long_for_the_lock_is_busy_and_changes_nothing(busy_app) -> None:
    before = unchanged(busy_app)
    with busy_app.app_context(), another_change_holds(busy_app):
        with pytest.raises(Busy, match="busy with another change; nothing was changed, try again") as refused:
            join()
        assert status_of(refused.value) == 503
        db.session.remove()
    assert unchanged(busy_app) == before
    with busy_app.app_context():  # the lock is free: the same change goes through
        assert join().seq == before[-3] + 1
        assert "091" in services.state_for(services.get_project("iam")).current()


def test_the_page_answers_503_with_retry_after_and_the_message_on_the_form(busy_app) -> None:
    client = busy_app.test_client()
    login(client, busy_app, sub="lead", role="lead", city="109")
    token = csrf(client, "/p/iam/members/add")  # the form is read before the other change starts
    before = unchanged(busy_app)
    with another_change_holds(busy_app):
        response = submit_change(client, "/p/iam/members/add", {"csrf_token": token, "cities": ["091"], "joined": "2026-03-01",
                                                           "decision": "KV 3/2026"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    assert "busy with another change" in html and 'name="cities"' in html  # the form again, with the message
    assert unchanged(busy_app) == before
    again = submit_change(client, "/p/iam/members/add", {"csrf_token": token, "cities": ["091"], "joined": "2026-03-01"})
    assert again.status_code == 302  # sent again unchanged, it goes through


def test_the_command_line_says_busy_and_exits_2(busy_app) -> None:
    runner = busy_app.test_cli_runner()
    before = unchanged(busy_app)
    with another_change_holds(busy_app):
        result = runner.invoke(args=["member", "add", "iam", "--city", "091", "--joined", "2026-03-01"])
    assert result.exit_code == 2 and "busy with another change" in result.output and "Traceback" not in result.output
    assert unchanged(busy_app) == before
    assert runner.invoke(args=["member", "add", "iam", "--city", "091", "--joined", "2026-03-01"]).exit_code == 0


def test_an_import_parses_the_history_before_it_waits_for_the_lock(busy_app) -> None:
    """A cold worker's journal is caught up outside the lock: while another change holds it, the
    history is read all the same, and then the import is refused as busy with nothing posted."""
    from portal.projects.ledgers import Ledgers, ledgers

    with busy_app.app_context():
        ledgers.clear()
        registry: Ledgers = busy_app.extensions["portal.ledgers"]
        op = services.make_op("ledger-imported", dt.date(2025, 1, 1), "test", "nothing", filename="x")
        before = unchanged(busy_app)
        with another_change_holds(busy_app), pytest.raises(Busy):
            services.post_entries("iam", lambda project, journal: (op, [], {}))
        assert registry.postings_read == services.get_project("iam").ledger_seq > 0
        db.session.remove()
    assert unchanged(busy_app) == before
