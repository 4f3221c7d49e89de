"""The ledger's core against the independent oracle (tests/common/oracle.py), change after change.

Random histories of 3–10 changes (joins, withdrawals, rejoins, budgets per year and in total, rule
versions with caps and floors, policy and settings switches, closed years, grants, subsidies and
hours, charges and their cancellation, joining fees) go through the real core as the portal runs
it (``ledger.recalc.step`` posting into a ``Journal``) and through the oracle. After every step
both agree on whether the change is refused, and every member's assessed and charged cents of
every year are the same. ``make soak`` asks for many more histories (``ORACLE_EXAMPLES``); the
same histories run through the portal's change service in tests/portal/projects/test_money.py.
"""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.journal import Journal
from ledger.params import population_params
from tests.common.core import Real, residents, version
from tests.common.histories import POOL, Step, both, changes, terms
from tests.common.oracle import Oracle, Rule

D = dt.date
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "150"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(term=terms(), data=st.data())
def test_every_members_cents_of_every_year_agree_with_the_oracle_after_every_change(term, data) -> None:
    start, end, budget = term
    params, rule = version("equal", start, [])
    real = Real(Journal("t"))
    real.run("project-created", start, name="t", start=start.isoformat(), end=end.isoformat(), policy="whole-term",
             budget={str(y): c for y, c in budget.items()}, rule=params)
    oracle = Oracle(start=start, end=end, budget=budget, policy="whole-term", rule=rule, populations=residents)
    done: list[str] = []
    for _ in range(data.draw(st.integers(3, 10))):
        label, steps = data.draw(changes(start, end, sorted(budget)))
        outcome = both(real, oracle, steps)
        event(f"{label.split()[0]}: {outcome}")
        done.append(f"{label}: {outcome}")
        assert real.assessed() == oracle.assessed(), "\n".join(done)
        assert real.charged() == oracle.charged(), "\n".join(done)


@st.composite
def staggered(draw: st.DrawFn) -> list[tuple[str, dt.date, dt.date | None]]:
    """Members whose periods differ, so that each year has other sharers (where caps bite unevenly)."""
    periods = []
    for code in POOL[:5]:
        joined = draw(st.sampled_from([D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1), D(2026, 9, 1)]))
        left = draw(st.sampled_from([None, None, D(2026, 6, 30), D(2027, 3, 31)]))
        periods.append((code, joined, left if left is None or left > joined else None))
    return periods


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periods=staggered(), budgets=st.lists(st.integers(10_000, 1_000_000), min_size=3, max_size=3),
       bounds=st.lists(st.tuples(st.sampled_from(["cap", "floor"]), st.sampled_from(POOL[:5]), st.integers(10, 190)),
                       min_size=1, max_size=3, unique_by=lambda b: b[1]),
       kind=st.sampled_from(["equal", "population"]))
def test_caps_and_floors_agree_with_the_oracle_when_each_year_has_other_members(periods, budgets, bounds, kind) -> None:
    start, end = D(2025, 1, 1), D(2027, 12, 31)
    budget = dict(zip((2025, 2026, 2027), budgets, strict=True))
    params, rule = version("equal", start, [])
    real = Real(Journal("t"))
    real.run("project-created", start, name="t", start=start.isoformat(), end=end.isoformat(), policy="pro-rata",
             budget={str(y): c for y, c in budget.items()}, rule=params)
    oracle = Oracle(start=start, end=end, budget=budget, policy="pro-rata", rule=rule, populations=residents)
    founders = [c for c, joined, _ in periods if joined == start] or [periods[0][0]]
    steps: list[Step] = [(lambda r: r.run("members-added", start, cities=founders, populations=population_params(r.state, founders)),
                          lambda o: o.join(founders, start))]
    for code, joined, left in periods:
        if code not in founders:
            steps.append((lambda r, c=code, j=joined: r.run("members-added", j, cities=[c], populations=population_params(r.state, [c])),
                          lambda o, c=code, j=joined: o.join([c], j)))
        if left is not None:
            steps.append((lambda r, c=code, d=left: r.run("member-withdrawn", d, city=c), lambda o, c=code, d=left: o.leave(c, d)))
    fair = sum(budgets) // 5
    caps = {c: fair * x // 100 for what, c, x in bounds if what == "cap"}
    floors = {c: fair * x // 200 for what, c, x in bounds if what == "floor"}
    made: list[Rule] = []

    def bound(r: Real) -> None:
        assert r.state is not None
        rule_params_, oracle_rule = version(kind, start, r.state.codes(), caps=caps, floors=floors)
        made[:] = [oracle_rule]
        r.run("rule-set", start, version=rule_params_)
    steps.append((bound, lambda o: o.set_rule(made[0])))
    done = []
    for step_ in steps:
        done.append(both(real, oracle, [step_]))
        assert real.assessed() == oracle.assessed(), done
    event(done[-1])
