"""What a worker knows of a ledger: the sums kept in SQL beside every posting, and the journal and
state in memory. The sums must always be what the stored entries add up to; a change must read
them and the state only, never the history, in a cold worker as in a warm one."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from beancount.core import data
from beancount.core.amount import Amount
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger import entries as E
from ledger import municipalities as M
from ledger.cells import Books
from ledger.errors import InvalidInput, LedgerError
from ledger.project import ProjectState
from portal.extensions import db
from portal.projects import services
from portal.projects.ledgers import MAX_CENTS, Ledgers, books, ledgers, read
from portal.projects.models import LedgerCell, LedgerPosting, ProjectChange
from tests.common.core import version
from tests.common.histories import POOL, changes, terms

_slugs = itertools.count(1)


def payments(codes: list[str], day: dt.date, cents: int, opening: bool = False) -> list[data.Directive]:
    """A bank's payments from ``codes``, as an import brings them (``Assets:Bank`` opened with the first)."""
    made: list[data.Directive] = [E.open_entry(day, "Assets:Bank", {})] if opening else []
    for code in codes:
        account = E.member_account(code, M.lookup(code).name)
        made.append(data.Transaction({}, day, "*", None, f"payment {code}", frozenset(), frozenset(),
                                     [data.Posting("Assets:Bank", Amount(Decimal(cents) / 100, "EUR"), None, None, None, None),
                                      data.Posting(account, Amount(Decimal(-cents) / 100, "EUR"), None, None, None, None)]))
    return made


def post(slug: str, entries: list[data.Directive]) -> Any:
    op = services.make_op("ledger-imported", dt.date(2025, 1, 1), "test", f"{len(entries)} entries", filename="test")
    return services.post_entries(slug, lambda project, journal: (op, entries, {"transactions": len(entries)}))


class Driver:
    """A project driven through the change service (histories' ``Driver``), payments now and then."""

    def __init__(self, app: Flask, slug: str) -> None:
        self.app, self.slug, self.paid = app, slug, 0

    @property
    def state(self) -> ProjectState | None:
        with self.app.app_context():
            return services.state_for(services.get_project(self.slug))

    def run(self, kind: str, effective: dt.date, **params: Any) -> Any:
        with self.app.app_context():
            return services.change(self.slug, lambda state, project: services.make_op(kind, effective, "test", kind, **params))

    def pay(self, codes: list[str], day: dt.date, cents: int) -> None:
        with self.app.app_context():
            post(self.slug, payments(codes, day, cents, opening=not self.paid))
        self.paid += 1

    def snapshot(self) -> tuple[int, int]:
        with self.app.app_context():
            project = services.get_project(self.slug)
            return project.ledger_seq, project.change_seq


def sql_and_journal(slug: str) -> tuple[Books, Books]:
    """The sums as SQL holds them (every tag), and as a cold journal parsed from the stored postings adds them up."""
    project = services.get_project(slug)
    tags = db.session.scalars(select(LedgerCell.tag).where(LedgerCell.project_id == project.id).distinct()).all()
    fresh = Ledgers()
    return books(project, tags), Books.of(fresh.get(project).entries)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(term=terms(), data=st.data())
def test_the_sums_in_sql_are_what_the_stored_entries_add_up_to_after_random_histories(app, term, data) -> None:
    start, end, budget = term
    slug = f"sums-{next(_slugs)}"
    with app.app_context():
        services.create_project(slug, name=slug, start=start, end=end, years=budget, actor="test",
                                rule=version("equal", start, [])[0]["kind"])
    driver = Driver(app, slug)
    for _ in range(data.draw(st.integers(3, 8))):
        if data.draw(st.integers(0, 4)) == 0:
            driver.pay(data.draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)), start,
                       data.draw(st.integers(1, 10**6)))
            continue
        _, steps = data.draw(changes(start, end, sorted(budget)))
        for make, _mirror in steps:
            with contextlib.suppress(LedgerError):
                make(driver)
    with app.app_context():
        in_sql, from_entries = sql_and_journal(slug)
        assert in_sql == from_entries
        journal = services.journal_for(services.get_project(slug))
        assert E.assessed_cells(in_sql) == journal.assessed_cells() and E.charged_cells(in_sql) == journal.charged_cells()
        assert E.fee_cells(in_sql) == journal.fee_cells() and in_sql.accounts() == journal.accounts()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(term=terms(), data=st.data())
def test_each_workers_copy_of_the_sums_is_what_the_rows_hold(app, term, data) -> None:
    """Two workers (two registries over one database) take turns at random changes, refused ones and
    imports included: whichever copy is as of the project's ``ledger_seq`` equals the rows read afresh,
    ids and all, so a change that uses it moves what the rows hold."""
    start, end, budget = term
    slug = f"copies-{next(_slugs)}"
    workers = [Ledgers(), Ledgers()]
    with app.app_context():
        services.create_project(slug, name=slug, start=start, end=end, years=budget, actor="test",
                                rule=version("equal", start, [])[0]["kind"])
    driver = Driver(app, slug)
    for _ in range(data.draw(st.integers(3, 8))):
        app.extensions["portal.ledgers"] = workers[data.draw(st.integers(0, 1))]
        if data.draw(st.integers(0, 4)) == 0:
            driver.pay(data.draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)), start,
                       data.draw(st.integers(1, 10**6)))
        else:
            _, steps = data.draw(changes(start, end, sorted(budget)))
            for make, _mirror in steps:
                with contextlib.suppress(LedgerError):
                    make(driver)
        with app.app_context():
            project = services.get_project(slug)
            fresh = read(project)
            for worker in workers:
                seq, kept = worker._sums.get(project.id, (None, None))
                if seq == project.ledger_seq and kept is not None:
                    assert kept.books == fresh.books and kept.ids == fresh.ids


