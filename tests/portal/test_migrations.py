"""A project recorded before budget years and rule versions existed is carried over by the migration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger import entries as E
from portal import create_app
from portal.extensions import db
from portal.projects import services as changes
from tests.common.apps import database_url

D = dt.date


def test_an_old_project_gets_its_changes_and_its_next_change_moves_shares_into_years(backend: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(backend, tmp_path), "SECRET_KEY": "x" * 32,
                      "DEVELOPMENT": True, "PORTAL_ENV": "development", "SESSION_COOKIE_SECURE": False, "PORTAL_REDIS_URL": ""})
    legacy = E.assessment(D(2025, 1, 1), {(None, "638"): 500_000, (None, "753"): 500_000},
                          {"638": "Porvoo", "753": "Sipoo"}, "Porvoo (638), Sipoo (753) join", {"change": "members-added"})
    opens = [E.open_entry(D(2025, 1, 1), a, {}) for a in (E.member_account("638", "Porvoo"), E.member_account("753", "Sipoo"))]
    with app.app_context():
        upgrade(revision="04f366918a35")
        now = dt.datetime(2025, 1, 2, 9, 0)
        db.session.execute(sa.text(
            "INSERT INTO projects (id, slug, name, budget_cents, start, \"end\", rule, population_year, ledger_seq, lock_version, created_at)"
            " VALUES (1, 'old', 'Old', 1000000, :s, :e, 'equal', NULL, 2, 0, :c)"), {"s": D(2025, 1, 1), "e": D(2026, 12, 31), "c": now})
        for code in ("638", "753"):
            db.session.execute(sa.text("INSERT INTO memberships (project_id, city_code, joined, \"left\", join_decision, leave_decision, created_at)"
                                       " VALUES (1, :c, :j, NULL, '', '', :n)"), {"c": code, "j": D(2025, 1, 1), "n": now})
        texts = [E.format_entry(E.open_entry(D(2025, 1, 1), E.CONTRIBUTIONS, {})), "\n".join(E.format_entry(e) for e in [*opens, legacy])]
        for seq, text in enumerate(texts, 1):
            db.session.execute(sa.text("INSERT INTO ledger_postings (project_id, seq, text, created_at) VALUES (1, :s, :t, :n)"),
                               {"s": seq, "t": text, "n": now})
        db.session.commit()
        upgrade()
        project = changes.get_project("old")
        state = changes.state_for(project)
        assert [m.code for m in state.members] == ["638", "753"] and state.total == 1_000_000 and state.policy == "whole-term"
        assert {s.code: s.share for s in changes.shares(project)} == {"638": 500_000, "753": 500_000}
        changes.add_members("old", ["020"], joined=D(2026, 1, 1), decision="", actor="t")
        cells = changes.journal_for(project).assessed_cells()
        assert all(cents == 0 for (year, _), cents in cells.items() if year is None)
        assert sum(cells.values()) == 1_000_000 and {y for y, _ in cells if y} == {2025, 2026}
        db.session.remove()


def test_the_ledger_sums_are_filled_from_the_postings_already_stored(app) -> None:
    """The sums' migration, run over a project with a history, gives the rows the change service wrote."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from ledger.cells import Books
    from portal import demo
    from portal.costs import services as costs
    from portal.projects.ledgers import books
    from portal.projects.models import LedgerCell

    with app.app_context():
        demo.load()
        changes.withdraw_member("iam", "638", left=D(2026, 12, 31), decision="", actor="t")
        costs.add_charge("iam", city="286", amount=12_345, date=D(2026, 5, 1), text="devices", actor="t")
        project = changes.get_project("iam")
        tags = sorted(set(db.session.scalars(select(LedgerCell.tag))))
        written = books(project, tags)
        db.session.remove()
        downgrade(revision="3b8d5f1e7a20")
        upgrade()
        filled = books(changes.get_project("iam"), tags)
        assert filled == written and filled.sums and filled.opened
        assert filled == Books.of(changes.journal_for(changes.get_project("iam")).entries)
        db.session.remove()


def test_the_large_texts_are_stored_with_lz4_on_postgresql(app) -> None:
    """On PostgreSQL (with lz4) a posting's text and an audit record's details are compressed with lz4; up and down again."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL column setting")
        if not db.session.execute(sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar():
            pytest.skip("this PostgreSQL is built without lz4: the migration leaves the default")
        query = sa.text("SELECT attrelid::regclass::text, attcompression FROM pg_attribute"
                        " WHERE (attrelid, attname) IN (('ledger_postings'::regclass, 'text'), ('audit_events'::regclass, 'details_json'))")

        def methods() -> dict[str, str]:
            return dict(db.session.execute(query).tuples().all())

        assert methods() == {"ledger_postings": "l", "audit_events": "l"}
        db.session.remove()
        downgrade(revision="c3e8a5f1d9b2")
        assert methods() == {"ledger_postings": "", "audit_events": ""}
        db.session.remove()
        upgrade()
        assert methods() == {"ledger_postings": "l", "audit_events": "l"}
        db.session.remove()
