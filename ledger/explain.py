"""Why each member pays what it pays: the inputs, every step and the rounding, as plain data.

:func:`explain` turns an :class:`~ledger.budget.Assessment` into a list of :class:`Step` (text
plus the numbers behind it: ints in cents, exact ``Fraction`` values, dates), which a page can
lay out as it likes; :func:`render_text` prints them for the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, NamedTuple

from ledger.allocation import Allocation, Member, Rounded, largest_remainder
from ledger.budget import Assessment, YearResult
from ledger.money import fmt
from ledger.project import version_groups
from ledger.rules import RuleVersion, Solution, round_solution, solve_version


class Step(NamedTuple):
    kind: str                # inputs, members, budget, funding, weights, exact, bounds, rounding, targeted, charges, result
    text: str
    data: dict[str, Any]


def eur(value: Fraction | int, places: int = 4) -> str:
    """An exact amount in cents as euros; a value that does not end within ``places`` more digits ends in ``...``."""
    value = Fraction(value)
    if value.denominator == 1:
        return fmt(value.numerator)
    with localcontext() as ctx:
        ctx.prec = 60
        full = Decimal(value.numerator) / Decimal(value.denominator) / 100
        shown = full.quantize(Decimal(1).scaleb(-(2 + places)))
    if Fraction(shown) == value / 100:
        return str(shown.normalize())
    return f"{shown}..."


def _ratio(value: Fraction) -> str:
    with localcontext() as ctx:
        ctx.prec = 40
        text = str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001")))
    return text.rstrip("0").rstrip(".") if "." in text else text


def version_steps(version: RuleVersion) -> list[Step]:
    """The rule version: what it is, the decision behind it and everything frozen into it."""
    text = f"Rule version from {version.effective.isoformat()}: {version.describe()}"
    if version.decision:
        text += f"; decision: {version.decision}"
    steps = [Step("inputs", text, {"kind": version.kind, "effective": version.effective, "decision": version.decision})]
    if version.populations:
        pops = ", ".join(f"{c} {p}" for c, p in version.populations)
        steps.append(Step("inputs", f"Populations of {version.population_year}, frozen in the version: {pops}",
                          {"population_year": version.population_year, "populations": version.population_map}))
    if version.base_percent is not None:
        steps.append(Step("inputs", f"{_ratio(version.base_percent)} % split equally, the rest by population",
                          {"base_percent": version.base_percent}))
    if version.percentages:
        steps.append(Step("inputs", "Fixed percentages: " + ", ".join(f"{c} {p} %" for c, p in version.percentages),
                          {"percentages": version.percentage_map}))
    for what, pairs in (("Caps (most a member pays over the term)", version.caps),
                        ("Floors (least a member pays over the term)", version.floors)):
        if pairs:
            steps.append(Step("inputs", f"{what}: " + ", ".join(f"{c} {fmt(v)}" for c, v in pairs),
                              {"caps" if "Caps" in what else "floors": dict(pairs)}))
    return steps


def _tie(allocation: Allocation) -> tuple[Fraction | None, list[str], list[str]]:
    """The fractional part at the cut, and who shares it inside and outside the receivers."""
    fraction = {c: e - (e.numerator // e.denominator) for c, e in allocation.exact.items()}
    if not allocation.extra_cent:
        return None, [], []
    cutoff = fraction[allocation.extra_cent[-1]]
    tied_out = sorted(c for c in fraction if c not in allocation.extra_cent and fraction[c] == cutoff)
    tied_in = [c for c in allocation.extra_cent if fraction[c] == cutoff] if tied_out else []
    return cutoff, tied_in, tied_out


def rounding_reasons(allocation: Allocation) -> dict[str, str]:
    """Why each member that received one of the remaining cents received it."""
    _, tied_in, tied_out = _tie(allocation)
    reasons = {}
    for code in allocation.extra_cent:
        e = allocation.exact[code]
        reason = f"largest remainder: {_ratio(e - e.numerator // e.denominator)} of a cent"
        if code in tied_in:
            reason += f", tied with {', '.join(tied_out)}: the lower code goes first"
        reasons[code] = reason
    return reasons


def split_steps(label: str, allocation: Allocation, solution: Solution | None,
                weights: dict[str, Fraction], days: dict[str, int] | None = None) -> list[Step]:
    """Weights, exact shares, caps and floors, and rounding of one allocation."""
    steps = []
    wsum = Fraction(sum(weights.values())) or Fraction(1)
    parts = []
    for code in sorted(weights):
        part = f"{code} {_ratio(weights[code] / wsum)}"
        if days:
            part += f" ({days[code]} days)"
        parts.append(part)
    basis = "rule weight x days, normalised" if days else ("remaining term share" if solution is None else "rule weight")
    steps.append(Step("weights", f"{label}: {fmt(allocation.total)} EUR by {basis}: " + ", ".join(parts),
                      {"total": allocation.total, "weights": dict(weights), "days": dict(days or {})}))
    if solution is not None and (solution.capped or solution.floored):
        held = [f"{c} at its cap {eur(solution.exact[c])}" for c in solution.capped]
        held += [f"{c} at its floor {eur(solution.exact[c])}" for c in solution.floored]
        steps.append(Step("bounds", f"{label}: " + "; ".join(held) + "; the rest spread over the other members by their weights",
                          {"capped": list(solution.capped), "floored": list(solution.floored), "level": solution.level}))
    steps.append(Step("exact", f"{label}: exact shares: " + ", ".join(f"{c} {eur(allocation.exact[c])}" for c in sorted(allocation.exact)),
                      {"exact": dict(allocation.exact)}))
    floors = {c: e.numerator // e.denominator for c, e in allocation.exact.items()}
    left = allocation.total - sum(floors.values())
    reasons = rounding_reasons(allocation)
    if left:
        cutoff, tied_in, tied_out = _tie(allocation)
        ahead = [c for c in allocation.extra_cent if c not in tied_in]
        text = f"{label}: every share rounded down to the cent leaves {left} cent(s), one each to the largest remainders"
        if ahead:
            e = allocation.exact
            text += ": " + ", ".join(f"{c} ({_ratio(e[c] - e[c].numerator // e[c].denominator)})" for c in ahead)
        if tied_in and cutoff is not None:
            text += (f"; {', '.join(tied_in + tied_out)} tie at {_ratio(cutoff)} of a cent (Fraction {cutoff}), broken by"
                     f" code, lower first: {', '.join(tied_in)} got one, {', '.join(tied_out)} did not")
    else:
        text = f"{label}: the exact shares are whole cents; nothing to round"
    steps.append(Step("rounding", text, {"rounded_down": floors, "remaining": left,
                                         "extra_cent": list(allocation.extra_cent), "reasons": reasons,
                                         "shares": dict(allocation.shares)}))
    return steps


def explain_allocation(total: int, version: RuleVersion, members: Iterable[str | Member]) -> list[Step]:
    """The explanation of one allocation of ``total`` cents under ``version``."""
    solution = solve_version(total, version, members)
    allocation = round_solution(solution)
    return version_steps(version) + split_steps("allocation", allocation, solution, solution.weights)


def _inputs(a: Assessment) -> list[Step]:
    steps: list[Step] = []
    for version, years in version_groups(a.versions):
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
        first, *rest = version_steps(version)
        steps.append(first._replace(text=f"{span}: {first.text}", data={**first.data, "years": years}))
        steps.extend(rest)
    steps.append(Step("members", "Members: " + ", ".join(
        f"{m.code} from {m.joined.isoformat()}" + (f" to {m.left.isoformat()}" if m.left else "") for m in a.memberships),
        {"members": [m._asdict() for m in a.memberships]}))
    if a.policy == "whole-term":
        policy = ("whole term: every member pays its share of the whole term, whatever its join date; a leaver "
                  + ("keeps its share of every year up to the one it leaves" if a.leaver == "keeps-years" else "stops sharing at once"))
    else:
        policy = "per year, pro rata temporis: each year split by days of membership"
    steps.append(Step("inputs", f"Policy: {policy}", {"policy": a.policy, "leaver": a.leaver}))
    for y in a.years.values():
        text = f"Budget {y.year}: {fmt(y.line.budget)} EUR"
        if y.line.general_funding:
            text += f", less funding {fmt(y.line.general_funding)} EUR: members co-fund {fmt(y.line.co_funded)} EUR"
        steps.append(Step("budget", text + (" (closed)" if y.closed else ""), {**y.line._asdict(), "closed": y.closed}))
    for f in a.funding:
        where = f"targeted to {f.target}" if f.target else "reduces the year's co-funded amount"
        steps.append(Step("funding", f"Funding {f.year}: {f.text}, {fmt(f.cents)} EUR ({where})",
                          {k: v for k, v in f._asdict().items() if k != "note"}))
    for note, target in sorted({(f.note, f.target or "") for f in a.funding if f.note}):
        steps.append(Step("funding", f"Subsidy: {note}", {"note": note, "target": target or None}))
    return steps


def _bounds(a: Assessment) -> list[Step]:
    if not a.bounds.held:
        return []
    held = [f"{c} at its {h.bound} {fmt(h.cents)} EUR over the term ({fmt(h.target)} EUR in the open years)"
            for c, h in sorted(a.bounds.held.items())]
    text = (f"Caps and floors of the version from {a.bounds_version.effective.isoformat()} bind the term: " + "; ".join(held)
            + "; each held member's shares of the open years are scaled to meet its bound, and what that frees or takes"
              " in a year is spread over the year's other sharers by their shares")
    return [Step("bounds", text, {"held": {c: h._asdict() for c, h in a.bounds.held.items()}, "level": a.bounds.level})]


def year_steps(y: YearResult) -> list[Step]:
    """One year: its sharers and weights, their exact shares and the cumulative rounding."""
    if y.closed:
        return [Step("closed", f"{y.year} is closed: it keeps " + ", ".join(f"{c} {fmt(v)}" for c, v in sorted(y.allocated.items())),
                     {"year": y.year, "kept": dict(y.allocated)})]
    steps: list[Step] = []
    if y.shares is not None:
        wsum = sum(y.shares.weights.values(), Fraction(0)) or Fraction(1)
        parts = [f"{c} {_ratio(w / wsum)}" + (f" ({y.shares.days[c]} days)" if y.shares.days[c] != 1 else "")
                 for c, w in sorted(y.shares.weights.items())]
        steps.append(Step("weights", f"{y.year}: {fmt(y.line.co_funded)} EUR by rule weight"
                          + (" x days" if any(d != 1 for d in y.shares.days.values()) else "") + ": " + ", ".join(parts),
                          {"year": y.year, "weights": dict(y.shares.weights), "days": dict(y.shares.days)}))
    steps.append(Step("exact", f"{y.year}: exact shares: " + ", ".join(f"{c} {eur(e)}" for c, e in sorted(y.exact.items())),
                      {"year": y.year, "exact": dict(y.exact)}))
    if y.rounded is not None:
        steps.append(_rounding(y))
    return steps


def _rounding(y: YearResult) -> Step:
    r = y.rounded
    assert r is not None
    if r.extra:
        reasons = []
        for c in r.extra:
            x = r.exact[c]
            why = ("so as not to pay less than before" if c in r.kept_back
                   else f"running remainder {_ratio(x - x.numerator // x.denominator)} of a cent")
            reasons.append(f"{c} ({why})")
        text = (f"{y.year}: each member's running total rounded down leaves {len(r.extra)} cent(s), one each, first to the"
                " year's sharers with the largest running remainders (a tie: the lower code): " + ", ".join(reasons))
    else:
        text = f"{y.year}: the running totals are whole cents; nothing to round"
    return Step("rounding", text, {"year": y.year, "extra_cent": list(r.extra), "kept_back": list(r.kept_back),
                                   "running_exact": dict(r.exact), "running": dict(r.totals), "shares": dict(r.shares)})


def explain(assessment: Assessment) -> list[Step]:
    """Every input and step of an assessment, in the order it was computed."""
    a = assessment
    steps = [*_inputs(a), *_bounds(a)]
    for y in a.years.values():
        steps.extend(year_steps(y))
    for (year, code), cents in a.targeted.items():
        steps.append(Step("targeted", f"{year}: targeted funding reduces {code}'s share by {fmt(cents)} EUR",
                          {"year": year, "code": code, "cents": cents}))
    for year, target, cents in a.unused:
        whom = f"{target}'s share" if target else "the year's budget"
        steps.append(Step("targeted", f"{year}: {fmt(cents)} EUR of funding unused: it exceeds {whom}",
                          {"year": year, "target": target, "cents": cents}))
    for c in a.charges:
        steps.append(Step("charges", f"{c.date.isoformat()}: {c.text}, {fmt(c.cents)} EUR charged to {c.code} alone",
                          c._asdict()))
    totals = a.totals()
    steps.append(Step("result", "Assessed over the term: " + ", ".join(f"{c} {fmt(v)}" for c, v in totals.items()),
                      {"cells": dict(a.assessed), "totals": totals}))
    return steps


def explain_member(assessment: Assessment, code: str) -> list[Step]:
    """One member's lines of the result: each year's share, how it was rounded, funding and charges."""
    a = assessment
    steps = []
    for y in a.years.values():
        if code not in y.allocated and code not in y.exact:
            continue
        cents, cell = y.allocated.get(code, 0), (y.year, code)
        if y.closed:
            text = f"{y.year}: {code}'s share is what the closed year keeps, {fmt(cents)}"
        else:
            text = f"{y.year}: {code}'s share {eur(y.exact.get(code, Fraction(0)))} EUR, rounded to {fmt(cents)}"
            if y.rounded is not None and code in y.rounded.extra:
                text += " (it received one of the year's remaining cents)"
        if a.targeted.get(cell):
            text += f", less targeted funding {fmt(a.targeted[cell])}"
        charged = sum(c.cents for c in a.charges if c.code == code and c.date.year == y.year)
        if charged:
            text += f", plus direct charges {fmt(charged)}"
        assessed = a.assessed.get(cell, 0)
        steps.append(Step("result", text + f": {fmt(assessed + charged)} EUR",
                          {"year": y.year, "code": code, "exact": y.exact.get(code, Fraction(0)), "allocated": cents,
                           "assessed": assessed}))
    total = a.totals().get(code, 0)
    steps.append(Step("result", f"{code} over the term: {fmt(total)} EUR", {"code": code, "total": total}))
    return steps


def render_text(steps: Iterable[Step]) -> str:
    """The steps as numbered lines of text, for the CLI."""
    return "\n".join(f"{i:>3}. [{s.kind}] {s.text}" for i, s in enumerate(steps, 1)) + "\n"


def funding_relief(assessment: Assessment, code: str) -> dict[int, int]:
    """What funding took off one member's share in each budget year, in cents.

    Targeted funding comes off the member's own share (``assessment.targeted``). General funding
    comes off the year's budget before it is shared, so a member's part of it is the year's general
    funding split as the year is shared: in proportion to the exact shares, by the largest
    remainder, so the parts of every member sum exactly to the year's funding.
    """
    out: dict[int, int] = {}
    for y in assessment.years.values():
        cents = assessment.targeted.get((y.year, code), 0)
        weights = {c: e for c, e in y.exact.items() if e > 0}
        if y.line.general_funding and code in weights:
            cents += largest_remainder(y.line.general_funding, weights)[0][code]
        if cents:
            out[y.year] = cents
    return out


class Summary(NamedTuple):
    """The numbers of one member's share in a few words (the explanation's first lines), in cents.

    ``uniform``: one rule version governs every year, each year has the same sharers with equal days,
    no year is closed and no cap or floor binds, so the term's share is one formula of ``kind``
    (``members``, the populations, the percentage); otherwise the words give the member's ``part``.
    The rounding is the last open year's cumulative one: the running totals are then the term's, so
    ``remaining`` cents were left over the term and ``received`` says whether one went to the member;
    ``why``: "largest" (its remainder ranked among them), "tie" (equal remainders: the lower code
    first), "kept-back" (so that its share of the year is not negative), "smaller", "whole" (none left).
    """

    code: str
    kind: str
    policy: str
    uniform: bool
    shared: int                     # what every member shares over the term (after general funding)
    members: int
    part: Fraction                  # the member's part of ``shared``
    exact: Fraction                 # its exact share over the term
    remainder: Fraction             # the fraction of a cent its exact share leaves
    remaining: int
    received: bool
    why: str
    share: int                      # its assessed share (targeted funding off)
    targeted: int
    population: int | None = None
    population_total: int | None = None
    population_year: int | None = None
    percent: Decimal | None = None
    base_percent: Fraction | None = None


def _why(r: Rounded, code: str, remainder: Fraction) -> str:
    if code in r.kept_back:
        return "kept-back"
    if not r.extra:
        return "whole"
    cut = min(r.exact[c] - r.exact[c].numerator // r.exact[c].denominator for c in r.extra)
    tied = [c for c in r.exact if r.exact[c] - r.exact[c].numerator // r.exact[c].denominator == cut]
    if remainder == cut and len(tied) > 1 and any(c not in r.extra for c in tied):
        return "tie"
    return "largest" if code in r.extra else "smaller"


def summary(assessment: Assessment, code: str) -> Summary | None:
    """The few numbers that say why ``code`` pays its share; None when it shares no open year."""
    a = assessment
    open_years = [y for y in a.years.values() if not y.closed and y.rounded is not None]
    last = next((y for y in reversed(open_years) if code in y.rounded.exact), None)  # type: ignore[union-attr]
    if last is None or last.rounded is None:
        return None
    r = last.rounded
    exact = r.exact[code]
    remainder = exact - exact.numerator // exact.denominator
    shared = sum(r.exact.values(), Fraction(0))
    sharers = {frozenset(y.shares.days) if y.shares else frozenset() for y in a.years.values()}
    days = all(y.shares is not None and len(set(y.shares.days.values())) == 1 for y in open_years)
    versions = {a.versions[y] for y in a.years}
    uniform = (len(open_years) == len(a.years) and len(sharers) == 1 and days and len(versions) == 1
               and not a.bounds.held)
    version = last.version
    pops = {c: version.population_map[c] for c in r.exact if c in version.population_map}
    share = sum(v for (_, c), v in a.assessed.items() if c == code)
    members = sum(1 for e in r.exact.values() if e > 0)
    return Summary(code, version.kind, a.policy, uniform, shared.numerator // shared.denominator, members,
                   exact / shared if shared else Fraction(0), exact, remainder, len(r.extra), code in r.extra,
                   _why(r, code, remainder), share, sum(v for (_, c), v in a.targeted.items() if c == code),
                   pops.get(code), sum(pops.values()) or None, version.population_year,
                   version.percentage_map.get(code), version.base_percent)
