"""The helpers that build an op's parameters: a total spread over the years, frozen populations."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import params as P
from ledger.errors import InvalidInput
from ledger.project import version_from_json
from tests.common.ledger import founded

D = dt.date


# -- spreading a total over the years --------------------------------------------------------------
def test_a_total_is_spread_by_the_days_in_each_year() -> None:
    # 2025-07-01 .. 2027-06-30: 184, 365 and 181 days of 730
    assert P.spread(73_000, D(2025, 7, 1), D(2027, 6, 30)) == {2025: 18_400, 2026: 36_500, 2027: 18_100}
    assert P.spread(1, D(2025, 1, 1), D(2026, 12, 31)) == {2025: 1, 2026: 0}  # a tie: to the earlier year


def test_closed_years_keep_their_amount() -> None:
    assert P.spread(100_000, D(2025, 1, 1), D(2027, 12, 31), keep={2025: 70_000}) == {2025: 70_000, 2026: 15_000, 2027: 15_000}
    with pytest.raises(InvalidInput, match=r"the closed years hold 700\.00 EUR already, more than 100\.00 EUR"):
        P.spread(10_000, D(2025, 1, 1), D(2027, 12, 31), keep={2025: 70_000})
    with pytest.raises(InvalidInput, match="every year is closed"):
        P.spread(100, D(2025, 1, 1), D(2025, 12, 31), keep={2025: 100})


@given(total=st.integers(0, 10**12), start=st.dates(D(2020, 1, 1), D(2030, 12, 31)), days=st.integers(1, 4000))
def test_a_spread_sums_exactly_to_the_total_and_is_within_a_cent(total: int, start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    years = P.spread(total, start, end)
    assert sum(years.values()) == total and list(years) == list(range(start.year, end.year + 1))
    length = (end - start).days + 1
    for year, cents in years.items():
        inside = (min(end, D(year, 12, 31)) - max(start, D(year, 1, 1))).days + 1
        assert abs(cents - Fraction(total * inside, length)) < 1


# -- the parameters of an op -----------------------------------------------------------------------
def test_rule_params_freeze_the_populations_of_their_year() -> None:
    params = P.rule_params("population", effective=D(2026, 1, 1), population_year=2025, codes=["638", "753"], decision="KV 3")
    assert params["populations"] == {"638": 51_863, "753": 23_006} and params["population_year"] == 2025
    version = version_from_json(params)
    assert (version.kind, version.effective, version.decision) == ("population", D(2026, 1, 1), "KV 3")
    assert version.population_map == {"638": 51_863, "753": 23_006}
    hybrid = P.rule_params("hybrid", effective=D(2026, 1, 1), population_year=2025, codes=["638"], base_percent="40")
    assert hybrid["populations"] == {"638": 51_863} and hybrid["base_percent"] == "40"
    equal = P.rule_params("equal", effective=D(2026, 1, 1), population_year=2025, codes=["638"])
    assert equal["populations"] == {} and equal["population_year"] is None


def test_rule_params_normalise_codes_and_refuse_what_cannot_be_a_rule() -> None:
    fixed = P.rule_params("fixed", effective=D(2026, 1, 1), percentages={"97": "60", "638": "40"}, caps={"97": 100})
    assert fixed["percentages"] == {"097": "60", "638": "40"} and fixed["caps"] == {"097": 100}
    with pytest.raises(InvalidInput, match="the population rule needs a reference year"):
        P.rule_params("population", effective=D(2026, 1, 1), codes=["638"])
    with pytest.raises(InvalidInput, match="no population figures for 1990"):
        P.rule_params("hybrid", effective=D(2026, 1, 1), population_year=1990, base_percent="40", codes=["638"])
    with pytest.raises(InvalidInput, match="not a municipality code"):
        P.rule_params("equal", effective=D(2026, 1, 1), caps={"Porvoo": 1})


def test_population_params_name_every_year_the_project_uses() -> None:
    assert P.population_params(None, ["638"]) == {}
    assert P.population_params(None, ["638"], {2025}) == {"2025": {"638": 51_863}}
    state = founded("020", rule="population")
    assert P.population_params(state, ["638", "753"]) == {"2025": {"638": 51_863, "753": 23_006}}
