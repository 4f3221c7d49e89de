"""The change service: one database transaction per change, serialised, and nothing lost."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from ledger.allocation import Member
from ledger.errors import Conflict, InvalidInput, LedgerError
from portal.accounting import services as accounting
from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as changes
from portal.projects.ledgers import Ledgers
from portal.projects.models import LedgerPosting, ProjectChange
from tests.common.apps import make_app
from tests.common.ledger import shares_of


def state() -> tuple[int, int, int, int]:
    """(recorded changes, audit events, postings, project ledger_seq): what a failed change must not move."""
    project = changes.get_project("iam")
    return (
        db.session.scalar(select(func.count()).select_from(ProjectChange)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.scalar(select(func.count()).select_from(LedgerPosting)),
        project.ledger_seq,
    )


def test_demo_shares_sum_to_the_budget(in_demo) -> None:
    project = changes.get_project("iam")
    lines = changes.shares(project)
    assert len(lines) == 17
    assert sum(s.share for s in lines) == changes.state_for(project).total == 52_000_000
    assert {s.share for s in lines} == {3_058_823, 3_058_824}


def test_several_cities_join_in_one_change_and_one_entry(in_demo) -> None:
    seq = changes.get_project("iam").ledger_seq
    outcome = changes.add_members("iam", ["091", "837"], joined=dt.date(2026, 6, 1), decision="KV 5/2026", actor="lead")
    project = changes.get_project("iam")
    assert outcome.seq == seq + 1 == project.ledger_seq
    assert len(outcome.recalculation.changed) == 19
    lines = changes.shares(project)
    assert sum(s.share for s in lines) == 52_000_000
    members = [Member(s.code, s.name, s.population) for s in lines]
    assert {s.code: s.share for s in lines} == shares_of(52_000_000, "equal", members)
    event = db.session.get(AuditEvent, outcome.event.id)
    assert event.details["decision"] == "KV 5/2026" and event.actor == "lead"
    assert {r["city"] for r in event.details["shares"] if r["before"] == "0.00"} == {"091", "837"}


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: changes.add_members("iam", ["638"], joined=dt.date(2026, 1, 1), decision="", actor="x"), Conflict),
        (lambda: changes.add_members("iam", ["999"], joined=dt.date(2026, 1, 1), decision="", actor="x"), InvalidInput),
        (lambda: changes.add_members("iam", ["abc"], joined=dt.date(2026, 1, 1), decision="", actor="x"), InvalidInput),
        (lambda: changes.add_members("iam", ["091", "091"], joined=dt.date(2026, 1, 1), decision="", actor="x"), InvalidInput),
        (lambda: changes.add_members("iam", ["091", "638"], joined=dt.date(2026, 1, 1), decision="", actor="x"), Conflict),
        (lambda: changes.add_members("iam", ["091"], joined=dt.date(2031, 1, 1), decision="", actor="x"), InvalidInput),
        (lambda: changes.withdraw_member("iam", "638", left=dt.date(2024, 12, 31), decision="", actor="x"), InvalidInput),
        (lambda: changes.withdraw_member("iam", "091", left=dt.date(2026, 12, 31), decision="", actor="x"), Conflict),
        (lambda: costs.set_budget("iam", budget=-1, actor="x"), InvalidInput),
        (lambda: costs.set_rule("iam", rule="population", population_year=1990, actor="x"), InvalidInput),
        (lambda: changes.add_members("nope", ["091"], joined=dt.date(2026, 1, 1), decision="", actor="x"), LedgerError),
        (lambda: accounting.import_file("iam", b"2025-01-01 * \"x\"\n  Assets:Bank 1.00 EUR\n", filename="x", actor="x"), LedgerError),
    ],
)
def test_bad_input_changes_nothing(in_demo, call, error) -> None:
    before = state()
    shares_before = changes.shares(changes.get_project("iam"))
    with pytest.raises(error):
        call()
    assert state() == before
    assert changes.shares(changes.get_project("iam")) == shares_before


def test_withdrawal_and_budget_and_rule_changes(in_demo) -> None:
    changes.withdraw_member("iam", "638", left=dt.date(2026, 12, 31), decision="KV 2026 § 1", actor="lead")
    lines = changes.shares(changes.get_project("iam"))
    porvoo = next(s for s in lines if s.code == "638")
    assert porvoo.withdrawn and sum(s.share for s in lines) == 52_000_000
    cells = changes.journal_for(changes.get_project("iam")).assessed_cells()
    assert {y for (y, c), v in cells.items() if c == "638" and v} == {2025, 2026}  # it keeps the years up to its leave
    costs.set_budget("iam", budget=60_000_000, actor="lead")
    assert sum(s.share for s in changes.shares(changes.get_project("iam"))) == 60_000_000
    costs.set_rule("iam", rule="population", population_year=2025, actor="lead")
    lines = changes.shares(changes.get_project("iam"))
    assert sum(s.share for s in lines) == 60_000_000
    current = [s for s in lines if not s.withdrawn]
    biggest = max(current, key=lambda s: s.share)
    assert biggest.code == max(current, key=lambda s: s.population).code
    journal = changes.journal_for(changes.get_project("iam"))
    cells = journal.assessed_cells()
    assert journal.assessed()["638"] == cells[(2025, "638")] + cells[(2026, "638")] > 0
    assert not any(v for (y, c), v in cells.items() if c == "638" and y > 2026)
    assert any(h.meta.get("decision") == "KV 2026 § 1" for h in journal.history("638"))


def test_a_second_worker_reads_only_the_postings_it_has_not_seen(in_demo, tmp_path) -> None:
    other = make_app(in_demo.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "worker2")
    with other.app_context():
        second: Ledgers = other.extensions.setdefault("portal.ledgers", Ledgers())
        journal = changes.journal_for(changes.get_project("iam"))
        first_read = second.postings_read
        assert first_read == changes.get_project("iam").ledger_seq
    changes.add_members("iam", ["091"], joined=dt.date(2026, 3, 1), decision="", actor="lead")
    with other.app_context():
        again = changes.journal_for(changes.get_project("iam"))
        assert again is journal
        assert second.postings_read == first_read + 1
        assert again.assessed() == changes.journal_for(changes.get_project("iam")).assessed()
    assert changes.journal_for(changes.get_project("iam")).assessed()["091"] > 0


def test_two_concurrent_changes_are_serialised_and_neither_is_lost(in_demo) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def join(code: str) -> None:
        with in_demo.app_context():
            try:
                barrier.wait(timeout=10)
                changes.add_members("iam", [code], joined=dt.date(2026, 4, 1), decision="", actor=f"lead-{code}")
            except BaseException as exc:  # noqa: BLE001  # every failure of a thread is reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=join, args=(code,)) for code in ("091", "837")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    project = changes.get_project("iam")
    lines = changes.shares(project)
    assert {"091", "837"} <= {s.code for s in lines}
    assert sum(s.share for s in lines) == 52_000_000
    assert {s.code: s.share for s in lines} == shares_of(52_000_000, "equal", [s.code for s in lines])
    seqs = db.session.scalars(select(LedgerPosting.seq).where(LedgerPosting.project_id == project.id).order_by(LedgerPosting.seq)).all()
    assert seqs == list(range(1, project.ledger_seq + 1))
