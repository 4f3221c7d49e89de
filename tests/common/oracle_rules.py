"""The oracle's rule versions (section 3 of docs/cost-sharing.md): their shape, and which one governs a year."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

KINDS = ("equal", "population", "hybrid", "fixed")


class Refused(Exception):
    """A change the specification refuses (section 10); the oracle's state is then unchanged."""


@dataclass(frozen=True)
class Rule:
    kind: str  # "equal" | "population" | "hybrid" | "fixed"
    effective: datetime.date
    population_year: int | None = None  # population, hybrid
    base_percent: Fraction | None = None  # hybrid: the part split equally, 0..100
    percentages: Mapping[str, Fraction] = field(default_factory=dict)  # fixed: code -> percent, summing to 100
    caps: Mapping[str, int] = field(default_factory=dict)  # code -> cents over the term
    floors: Mapping[str, int] = field(default_factory=dict)


def governing(versions: Sequence[Rule], year: int) -> Rule:
    """Among the versions effective in ``year`` or before, the latest (of equal dates, the one set later);
    for years before every version, the earliest (Reading: of equal earliest dates, the one set later)."""
    order = sorted(range(len(versions)), key=lambda i: (versions[i].effective, i))
    in_force = [i for i in order if versions[i].effective.year <= year]
    if in_force:
        return versions[in_force[-1]]
    earliest = versions[order[0]].effective
    return versions[max(i for i in order if versions[i].effective == earliest)]


def check_version(versions: Sequence[Rule], rule: Rule) -> None:
    """The shape of a new version, and that it governs a year; raises ``Refused``."""
    if rule.kind not in KINDS:
        raise Refused(f"no rule kind {rule.kind!r}")
    if rule.kind in ("population", "hybrid") and rule.population_year is None:
        raise Refused("a population or hybrid rule names its population year")
    if rule.kind == "hybrid" and (rule.base_percent is None or not 0 <= rule.base_percent <= 100):
        raise Refused("a hybrid rule's base percentage is 0..100")
    if rule.kind == "fixed":
        if sum((Fraction(p) for p in rule.percentages.values()), Fraction(0)) != 100:
            raise Refused("a fixed rule's percentages sum to exactly 100")
        if any(p < 0 for p in rule.percentages.values()):
            raise Refused("a percentage is not negative")
    # Reading: "would govern no year (a version with a later effective date in the same year exists)"
    # is taken as that parenthesis says, even where the earliest version would govern the years before.
    if any(v.effective.year == rule.effective.year and v.effective > rule.effective for v in versions):
        raise Refused(f"a later version in {rule.effective.year} exists: this one would govern no year")
