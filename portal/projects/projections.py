"""Read-only views of a project's shares: what-if scenarios and the explanation of one share.

Nothing here writes to the database or the ledger: both compute with the pure core
(``ledger.project``, ``ledger.recalc``, ``ledger.explain``) from the project's state now; a
what-if reads the ledger's sums from SQL, as a change does, and an explanation the journal (it
lists the city's entries).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

from babel.numbers import format_decimal

from ledger import entries as E
from ledger import municipalities as M
from ledger.budget import Blocked
from ledger.changes import apply
from ledger.errors import InvalidInput
from ledger.explain import Step, Summary, explain, explain_member, funding_relief, summary
from ledger.journal import ShareEvent
from ledger.money import fmt
from ledger.params import population_params
from ledger.project import Op, assess_state
from ledger.recalc import Recalculation, recalculate
from portal import formats
from portal.clock import now
from portal.projects.models import Project
from portal.projects.populations import Figures
from portal.projects.services import journal_for, state_for, sums_for


def _unique(codes: Sequence[str]) -> list[str]:
    return [M.lookup(c).code for c in codes if str(c).strip()]


def parse_scenario(text: str) -> tuple[list[str], list[str]]:
    """``"+286,-638"`` as (joins, leaves); every item needs its sign."""
    joins: list[str] = []
    leaves: list[str] = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        if item[0] not in "+-":
            raise InvalidInput("%(item)r: write +CODE for a city joining or -CODE for a city leaving", item=item)
        (joins if item[0] == "+" else leaves).append(item[1:])
    return joins, leaves


def describe(joins: Sequence[str], leaves: Sequence[str], on: dt.date) -> str:
    """``"Kouvola (286) joins, Porvoo (638) leaves on 2026-01-01"``."""
    parts = [f"{M.lookup(c).name} ({c}) joins" for c in joins] + [f"{M.lookup(c).name} ({c}) leaves" for c in leaves]
    return ", ".join(parts) + f" on {on.isoformat()}"


def what_if(project: Project, joins: Sequence[str], leaves: Sequence[str], on: dt.date) -> Recalculation:
    """Every share if ``joins`` joined and ``leaves`` left on ``on``; nothing is posted or stored."""
    joining, leaving = _unique(joins), _unique(leaves)
    if not joining and not leaving:
        raise InvalidInput("name at least one city to join or to leave")
    named = joining + leaving
    if len(set(named)) != len(named):
        raise InvalidInput("a city is named twice")
    before = state_for(project)
    summary = describe(joining, leaving, on)
    state = before
    if joining:
        state = apply(state, Op("members-added", on, "what-if", now(), summary, "",
                                {"cities": joining, "populations": population_params(state, joining, figures=Figures())}))
    for code in leaving:
        state = apply(state, Op("member-withdrawn", on, "what-if", now(), summary, "", {"city": code}))
    if not state.current():
        raise InvalidInput("no member would remain to share the cost")
    sums = sums_for(project)
    op = Op("members-added" if joining else "member-withdrawn", on, "what-if", now(), summary)
    return recalculate(before, state, op, assessed=E.assessed_cells(sums), open_accounts=sums.accounts(),
                       fees=E.fee_cells(sums))


# -- explain -------------------------------------------------------------------------------------
class Explanation(NamedTuple):
    """One city's share: the steps that compute it, what the ledger says and its entries."""

    code: str
    name: str
    steps: list[Step]
    share: int                  # cents, as the explanation computes it (closed years as kept)
    assessed: int               # cents, as the ledger has assessed it
    history: list[ShareEvent]   # the city's ledger entries, oldest first
    charged: int = 0            # cents, direct charges in the ledger
    kept: tuple[Blocked, ...] = ()  # closed years where the ledger keeps another amount
    summary: Summary | None = None  # the numbers of the short summary in words (None: no open year shared)
    funding: int = 0            # cents that funding took off its share over the term
    names: Mapping[str, str] = MappingProxyType({})  # every member's name by code, for the steps


def explain_share(project: Project, code: str) -> Explanation:
    """Inputs, every step and the rounding of one city's share, and its ledger entries."""
    code = M.lookup(code).code
    name = M.lookup(code).name
    state = state_for(project)
    journal = journal_for(project)
    assessment = assess_state(state)
    steps: list[Step] = []
    share = 0
    kept: list[Blocked] = []
    brief: Summary | None = None
    funding = 0
    if assessment is None:
        steps.append(Step("members", "The project has no members or no budget yet", {}))
    else:
        steps.extend(explain(assessment))
        if state.member(code) is not None:
            steps.extend(explain_member(assessment, code))
        kept = [b for b in assessment.blocked if b.code == code]
        brief = summary(assessment, code) if state.member(code) is not None else None
        funding = sum(funding_relief(assessment, code).values())
        share = sum(v for (_, c), v in assessment.shares().items() if c == code)
        for b in kept:
            steps.append(Step("closed", f"{b.year} is closed: the ledger keeps {fmt(b.kept)} EUR for {code}; "
                                        f"the rules would now give {fmt(b.would_be)} EUR", b._asdict()))
    if state.member(code) is None:
        steps.append(Step("result", f"{code} {name} is not a member: its share is {fmt(0)} EUR", {"code": code, "share": 0}))
    elif state.member(code).left is not None:  # type: ignore[union-attr]
        steps.append(Step("result", f"{code} {name} left on {state.member(code).left}", {"code": code}))  # type: ignore[union-attr]
    return Explanation(code, name, steps, share, journal.assessed().get(code, 0), journal.history(code),
                       journal.charged().get(code, 0), tuple(kept), brief, funding,
                       {c: M.lookup(c).name for c in state.codes()})


def named(steps: Sequence[Step], names: Mapping[str, str]) -> list[Step]:
    """The steps' texts with each member's name where they show its code ("Porvoo" for "638"); a
    number that is not a member's code (days, percentages, amounts) is left as it is."""
    if not names:
        return list(steps)
    pattern = re.compile(r"(?<![\d.,])(" + "|".join(map(re.escape, sorted(names))) + r")(?![\d.]| ?%| days| cent)")
    return [step._replace(text=pattern.sub(lambda m: names[m.group(1)], step.text)) for step in steps]


def exact_eur(cents: Fraction) -> str:
    """An exact share for the summary, ``30 588,2353 €``: four decimals of a euro (the rounded share is beside it)."""
    value = (Decimal(cents.numerator) / Decimal(cents.denominator) / 100).quantize(Decimal("0.0001"))
    return str(format_decimal(value, format="#,##0.00##", locale=formats.locale_name())) + "\u00a0€"


def percent(part: Fraction | Decimal) -> str:
    """A part as a percentage, ``5,8824 %``."""
    value = Decimal(part.numerator) / Decimal(part.denominator) * 100 if isinstance(part, Fraction) else part
    return str(format_decimal(value.quantize(Decimal("0.0001")), format="#,##0.####", locale=formats.locale_name())) + "\u00a0%"


__all__ = ["Explanation", "describe", "exact_eur", "explain_share", "named", "parse_scenario", "percent", "what_if"]
