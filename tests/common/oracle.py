"""An independent oracle of docs/cost-sharing.md: the rules again, in exact fractions.

Written from the specification alone (it shares no code with ``ledger/`` or ``portal/`` and imports
neither). Every change is applied to a copy of the history, everything is recomputed from it, and a
refused change leaves the oracle as it was. Amounts are integer cents; shares are ``Fraction``s.
Where the specification leaves a point open, the choice made is marked "Reading:" in a comment.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import floor

from tests.common.oracle_rules import Refused, Rule, check_version, governing

date = datetime.date
Shares = dict[str, Fraction]

__all__ = ["Oracle", "Refused", "Rule"]


POLICIES = ("whole-term", "pro-rata")
LEAVERS = ("keeps-years", "stops")
JOINERS = ("open-years", "catch-up")


@dataclass
class _Charge:
    code: str
    on: date
    cents: int
    cancelled: bool = False


@dataclass
class _History:
    """Everything the rules are computed from (copied before a change, kept only if it is accepted)."""

    budget: dict[int, int]
    policy: str
    leaver: str
    joiner: str
    rules: list[Rule]
    periods: dict[str, list[tuple[date, date | None]]] = field(default_factory=dict)
    grants: list[tuple[int, int, str | None]] = field(default_factory=list)
    subsidies: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    hours: dict[str, list[tuple[date, Decimal]]] = field(default_factory=dict)
    charges: list[_Charge] = field(default_factory=list)
    fee: tuple[tuple[tuple[date | None, int], ...], int] | None = None
    catch_ups: list[tuple[str, int, int]] = field(default_factory=list)  # code, year, cents
    # What each closed year holds, as it was when it was closed (section 7).
    closed: dict[int, dict[str, int]] = field(default_factory=dict)  # assessed cents
    closed_charged: dict[int, dict[str, int]] = field(default_factory=dict)
    closed_unused: dict[int, list[tuple[int, str | None, int]]] = field(default_factory=dict)


@dataclass
class _View:
    cf: dict[int, int]
    exact: dict[int, Shares]
    shares: dict[int, dict[str, int]]
    assessed: dict[int, dict[str, int]]
    unused: list[tuple[int, str | None, int]]


def half_up(x: Fraction) -> int:
    return floor(x + Fraction(1, 2))


class Oracle:
    def __init__(self, *, start: date, end: date, budget: Mapping[int, int], policy: str, rule: Rule,
                 populations: Callable[[str, int], int], leaver: str = "keeps-years", joiner: str = "open-years") -> None:
        if start > end:
            raise Refused("the term ends before it starts")
        self.start, self.end, self.populations = start, end, populations
        self.years = list(range(start.year, end.year + 1))
        if policy not in POLICIES or leaver not in LEAVERS or joiner not in JOINERS:
            raise Refused("unknown policy or setting")
        self._h = _History(budget=dict.fromkeys(self.years, 0), policy=policy, leaver=leaver, joiner=joiner, rules=[])
        self._view = _View({}, {}, {}, {}, [])

        def create() -> None:
            self._set_budgets(budget)
            self._add_rule(rule)

        self._change(create)

    # -- applying a change ------------------------------------------------------------------------

    def _change(self, apply: Callable[[], object]) -> None:
        saved = self._h
        self._h = copy.deepcopy(saved)
        try:
            apply()
            self._view = self._recompute()
        except Refused:
            self._h = saved
            raise

    # -- section 1: the term and its budget years -------------------------------------------------

    def _dated(self, on: date) -> None:
        """Section 1 and 7: a date must lie within the term and not in a closed year."""
        if not self.start <= on <= self.end:
            raise Refused(f"{on} is outside the term")
        if on.year in self._h.closed:
            raise Refused(f"{on.year} is closed")

    def _set_budgets(self, years: Mapping[int, int]) -> None:
        for year, cents in years.items():
            if year not in self.years:
                raise Refused(f"{year} is not a budget year")
            if year in self._h.closed:
                raise Refused(f"{year} is closed")
            if cents < 0:
                raise Refused("a budget is not below zero")
            self._h.budget[year] = cents

    # -- section 2: members and their periods -----------------------------------------------------

    def _days(self, code: str, year: int) -> int:
        first, last = max(date(year, 1, 1), self.start), min(date(year, 12, 31), self.end)
        total = 0
        for joined, left in self._h.periods[code]:
            lo, hi = max(first, joined), min(last, left or self.end)
            total += max(0, (hi - lo).days + 1)
        return total

    def _join(self, codes: Sequence[str], on: date) -> None:
        self._dated(on)
        if len(set(codes)) != len(codes):
            raise Refused("a city joins once")
        for code in codes:
            periods = self._h.periods.setdefault(code, [])
            if periods and periods[-1][1] is None:
                raise Refused(f"{code} is already a member")
            if periods and on <= periods[-1][1]:  # type: ignore[operator]
                raise Refused(f"{code} rejoins on or before its last leave date")
            periods.append((on, None))
        for code in codes:
            if len(self._h.periods[code]) == 1:
                self._catch_up(code, on)

    def _leave(self, code: str, on: date) -> None:
        self._dated(on)
        periods = self._h.periods.get(code)
        if not periods or periods[-1][1] is not None:
            raise Refused(f"{code} is not a current member")
        if on < periods[-1][0]:
            raise Refused("a member leaves on a day not before it joined")
        periods[-1] = (periods[-1][0], on)

    # -- section 3: the rule version of each year -------------------------------------------------

    def _governing(self, year: int) -> Rule:
        return governing(self._h.rules, year)

    def _add_rule(self, rule: Rule) -> None:
        self._dated(rule.effective)
        check_version(self._h.rules, rule)
        if self._h.periods:  # section 3: set on a project with members, a version names only members
            for code in (*rule.percentages, *rule.caps, *rule.floors):
                if code not in self._h.periods:
                    raise Refused(f"{code} was never a member")
        self._h.rules.append(rule)

    def _check_versions(self) -> None:
        """Section 3: a fixed version names every member that shares an open year it governs."""
        for year in self.years:
            if year in self._h.closed:
                continue
            rule = self._governing(year)
            if rule.kind == "fixed":
                missing = sorted(set(self._sharers(year)) - set(rule.percentages))
                if missing:
                    raise Refused(f"the fixed version has no percentage for {', '.join(missing)} in {year}")

    # -- section 4: what the members co-fund each year --------------------------------------------

    def _subsidy_years(self, key: str) -> dict[int, int]:
        """A subsidy's amount (hours × rate, rounded half up once), split over the years by hours."""
        rate, _target = self._h.subsidies[key]
        by_year: dict[int, Fraction] = {}
        for on, hours in self._h.hours.get(key, []):
            by_year[on.year] = by_year.get(on.year, Fraction(0)) + Fraction(hours)
        total_hours = sum(by_year.values(), Fraction(0))
        if total_hours == 0:
            return {}
        amount = half_up(total_hours * rate)
        quota = {year: amount * hours / total_hours for year, hours in by_year.items()}
        split = {year: floor(q) for year, q in quota.items()}
        left = amount - sum(split.values())
        for year in sorted(quota, key=lambda y: (-(quota[y] - split[y]), y))[:left]:
            split[year] += 1
        return split

    def _funding(self) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
        """General funding per year, and targeted funding per (year, member)."""
        general = dict.fromkeys(self.years, 0)
        targeted: dict[tuple[int, str], int] = {}
        parts = [(year, cents, target) for year, cents, target in self._h.grants]
        for key, (_rate, target) in self._h.subsidies.items():
            parts += [(year, cents, target) for year, cents in self._subsidy_years(key).items()]
        for year, cents, target in parts:
            if target is None:
                general[year] += cents
            else:
                targeted[year, target] = targeted.get((year, target), 0) + cents
        return general, targeted

    def _target(self, target: str | None) -> None:
        if target is not None and target not in self._h.periods:
            raise Refused(f"{target} was never a member")

    # -- section 5: who shares a year, and by what weight -----------------------------------------

    def _sharers(self, year: int) -> dict[str, int]:
        """The members that share ``year``, each with its ``d`` (days, or 1 under whole-term)."""
        if self._h.policy == "pro-rata":
            days = {code: self._days(code, year) for code in self._h.periods}
            return {code: d for code, d in days.items() if d > 0}
        return {code: 1 for code in self._h.periods if self._shares_whole_term(code, year)}

    def _shares_whole_term(self, code: str, year: int) -> bool:
        for index, (joined, left) in enumerate(self._h.periods[code]):
            if self._h.leaver == "stops" and left is not None:
                continue
            if (left is None or year <= left.year) and (year >= joined.year or index == 0):
                return True
        return False

    def _split(self, amount: Fraction, year: int, sharers: Mapping[str, int]) -> Shares:
        """``amount`` of ``year`` split among ``sharers`` by the governing version's weights."""
        if amount == 0:
            return dict.fromkeys(sharers, Fraction(0))
        if not sharers:
            raise Refused(f"no member in {year} to share its co-funded amount")
        rule = self._governing(year)
        if rule.kind == "hybrid":
            b = Fraction(rule.base_percent or 0) / 100
            by_days = {c: Fraction(d) for c, d in sharers.items()}
            parts = [(amount * b, by_days), (amount * (1 - b), self._population_weights(rule, sharers))]
        elif rule.kind == "population":
            parts = [(amount, self._population_weights(rule, sharers))]
        elif rule.kind == "fixed":
            if set(sharers) - set(rule.percentages):
                raise Refused(f"the fixed version has no percentage for a sharer of {year}")
            parts = [(amount, {c: Fraction(rule.percentages[c]) * d for c, d in sharers.items()})]
        else:
            parts = [(amount, {c: Fraction(d) for c, d in sharers.items()})]
        shares = dict.fromkeys(sharers, Fraction(0))
        for part, weights in parts:
            total = sum(weights.values(), Fraction(0))
            if part == 0:
                continue
            if total == 0:  # Reading: only a year with something to split is refused for zero weights.
                raise Refused(f"the weights of {year} sum to zero")
            for code, weight in weights.items():
                shares[code] += part * weight / total
        return shares

    def _population_weights(self, rule: Rule, sharers: Mapping[str, int]) -> Shares:
        assert rule.population_year is not None
        return {c: Fraction(self.populations(c, rule.population_year) * d) for c, d in sharers.items()}

    # -- section 6: caps and floors bind the term share -------------------------------------------

    def _bounded(self, cf: dict[int, int], sharers: dict[int, dict[str, int]], unbounded: dict[int, Shares]) -> dict[int, Shares]:
        rule = self._governing(self.years[-1])
        if not rule.caps and not rule.floors:
            return unbounded
        kept = {c: sum(held.get(c, 0) for held in self._h.closed.values()) for c in self._h.periods}
        lo = {c: floor_ - kept.get(c, 0) for c, floor_ in rule.floors.items()}
        hi = {c: cap - kept.get(c, 0) for c, cap in rule.caps.items()}
        if any(limit < 0 for limit in hi.values()):
            raise Refused("a cap is below what closed years hold")
        if any(c in hi and lo[c] > hi[c] for c in lo):
            raise Refused("a floor is above its cap")  # Reading: not named by the spec, but unsatisfiable.
        total = {c: sum((b.get(c, Fraction(0)) for b in unbounded.values()), Fraction(0)) for c in self._h.periods}
        if any(lo[c] > 0 and total.get(c, 0) == 0 for c in lo):
            raise Refused("a member with a floor shares no open year and holds less in closed years")
        targets = self._term_targets(total, lo, hi, sum(cf.values()))
        while True:  # steps 3 and 4
            exact: dict[int, Shares] = {}
            for year, b in unbounded.items():
                exact[year] = {c: b.get(c, Fraction(0)) * t / total[c] for c, t in targets.items()}
                left = cf[year] - sum(exact[year].values(), Fraction(0))
                if left < 0:
                    raise Refused(f"the bounded members would take more than {year}'s co-funded amount")
                others = {c: d for c, d in sharers[year].items() if c not in targets}
                if left > 0 and not others:
                    raise Refused(f"every sharer of {year} is bounded and something is left over")
                base = sum((b.get(c, Fraction(0)) for c in others), Fraction(0))  # section 6.3: by unbounded shares
                if left > 0 and base == 0:
                    raise Refused(f"every sharer of {year} is bounded and something is left over")
                exact[year].update({c: left * b.get(c, Fraction(0)) / base if base else Fraction(0) for c in others})
            broken = {}
            for code in (c for c in self._h.periods if c not in targets):
                paid = sum((e.get(code, Fraction(0)) for e in exact.values()), Fraction(0))
                if code in hi and paid > hi[code]:
                    broken[code] = Fraction(hi[code])
                elif code in lo and paid < lo[code]:
                    broken[code] = Fraction(lo[code])
            if not broken:
                return exact
            targets.update(broken)  # Reading: every member that breaks a bound joins H at once.

    @staticmethod
    def _term_targets(total: Shares, lo: dict[str, int], hi: dict[str, int], target: int) -> dict[str, Fraction]:
        """Step 2: T = clamp(λ·U, floor − K, cap − K) with the smallest λ giving Σ T = Σ CF; the held ones."""

        def clamp(x: Fraction, c: str) -> Fraction:
            if c in lo and x < lo[c]:
                return Fraction(lo[c])
            if c in hi and x > hi[c]:
                return Fraction(hi[c])
            return x

        def at(lam: Fraction) -> Fraction:
            return sum((clamp(lam * u, c) for c, u in total.items()), Fraction(0))

        most = None if any(u > 0 and c not in hi for c, u in total.items()) else sum(hi[c] for c, u in total.items() if u > 0)
        if at(Fraction(0)) > target or (most is not None and most < target):
            raise Refused("the floors add up to more than the open years, or the caps hold less")
        points = {Fraction(0)} | {Fraction(b, 1) / u for c, u in total.items() if u > 0 for b in (lo.get(c), hi.get(c)) if b is not None and b > 0}
        ordered = sorted(points)
        lam = Fraction(0)
        for a, b in zip(ordered, [*ordered[1:], None], strict=True):
            if at(a) >= target:
                lam = a
                break
            if b is not None and at(b) < target:
                continue
            probe = a + 1 if b is None else (a + b) / 2
            slope = sum((u for c, u in total.items() if clamp(probe * u, c) == probe * u), Fraction(0))
            lam = a + (target - at(a)) / slope
            break
        return {c: clamp(lam * u, c) for c, u in total.items() if clamp(lam * u, c) != lam * u}

    # -- section 7: closed years ------------------------------------------------------------------

    def _close(self, year: int) -> None:
        if year not in self.years or year in self._h.closed:
            raise Refused(f"{year} is not an open budget year")
        members = self._h.periods
        self._h.closed[year] = {c: self._view.assessed.get(year, {}).get(c, 0) for c in members}
        self._h.closed_charged[year] = {c: cents for (y, c), cents in self._charged().items() if y == year}
        self._h.closed_unused[year] = [u for u in self._view.unused if u[0] == year]

    # -- section 8: rounding, cumulative; then targeted funding -----------------------------------

    def _round(self, exact: dict[int, Shares], sharers: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
        x = dict.fromkeys(self._h.periods, Fraction(0))
        r = dict.fromkeys(self._h.periods, 0)
        shares: dict[int, dict[str, int]] = {}
        for year in self.years:
            if year in self._h.closed:
                for code, cents in self._h.closed[year].items():
                    x[code] += cents
                    r[code] += cents
                continue
            for code in x:
                x[code] += exact[year].get(code, Fraction(0))
            new = {code: floor(value) for code, value in x.items()}
            left = sum(x.values()) - sum(new.values())
            assert left.denominator == 1
            # (1) negative at ⌊X⌋, (2) the year's sharers, (3) the others; larger fraction, lower code.
            order = sorted(
                (1 if new[c] < r[c] else 2 if c in sharers[year] else 3, -(x[c] - new[c]), c) for c in x if x[c] != new[c]
            )
            for _group, _fraction, code in order[: int(left)]:
                new[code] += 1
            shares[year] = {code: new[code] - r[code] for code in x}
            r = new
        return shares

    def _assess(self, shares: dict[int, dict[str, int]], general: dict[int, int],
                targeted: dict[tuple[int, str], int]) -> tuple[dict[int, dict[str, int]], list[tuple[int, str | None, int]]]:
        """Targeted funding taken off its member's share of its year, never below zero; the rest unused."""
        assessed: dict[int, dict[str, int]] = {}
        unused = [u for year in sorted(self._h.closed) for u in self._h.closed_unused[year]]
        for year in self.years:
            if year in self._h.closed:
                continue
            if general[year] > self._h.budget[year]:
                unused.append((year, None, general[year] - self._h.budget[year]))
            assessed[year] = dict(shares.get(year, {}))
            for (y, code), cents in sorted(targeted.items()):
                if y == year:
                    share = assessed[year].get(code, 0)
                    used = min(cents, max(share, 0))
                    assessed[year][code] = share - used
                    if cents > used:
                        unused.append((year, code, cents - used))
        return assessed, sorted(unused, key=lambda u: (u[0], u[1] or ""))

    # -- section 9: direct charges, joining fees and the joiner's catch-up ------------------------

    def _charged(self) -> dict[tuple[int, str], int]:
        cells: dict[tuple[int, str], int] = {}

        def post(year: int, code: str, cents: int) -> None:
            cells[year, code] = cells.get((year, code), 0) + cents

        for charge in self._h.charges:
            if not charge.cancelled:
                post(charge.on.year, charge.code, charge.cents)
        for code, year, cents in self._h.catch_ups:
            post(year, code, cents)
        if self._h.fee is not None:
            tiers, population_year = self._h.fee
            for code, periods in self._h.periods.items():
                for joined, _left in periods:
                    price = next(p for last, p in tiers if last is None or joined <= last)
                    post(joined.year, code, price * self.populations(code, population_year))
        for year, held in self._h.closed_charged.items():  # Reading: a closed year's charges stay as closed.
            for key in [k for k in cells if k[0] == year]:
                del cells[key]
            for code, cents in held.items():
                post(year, code, cents)
        return {key: cents for key, cents in cells.items() if cents != 0}

    def _catch_up(self, code: str, on: date) -> None:
        if self._h.policy != "whole-term" or self._h.joiner != "catch-up":
            return
        general, _targeted = self._funding()
        cents = 0
        for year in sorted(y for y in self._h.closed if y < on.year):
            cf = max(0, self._h.budget[year] - general[year])
            sharers = self._sharers(year)
            with contextlib.suppress(Refused):  # Reading: weights summing to zero give no catch-up.
                cents += half_up(self._split(Fraction(cf), year, sharers).get(code, Fraction(0)))
        if cents:
            self._h.catch_ups.append((code, on.year, cents))

    def _set_fee(self, tiers: Sequence[tuple[date | None, int]], population_year: int) -> None:
        dates = [last for last, _price in tiers]
        if not tiers or dates[-1] is not None or None in dates[:-1]:
            raise Refused("the tiers end with one open-ended tier")
        if any(a >= b for a, b in itertools.pairwise(dates[:-1])):  # type: ignore[operator]
            raise Refused("the tiers' last joining dates increase")
        self._h.fee = (tuple(tiers), population_year)

    # -- recomputing everything from the history --------------------------------------------------

    def _recompute(self) -> _View:
        self._check_versions()
        general, targeted = self._funding()
        open_years = [y for y in self.years if y not in self._h.closed]
        cf = {y: max(0, self._h.budget[y] - general[y]) for y in open_years}
        if not self._h.periods:  # Reading: no city has joined yet, so nobody is assessed nor refused.
            return _View(cf, {}, {}, {}, [])
        sharers = {y: self._sharers(y) for y in open_years}
        unbounded = {y: self._split(Fraction(cf[y]), y, sharers[y]) for y in open_years}
        exact = self._bounded(cf, sharers, unbounded)
        shares = self._round(exact, sharers)
        assessed, unused = self._assess(shares, general, targeted)
        return _View(cf, exact, shares, assessed, unused)

    # -- the changes ------------------------------------------------------------------------------

    def join(self, codes: Sequence[str], on: date) -> None:
        self._change(lambda: self._join(list(codes), on))

    def leave(self, code: str, on: date) -> None:
        self._change(lambda: self._leave(code, on))

    def set_budget(self, years: Mapping[int, int]) -> None:
        self._change(lambda: self._set_budgets(years))

    def set_rule(self, rule: Rule) -> None:
        self._change(lambda: self._add_rule(rule))

    def set_policy(self, policy: str) -> None:
        if policy not in POLICIES or policy == self._h.policy:
            raise Refused(f"the policy is already {policy}, or no policy")
        self._change(lambda: setattr(self._h, "policy", policy))

    def set_settings(self, *, leaver: str | None = None, joiner: str | None = None) -> None:
        if (leaver is not None and leaver not in LEAVERS) or (joiner is not None and joiner not in JOINERS):
            raise Refused("unknown setting")

        if (leaver or self._h.leaver, joiner or self._h.joiner) == (self._h.leaver, self._h.joiner):
            raise Refused("the settings are so already")  # section 2: a change to what is already so is refused

        def apply() -> None:
            self._h.leaver = leaver or self._h.leaver
            self._h.joiner = joiner or self._h.joiner

        self._change(apply)

    def close(self, year: int) -> None:
        self._change(lambda: self._close(year))

    def grant(self, year: int, cents: int, target: str | None = None) -> None:
        def apply() -> None:
            if year not in self.years or year in self._h.closed:
                raise Refused(f"{year} is not an open budget year")
            if cents < 0:
                raise Refused("a grant is not negative")
            self._target(target)
            self._h.grants.append((year, cents, target))

        self._change(apply)

    def subsidy(self, key: str, rate_cents: int, target: str | None = None) -> None:
        def apply() -> None:
            if rate_cents < 0:
                raise Refused("an hourly rate is not negative")
            self._target(target)
            self._h.subsidies[key] = (rate_cents, target)

        self._change(apply)

    def hours(self, key: str, rows: Sequence[tuple[date, Decimal]]) -> None:
        def apply() -> None:
            if key not in self._h.subsidies:
                raise Refused(f"no subsidy {key}")
            for on, hours in rows:
                self._dated(on)
                if hours < 0:
                    raise Refused("hours are not negative")
                self._h.hours.setdefault(key, []).append((on, Decimal(hours)))

        self._change(apply)

    def charge(self, code: str, on: date, cents: int) -> None:
        def apply() -> None:
            self._dated(on)
            if code not in self._h.periods:
                raise Refused(f"{code} was never a member")
            self._h.charges.append(_Charge(code, on, cents))

        self._change(apply)

    def cancel_charge(self, number: int) -> None:
        def apply() -> None:
            if not 1 <= number <= len(self._h.charges) or self._h.charges[number - 1].cancelled:
                raise Refused(f"no charge {number} to cancel")
            self._dated(self._h.charges[number - 1].on)
            self._h.charges[number - 1].cancelled = True

        self._change(apply)

    def joining_fee(self, tiers: Sequence[tuple[date | None, int]], population_year: int) -> None:
        self._change(lambda: self._set_fee(tiers, population_year))

    # -- reading ----------------------------------------------------------------------------------

    def assessed(self) -> dict[tuple[int, str], int]:
        cells = {(y, c): cents for y, held in self._h.closed.items() for c, cents in held.items()}
        cells.update({(y, c): cents for y, row in self._view.assessed.items() for c, cents in row.items()})
        return {key: cells[key] for key in sorted(cells) if cells[key] != 0}

    def charged(self) -> dict[tuple[int, str], int]:
        cells = self._charged()
        return {key: cells[key] for key in sorted(cells)}

    def exact(self) -> dict[tuple[int, str], Fraction]:
        return {(y, c): e for y in sorted(self._view.exact) for c, e in sorted(self._view.exact[y].items()) if e != 0}

    # diagnostics beyond the interface
    def shares(self) -> dict[tuple[int, str], int]:
        """Section 8's share of each open year, before targeted funding (only non-zero cells)."""
        return {(y, c): s for y in sorted(self._view.shares) for c, s in sorted(self._view.shares[y].items()) if s != 0}

    def co_funded(self) -> dict[int, int]:
        """CF[y] of the open years."""
        return dict(self._view.cf)

    def unused(self) -> list[tuple[int, str | None, int]]:
        """(year, target or None for general funding, cents) of funding that could not be used."""
        return list(self._view.unused)

    @property
    def policy(self) -> str:
        return self._h.policy

    def closed_years(self) -> list[int]:
        return sorted(self._h.closed)

    def members(self) -> dict[str, list[tuple[date, date | None]]]:
        return copy.deepcopy(self._h.periods)

