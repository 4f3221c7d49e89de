"""The README's example tables, computed by the core: the documentation cannot drift from the money."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from tests.common.core import Real, new_project

D = dt.date
BUDGET = {2025: 9_000_000, 2026: 9_000_000}
A, B, C, D4 = "091", "049", "092", "106"


def _three(**settings: str) -> Real:
    project = new_project(D(2025, 1, 1), D(2026, 12, 31), BUDGET, **settings)
    project.join([A, B], D(2025, 1, 1))
    return project


def test_policies_table() -> None:
    whole = _three()
    whole.join([C], D(2025, 7, 1))
    assert set(whole.assessed().values()) == {3_000_000}
    pro = _three(policy="pro-rata")
    pro.join([C], D(2025, 7, 1))
    assert pro.of(A) == pro.of(B) == {2025: 3_594_092, 2026: 3_000_000}
    assert pro.of(C) == {2025: 1_811_816, 2026: 3_000_000}


def test_leaver_table() -> None:
    keeps = _three()
    keeps.join([C], D(2025, 1, 1))
    keeps.leave(B, D(2025, 12, 31))
    assert keeps.of(B) == {2025: 3_000_000}
    assert keeps.of(A) == keeps.of(C) == {2025: 3_000_000, 2026: 4_500_000}
    stops = _three(leaver="stops")
    stops.join([C], D(2025, 1, 1))
    stops.leave(B, D(2025, 12, 31))
    assert stops.of(B) == {}
    assert stops.of(A) == stops.of(C) == {2025: 4_500_000, 2026: 4_500_000}


def test_joiner_table() -> None:
    for joiner, catch_up in (("open-years", {}), ("catch-up", {(2026, D4): 2_250_000})):
        project = _three(joiner=joiner)
        project.join([C], D(2025, 1, 1))
        project.run("year-closed", D(2025, 12, 31), year=2025)
        project.join([D4], D(2026, 3, 1))
        assert project.of(D4) == {2026: 2_250_000}
        assert project.charged() == catch_up


def test_rounding_example() -> None:
    """520,000 EUR over the demo's five budget years among 17: term shares 30,588.23 or .24, the extra cent moving."""
    budget = {2025: 8_000_000, 2026: 15_000_000, 2027: 11_000_000, 2028: 10_000_000, 2029: 8_000_000}
    codes = ["109", "091", "049", "092", "853", "837", "564", "179", "297", "398", "167", "638", "405", "609", "743", "905", "186"]
    project = new_project(D(2025, 1, 1), D(2029, 12, 31), budget)
    project.join(codes, D(2025, 1, 1))
    totals: dict[str, int] = defaultdict(int)
    extra_cents: dict[int, set[str]] = defaultdict(set)
    for (year, code), cents in project.assessed().items():
        totals[code] += cents
        if cents * 17 > budget[year]:
            extra_cents[year].add(code)
    assert set(totals.values()) == {3_058_823, 3_058_824}
    assert sum(totals.values()) == 52_000_000
    assert len({frozenset(v) for v in extra_cents.values()}) > 1
