"""What a change carries: the parameters an op is built with, from what a person asked for.

A budget total spread over the years, a joiner's populations for every year the project uses,
a rule version validated with the populations of its year frozen, a joining fee with the
figures of its population year. The portal builds ops with these; ``ledger.changes.apply``
then checks them against the state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ledger import municipalities as M
from ledger.allocation import largest_remainder
from ledger.errors import InvalidInput, Word
from ledger.money import fmt
from ledger.project import ProjectState, version_to_json
from ledger.rules import make_version


def spread(total: int, start: dt.date, end: dt.date, keep: Mapping[int, int] | None = None) -> dict[int, int]:
    """A total budget as budget years, in proportion to the project's days in each year.

    Years in ``keep`` (closed years) keep their amount; the rest of the total is spread over the
    other years by largest remainder (ties to the earlier year), so the years sum exactly to it.
    """
    keep = dict(keep or {})
    rest = total - sum(keep.values())
    if rest < 0:
        raise InvalidInput("the closed years hold %(kept)s EUR already, more than %(total)s EUR", kept=fmt(sum(keep.values())),
                           total=fmt(total))
    days = {y: (min(end, dt.date(y, 12, 31)) - max(start, dt.date(y, 1, 1))).days + 1
            for y in range(start.year, end.year + 1) if y not in keep}
    if not days:
        raise InvalidInput("every year is closed: set no new total")
    shares = largest_remainder(rest, {y: Fraction(d) for y, d in days.items()})[0]
    return dict(sorted({**keep, **shares}.items()))


def freeze(codes: Iterable[str], year: int, figures: M.Figures = M.BUNDLED) -> dict[str, int]:
    """The populations of ``year`` for ``codes``: what a rule version or a fee freezes."""
    M.check_year(figures, year)
    return {code: figures.residents(code, year) for code in codes}


def population_params(state: ProjectState | None, codes: Sequence[str], extra_years: Iterable[int] = (),
                      figures: M.Figures = M.BUNDLED) -> dict[str, dict[str, int]]:
    """The figures a members-added op carries: each joiner's population for every year the project uses."""
    years = (state.population_years() if state else set()) | set(extra_years)
    return {str(y): freeze(codes, y, figures) for y in sorted(years)}


def rule_params(kind: str, *, effective: dt.date, decision: str = "", population_year: int | None = None,
                codes: Sequence[str] = (), base_percent: object = None, percentages: Mapping[str, object] | None = None,
                caps: Mapping[str, int] | None = None, floors: Mapping[str, int] | None = None,
                figures: M.Figures = M.BUNDLED) -> dict[str, Any]:
    """A validated rule version as the JSON a ``rule-set`` op carries, the populations of its year frozen for ``codes``."""
    pops = None
    if kind in ("population", "hybrid"):
        if population_year is None:
            raise InvalidInput("the %(kind)s rule needs a reference year (--population-year)", kind=Word(kind))
        pops = freeze(codes, population_year, figures)
    def norm(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return {M.normalise_code(c): v for c, v in (mapping or {}).items()} or None

    version = make_version(kind, effective, decision, population_year=population_year if pops is not None else None,
                           populations=pops, base_percent=base_percent,
                           percentages=norm(percentages), caps=norm(caps), floors=norm(floors))
    return version_to_json(version)


def fee_params(state: ProjectState, population_year: int, figures: M.Figures = M.BUNDLED) -> dict[str, int]:
    """The figures a joining-fee op carries: every member's residents in the fee's population year."""
    return freeze(state.codes(), population_year, figures)
