"""The ledger's core driven as the portal drives it, for tests: ops applied, recalculated, posted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger import municipalities as M
from ledger.journal import Journal
from ledger.params import population_params, rule_params
from ledger.project import Op, ProjectState
from ledger.recalc import Recalculation, step
from tests.common.oracle import Rule

RECORDED = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def residents(code: str, year: int) -> int:
    return M.lookup(code, year).population


@dataclass
class Real:
    """A project in the core: each op applied and recalculated, its entries posted to a journal."""

    journal: Journal
    state: ProjectState | None = None

    def run(self, kind: str, effective: dt.date, **params: Any) -> Recalculation:
        op = Op(kind, effective, "test", RECORDED, kind, "", params)
        result = step(self.state, op, assessed=self.journal.assessed_cells(), open_accounts=self.journal.accounts(),
                      fees=self.journal.fee_cells())
        if result.entries():
            self.journal.add(self.journal.seq + 1, result.entries())
        self.state = result.state
        return result

    def create(self, start: dt.date, end: dt.date, budget: dict[int, int], *, policy: str = "whole-term",
               rule: dict[str, Any] | None = None, **settings: str) -> Real:
        self.run("project-created", start, name="t", start=start.isoformat(), end=end.isoformat(), policy=policy,
                 budget={str(y): c for y, c in budget.items()}, rule=rule or version("equal", start, [])[0],
                 settings=settings)
        return self

    def join(self, codes: list[str], on: dt.date) -> Recalculation:
        return self.run("members-added", on, cities=codes, populations=population_params(self.state, codes))

    def leave(self, code: str, on: dt.date) -> Recalculation:
        return self.run("member-withdrawn", on, city=code)

    def snapshot(self) -> tuple[ProjectState | None, int]:
        return (self.state, self.journal.seq)

    def assessed(self) -> dict[tuple[int, str], int]:
        return {cell: v for cell, v in sorted(self.journal.assessed_cells().items()) if v}  # type: ignore[misc]

    def charged(self) -> dict[tuple[int, str], int]:
        return {cell: v for cell, v in sorted(self.journal.charged_cells().items()) if v}  # type: ignore[misc]

    def of(self, code: str) -> dict[int, int]:
        """One member's assessed cents by year."""
        return {y: v for (y, c), v in self.assessed().items() if c == code}


def new_project(start: dt.date, end: dt.date, budget: dict[int, int], **kw: Any) -> Real:
    return Real(Journal("t")).create(start, end, budget, **kw)


def version(kind: str, effective: dt.date, codes: list[str], *, base: int | None = None, pct: dict[str, int] | None = None,
            caps: dict[str, int] | None = None, floors: dict[str, int] | None = None) -> tuple[dict[str, Any], Rule]:
    """A version for the core and the oracle alike: the op's JSON (2025 populations frozen for ``codes``) and a Rule."""
    year = 2025 if kind in ("population", "hybrid") else None
    params = rule_params(kind, effective=effective, population_year=year, codes=codes, base_percent=base,
                         percentages={c: str(p) for c, p in (pct or {}).items()} or None, caps=caps or None, floors=floors or None)
    rule = Rule(kind, effective, year, Fraction(base) if base is not None else None,
                {c: Fraction(p) for c, p in (pct or {}).items()}, dict(caps or {}), dict(floors or {}))
    return params, rule
