"""Random histories of changes for both the core and the oracle, and running one change on both.

A history is drawn step by step: each change is a list of :data:`Step` pairs, what the project
under test does (``Driver.run(kind, effective, **params)``, the op as the portal builds it) and
what the oracle does. :func:`both` runs a change on both sides; they must agree whether it is
refused, and a refused change must leave the project as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.params import fee_params, population_params, spread
from ledger.project import ProjectState
from tests.common.core import version
from tests.common.oracle import Oracle, Refused, Rule

D = dt.date
POOL = ["020", "091", "106", "286", "491", "638", "743", "905"]


class Driver(Protocol):
    """A project under test: the core alone (``tests.common.core.Real``) or the portal's change service."""

    @property
    def state(self) -> ProjectState | None: ...

    def run(self, kind: str, effective: dt.date, **params: Any) -> Any: ...

    def snapshot(self) -> Any: ...


# -- the strategies -----------------------------------------------------------------------------------
@st.composite
def terms(draw: st.DrawFn) -> tuple[dt.date, dt.date, dict[int, int]]:
    first = draw(st.integers(2025, 2026))
    last = draw(st.integers(first, 2028))
    start = draw(st.sampled_from([D(first, 1, 1), D(first, 3, 1)]))
    end = draw(st.sampled_from([D(last, 12, 31), D(last, 10, 31)]))
    budget = {y: draw(st.integers(0, 2_000_000)) for y in range(first, last + 1)}
    return start, end, budget


def dates(start: dt.date, end: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=start, max_value=end)


Step = tuple[Callable[[Driver], None], Callable[[Oracle], None]]   # one change, as each side makes it


@st.composite
def changes(draw: st.DrawFn, start: dt.date, end: dt.date, years: list[int]) -> tuple[str, list[Step]]:
    kind = draw(st.sampled_from(["join", "join", "join", "leave", "budget", "total", "rule", "policy", "settings", "close",
                                 "grant", "subsidy", "charge", "cancel", "fee"]))
    on = draw(dates(start, end))
    code = draw(st.sampled_from(POOL))
    year = draw(st.sampled_from(years))
    cents = draw(st.integers(1, 300_000))
    if kind == "join":
        wanted = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True))
        valid = draw(st.booleans())  # mostly cities that may join, on a day they may; sometimes anything
        joining: list[str] = []
        when: list[dt.date] = []

        def join(r: Driver) -> None:
            state = r.state
            codes = [c for c in wanted if not valid or state is None or c not in state.current()] or wanted
            lefts = [m.left for c in codes if state and (m := state.member(c)) and m.left]
            day = max([on, *(d + dt.timedelta(days=1) for d in lefts)]) if valid else on
            joining[:], when[:] = codes, [min(day, end)]
            r.run("members-added", when[0], cities=codes, populations=population_params(state, codes))
        return f"join {wanted} {on}", [(join, lambda o: o.join(joining, when[0]))]
    if kind == "leave":
        pick = draw(st.integers(0, 99))
        chosen: list[str] = []

        left: list[dt.date] = []

        def leave(r: Driver) -> None:
            current = r.state.current() if r.state else []
            chosen[:] = [current[pick % len(current)] if current else code]
            m = r.state.member(chosen[0]) if r.state else None
            left[:] = [max(on, m.joined) if m and pick % 4 else on]
            r.run("member-withdrawn", left[0], city=chosen[0])
        return f"leave #{pick} {on}", [(leave, lambda o: o.leave(chosen[0], left[0]))]
    if kind == "budget":
        amount = draw(st.integers(0, 2_000_000))
        return f"budget {year}={amount}", [(lambda r: r.run("budget-set", start, years={str(year): amount}),
                                            lambda o: o.set_budget({year: amount}))]
    if kind == "total":
        return _total(draw, start, end)
    if kind == "rule":
        return _rule(draw, start, on)
    if kind == "policy":
        policy = draw(st.sampled_from(["whole-term", "pro-rata"]))
        return f"policy {policy}", [(lambda r: r.run("policy-set", start, policy=policy), lambda o: o.set_policy(policy))]
    if kind == "settings":
        leaver = draw(st.sampled_from(["keeps-years", "stops"]))
        joiner = draw(st.sampled_from(["open-years", "catch-up"]))
        return f"settings {leaver} {joiner}", [(lambda r: r.run("settings-set", start, leaver=leaver, joiner=joiner),
                                                lambda o: o.set_settings(leaver=leaver, joiner=joiner))]
    if kind == "close":
        return f"close {year}", [(lambda r: r.run("year-closed", start, year=year), lambda o: o.close(year))]
    if kind == "grant":
        target = draw(st.sampled_from([None, code]))
        return f"grant {year} {cents} {target}", [(lambda r: r.run("grant-added", start, year=year, cents=cents, text="grant",
                                                                    target=target), lambda o: o.grant(year, cents, target))]
    if kind == "subsidy":
        return _subsidy(draw, start, end, code)
    if kind == "charge":
        pick = draw(st.integers(0, 99))
        charged: list[str] = []

        def charge(r: Driver) -> None:
            codes = r.state.codes() if r.state else []
            charged[:] = [codes[pick % len(codes)] if codes else code]
            r.run("charge-added", on, city=charged[0], cents=cents, text="own devices")
        return f"charge #{pick} {on} {cents}", [(charge, lambda o: o.charge(charged[0], on, cents))]
    if kind == "cancel":
        number = draw(st.integers(1, 3))
        return f"cancel {number}", [(lambda r: r.run("charge-cancelled", start, number=number, reason="error"),
                                     lambda o: o.cancel_charge(number))]
    return _fee(draw, start, end)


