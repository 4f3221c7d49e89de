"""Build small project ledgers with the pure core, as the portal does: ops, one posting each."""

from __future__ import annotations

import datetime as dt

from ledger import changes as C
from ledger import funders as F
from ledger import municipalities as M
from ledger.allocation import Member
from ledger.cells import Books
from ledger.journal import Journal
from ledger.params import freeze, population_params, spread
from ledger.project import Op, ProjectState, version_to_json
from ledger.recalc import Recalculation, step
from ledger.rules import make_version

START, END = dt.date(2025, 1, 1), dt.date(2029, 12, 31)
RECORDED = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def member(code: str) -> Member:
    city = M.lookup(code, 2025)
    return Member(city.code, city.name, city.population)


def op(kind: str, effective: dt.date, summary: str = "change", decision: str = "", **params) -> Op:
    return Op(kind, effective, "test", RECORDED, summary, decision, params)


def version_params(rule: str, codes, effective: dt.date = START, **kw) -> dict:
    """A rule version's JSON form; ``population`` and ``hybrid`` freeze the 2025 figures of ``codes``."""
    if rule in ("population", "hybrid"):
        kw |= {"population_year": 2025, "populations": freeze(codes, 2025)}
    return version_to_json(make_version(rule, effective, "test", **kw))


def created(total: int, rule: str = "equal", policy: str = "whole-term", codes=(), budget: dict | None = None, **kw) -> Op:
    years = budget or spread(total, START, END)
    return op("project-created", START, "created", name="IAM", start=START.isoformat(), end=END.isoformat(),
              policy=policy, budget={str(y): c for y, c in years.items()}, rule=version_params(rule, codes, **kw))


def joined(state: ProjectState | None, codes: list[str], when: dt.date) -> Op:
    return op("members-added", when, f"{', '.join(codes)} join", cities=codes, populations=population_params(state, codes))


def founded(*codes: str, rule: str = "equal", **kw) -> ProjectState:
    """A 2025–2029 project of 1,000,000.00 EUR with ``codes`` members from the start (no recalculation)."""
    state = C.apply(None, created(100_000_000, rule, codes=codes, **kw))
    return C.apply(state, joined(state, list(codes), START)) if codes else state


def run(journal: Journal, state: ProjectState | None, change: Op) -> Recalculation:
    """Apply ``change``, recalculate and add its entries to ``journal`` as the next posting."""
    result = step(state, change, assessed=journal.assessed_cells(), open_accounts=journal.accounts(),
                  funded=F.ledger_cells(Books.of(journal.entries)))
    if result.entries():
        journal.add(journal.seq + 1, result.entries())
    journal.test_state = result.state  # type: ignore[attr-defined]
    return result


def apply(journal: Journal, total: int, rule: str, codes: list[str], when: dt.date, summary: str = "change") -> Recalculation:
    """Bring ``journal``'s project to ``total`` (spread over 2025–2029), ``rule`` and ``codes`` as members."""
    state = getattr(journal, "test_state", None)
    result = None
    if state is None:
        result = run(journal, None, created(total, rule, codes=codes))
        state = result.state
    if state.total != total:
        result = run(journal, state, op("budget-set", when, summary, years={str(y): c for y, c in spread(total, START, END).items()}))
        state = result.state
    current = state.versions[-1]
    if current.kind != rule:
        result = run(journal, state, op("rule-set", when, summary, version=version_params(rule, [m.code for m in state.members], START)))
        state = result.state
    new = [c for c in codes if c not in state.current()]
    for code in [c for c in state.current() if c not in codes]:
        result = run(journal, state, op("member-withdrawn", when, summary, city=code))
        state = result.state
    if new:
        result = run(journal, state, joined(state, new, when)._replace(summary=summary))
    if result is None:  # nothing to change: a budget "change" to the same years posts nothing
        result = run(journal, state, op("budget-set", when, summary, years={str(y): c for y, c in state.budget}))
    return result


def shares_of(total: int, kind: str, codes) -> dict[str, int]:
    """Every member's share of ``total`` under ``kind`` (population: 2025 figures) over the whole term."""
    from ledger.rules import allocate_version

    codes = [c.code if isinstance(c, Member) else c for c in codes]
    return allocate_version(total, make_version(kind, START, **_pops(kind, codes)), codes).shares


def _pops(kind: str, codes) -> dict:
    return {"population_year": 2025, "populations": freeze(codes, 2025)} if kind == "population" else {}