def test_a_warm_worker_reads_no_sums_until_another_worker_posts(in_demo, monkeypatch) -> None:
    import portal.projects.ledgers as module
    reads: list[int] = []
    real = module.read
    monkeypatch.setattr(module, "read", lambda project, *a, **k: reads.append(project.ledger_seq) or real(project, *a, **k))
    services.add_members("iam", ["091"], joined=dt.date(2026, 3, 1), decision="", actor="test")
    services.withdraw_member("iam", "091", left=dt.date(2026, 6, 30), decision="", actor="test")
    assert len(reads) <= 1  # the first change reads the rows (unless warm already), the next one its own copy
    other = Ledgers()
    in_demo.extensions["portal.ledgers"], mine = other, in_demo.extensions["portal.ledgers"]
    services.add_members("iam", ["092"], joined=dt.date(2026, 3, 1), decision="", actor="test")  # another worker posts
    in_demo.extensions["portal.ledgers"] = mine
    before = len(reads)
    services.withdraw_member("iam", "092", left=dt.date(2026, 6, 30), decision="", actor="test")
    assert len(reads) == before + 1  # this worker's copy is behind: it reads the rows again
    project = services.get_project("iam")
    assert mine._sums[project.id][0] == project.ledger_seq and mine._sums[project.id][1].books == real(project).books


def test_a_change_in_a_cold_worker_reads_no_posting_and_loads_no_journal(in_demo) -> None:
    for i in range(3):
        post("iam", payments(["638", "286", "109"], dt.date(2025, 3, 1 + i), 10_000, opening=i == 0))
    ledgers.clear()  # a cold worker (or the CLI): nothing in memory
    registry: Ledgers = in_demo.extensions["portal.ledgers"]
    read = registry.postings_read
    services.add_members("iam", ["091"], joined=dt.date(2026, 3, 1), decision="", actor="test")
    lines = services.shares(services.get_project("iam"))
    assert registry.postings_read == read and registry._journals == {}
    assert sum(line.share for line in lines) == 52_000_000 and any(line.code == "091" for line in lines)
    journal = services.journal_for(services.get_project("iam"))  # a query or an export loads it, once
    assert registry.postings_read == read + services.get_project("iam").ledger_seq
    assert journal.assessed_cells() == services.assessed_cells(services.get_project("iam"))


def test_a_worker_that_loaded_the_journal_takes_its_own_change_in_without_parsing(in_demo) -> None:
    journal = services.journal_for(services.get_project("iam"))
    registry: Ledgers = in_demo.extensions["portal.ledgers"]
    read = registry.postings_read
    services.withdraw_member("iam", "638", left=dt.date(2026, 12, 31), decision="", actor="test")
    assert services.journal_for(services.get_project("iam")) is journal and registry.postings_read == read
    assert journal.seq == services.get_project("iam").ledger_seq


def test_a_loaded_journal_takes_the_changes_kept_for_it_when_it_is_next_read(in_demo) -> None:
    journal = services.journal_for(services.get_project("iam"))
    registry: Ledgers = in_demo.extensions["portal.ledgers"]
    read, seq = registry.postings_read, journal.seq
    services.withdraw_member("iam", "638", left=dt.date(2026, 12, 31), decision="", actor="test")
    services.add_members("iam", ["091"], joined=dt.date(2026, 3, 1), decision="", actor="test")
    assert journal.seq == seq  # kept, not yet taken in: the change did not wait for it
    registry._pending[services.get_project("iam").id].reverse()  # as two threads of one worker may keep them
    assert services.journal_for(services.get_project("iam")) is journal and registry.postings_read == read
    assert journal.seq == services.get_project("iam").ledger_seq == seq + 2
    assert journal.assessed_cells() == services.assessed_cells(services.get_project("iam"))


def test_kept_postings_past_the_limit_are_dropped_and_read_back_from_the_database(in_demo, monkeypatch) -> None:
    monkeypatch.setattr("portal.projects.ledgers.PENDING", 1)
    journal = services.journal_for(services.get_project("iam"))
    registry: Ledgers = in_demo.extensions["portal.ledgers"]
    read = registry.postings_read
    services.withdraw_member("iam", "638", left=dt.date(2026, 12, 31), decision="", actor="test")
    services.add_members("iam", ["091"], joined=dt.date(2026, 3, 1), decision="", actor="test")
    assert services.journal_for(services.get_project("iam")) is journal and registry.postings_read == read + 2
    assert journal.seq == services.get_project("iam").ledger_seq
    assert journal.assessed_cells() == services.assessed_cells(services.get_project("iam"))


@pytest.mark.parametrize("make, message", [
    (lambda: payments(["638"], dt.date(2025, 3, 1), MAX_CENTS + 1), "beyond what the ledger takes"),
    (lambda: [E.open_entry(dt.date(2025, 1, 1), "Assets:" + "A" * 1200, {})], "longer than 1000 characters"),
])
def test_what_the_store_cannot_hold_is_refused_and_nothing_is_posted(in_demo, make, message) -> None:
    def counts() -> tuple[int, ...]:
        return tuple(db.session.scalar(select(func.count()).select_from(m)) or 0 for m in (LedgerPosting, ProjectChange, LedgerCell))

    before = counts()
    with pytest.raises(InvalidInput, match=message):
        post("iam", make())
    assert counts() == before