def _total(draw: st.DrawFn, start: dt.date, end: dt.date) -> tuple[str, list[Step]]:
    total = draw(st.integers(0, 5_000_000))
    chosen: dict[int, int] = {}

    def real(r: Driver) -> None:
        assert r.state is not None
        kept = {y: r.state.budget_map.get(y, 0) for y in r.state.closed}
        chosen.clear()
        try:
            chosen.update({y: c for y, c in spread(total, start, end, kept).items() if y not in r.state.closed})
        except LedgerError:
            return  # no change to make: the total cannot be spread (the closed years hold more)
        r.run("budget-set", start, years={str(y): c for y, c in chosen.items()})

    def mirror(o: Oracle) -> None:
        if chosen:
            o.set_budget(dict(chosen))
    return f"total {total}", [(real, mirror)]


def _subsidy(draw: st.DrawFn, start: dt.date, end: dt.date, code: str) -> tuple[str, list[Step]]:
    rate = draw(st.integers(0, 9_000))
    hours = draw(st.lists(st.tuples(dates(start, end), st.integers(1, 2400)), min_size=1, max_size=3))
    target = draw(st.sampled_from([None, None, code]))
    rows = [{"person": "p", "date": d.isoformat(), "task": "t", "hours": str(Decimal(h) / 100)} for d, h in hours]
    return f"subsidy {rate} {hours} {target}", [
        (lambda r: r.run("subsidy-set", start, key="state", rate_cents=rate, text="state", target=target),
         lambda o: o.subsidy("state", rate, target)),
        (lambda r: r.run("hours-logged", start, key="state", entries=rows),
         lambda o: o.hours("state", [(d, Decimal(h) / 100) for d, h in hours])),
    ]


def _fee(draw: st.DrawFn, start: dt.date, end: dt.date) -> tuple[str, list[Step]]:
    until = draw(dates(start, end))
    prices = draw(st.tuples(st.integers(0, 300), st.integers(0, 600)))
    tiers = [(until, prices[0]), (None, prices[1])]

    def real(r: Driver) -> None:
        assert r.state is not None
        r.run("joining-fee-set", start, tiers=[[until.isoformat(), prices[0]], [None, prices[1]]], population_year=2025,
              populations=fee_params(r.state, 2025))
    return f"fee {tiers}", [(real, lambda o: o.joining_fee(tiers, 2025))]


def _rule(draw: st.DrawFn, start: dt.date, on: dt.date) -> tuple[str, list[Step]]:
    kind = draw(st.sampled_from(["equal", "population", "hybrid", "fixed"]))
    effective = draw(st.sampled_from([start, on]))
    base = draw(st.integers(0, 100)) if kind == "hybrid" else None
    bounds = draw(st.lists(st.tuples(st.sampled_from(["cap", "floor"]), st.sampled_from(POOL), st.integers(0, 200)),
                           max_size=3, unique_by=lambda b: b[1]))
    weights = draw(st.lists(st.integers(1, 9), min_size=len(POOL), max_size=len(POOL)))
    made: list[Rule] = []

    def real(r: Driver) -> None:
        assert r.state is not None
        codes = r.state.codes()
        pct: dict[str, int] | None = None
        if kind == "fixed":
            named = codes or POOL[:2]
            shares = dict(zip(named, weights, strict=False))
            total = sum(shares.values())
            pct = {c: w * 100 // total for c, w in shares.items()}
            pct[named[0]] += 100 - sum(pct.values())
        # a bound near a member's fair share of the term, so that it binds often: percent of total / members
        fair = max(r.state.total // max(len(codes), 1), 1)
        caps = {c: fair * x // 100 for kind_, c, x in bounds if kind_ == "cap"} or None
        floors = {c: fair * x // 200 for kind_, c, x in bounds if kind_ == "floor"} or None
        params, oracle_rule = version(kind, effective, codes, base=base, pct=pct, caps=caps, floors=floors)
        made[:] = [oracle_rule]
        r.run("rule-set", effective, version=params)
    return f"rule {kind} {effective} base={base} bounds={bounds}", [(real, lambda o: o.set_rule(made[0]))]


def both(real: Driver, oracle: Oracle, steps: list[Step]) -> str:
    """Run one change on both sides; they must agree whether it is refused, and a refusal posts nothing."""
    for make, mirror in steps:
        before = real.snapshot()
        try:
            make(real)
        except LedgerError as exc:
            assert real.snapshot() == before, "a refused change must post nothing"
            try:
                mirror(oracle)
            except Refused:
                return "refused by both"
            raise AssertionError(f"the core refused ({exc.message}) but the oracle accepted") from None
        try:
            mirror(oracle)
        except Refused as exc:
            raise AssertionError(f"the oracle refused ({exc}) but the core accepted") from None
    return "done"


