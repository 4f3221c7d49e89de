"""A project's state and what is read off it: the version governing each year, the term's years, subsidies, JSON forms."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.budget import Charge, Membership
from ledger.errors import InvalidInput
from ledger.funding import HoursEntry, Subsidy
from ledger.project import (
    KINDS,
    Logged,
    Op,
    ProjectState,
    SubsidyScheme,
    assess_state,
    governed_years,
    subsidies,
    version_for,
    version_from_json,
    version_index,
    version_to_json,
    versions_by_year,
)
from ledger.rules import make_version

D = dt.date
RECORDED = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TERM = ProjectState("IAM", D(2025, 1, 1), D(2029, 12, 31), budget=tuple((y, 1_000_000) for y in range(2025, 2030)))


def with_versions(*effective: dt.date, state: ProjectState = TERM) -> ProjectState:
    return state._replace(versions=tuple(make_version("equal", when, f"v{i}") for i, when in enumerate(effective)))


# -- the version of each year ------------------------------------------------------------------------
def test_each_year_is_governed_by_the_last_version_in_force() -> None:
    # v0 from 2025; v1 from 2027; v2, set after v1, from mid-2026: it governs 2026 only.
    state = with_versions(D(2025, 1, 1), D(2027, 1, 1), D(2026, 6, 1))
    assert [version_index(state, y) for y in state.years] == [0, 2, 1, 1, 1]
    assert [version_for(state, y).decision for y in state.years] == ["v0", "v2", "v1", "v1", "v1"]
    assert governed_years(state) == [[2025], [2027, 2028, 2029], [2026]]


def test_before_the_first_version_takes_effect_the_first_one_governs() -> None:
    state = with_versions(D(2026, 1, 1), D(2028, 1, 1))
    assert [version_index(state, y) for y in state.years] == [0, 0, 0, 1, 1]
    assert version_for(state, 2020).decision == "v0" and version_for(state, 2040).decision == "v1"


def test_a_version_set_again_for_the_same_date_supersedes_the_earlier_one() -> None:
    state = with_versions(D(2025, 1, 1), D(2027, 1, 1), D(2027, 1, 1))
    assert governed_years(state) == [[2025, 2026], [], [2027, 2028, 2029]]


@given(st.lists(st.dates(D(2024, 1, 1), D(2030, 12, 31)), min_size=1, max_size=6))
def test_every_year_has_exactly_one_version(dates: list[dt.date]) -> None:
    state = with_versions(*dates)
    governs = governed_years(state)
    assert sorted(y for years in governs for y in years) == list(state.years)
    for year in state.years:
        chosen = state.versions[version_index(state, year)]
        in_force = [v for v in state.versions if v.effective.year <= year]
        assert chosen.effective == (max(v.effective for v in in_force) if in_force else min(dates))


def test_a_date_outside_the_term_counts_in_its_nearest_year() -> None:
    assert [TERM.term_year(y) for y in (2020, 2024, 2025, 2027, 2029, 2030, 2099)] == [2025, 2025, 2025, 2027, 2029, 2029, 2029]


def test_versions_by_year_adds_the_figures_of_later_joiners() -> None:
    population = make_version("population", D(2025, 1, 1), population_year=2025, populations={"638": 51_863})
    state = TERM._replace(
        versions=(population, make_version("equal", D(2028, 1, 1))),
        populations=((2025, "753", 23_006), (2024, "020", 1), (2025, "638", 51_863)),
    )
    by_year = versions_by_year(state)
    assert sorted(by_year) == [2025, 2026, 2027, 2028, 2029]
    assert by_year[2025].population_map == {"638": 51_863, "753": 23_006}  # the 2024 figure is not its year's
    assert by_year[2025] is by_year[2027]  # one prepared version for the years it governs
    assert by_year[2028] is state.versions[1]
    assert state.versions[0].population_map == {"638": 51_863}  # the stored version is left as it was


def test_versions_by_year_needs_a_rule() -> None:
    with pytest.raises(InvalidInput, match="has no cost-sharing rule"):
        versions_by_year(TERM)


# -- the state -------------------------------------------------------------------------------------
def test_what_a_state_says_of_itself() -> None:
    state = TERM._replace(
        members=(Membership("020", D(2025, 1, 1), D(2026, 6, 30)), Membership("638", D(2025, 1, 1))),
        closed=(2025, 2026),
        charges=(Charge("638", D(2025, 2, 1), 100, "a"), Charge("638", D(2026, 2, 1), 200, "b"), Charge("020", D(2026, 3, 1), 300, "c")),
        cancelled=(2,),
        versions=(make_version("population", D(2025, 1, 1), population_year=2025, populations={"638": 1}),),
        fee_year=2024,
    )
    assert state.total == 5_000_000 and state.budget_map[2027] == 1_000_000 and list(state.years) == list(range(2025, 2030))
    assert state.current() == ["638"] and state.member("020").left == D(2026, 6, 30) and state.member("091") is None
    assert [c.text for c in state.live_charges()] == ["a", "c"]
    assert state.open_years() == [2027, 2028, 2029]
    assert state.population_years() == {2024, 2025}


def test_subsidies_carry_only_their_own_hours() -> None:
    a, b = HoursEntry("Aino", D(2026, 3, 1), "dev", Decimal("7.5")), HoursEntry("Eero", D(2026, 3, 2), "test", Decimal(2))
    state = TERM._replace(subsidies=(SubsidyScheme("eu", 1_000, "EU"), SubsidyScheme("state", 4_500, "state", "638")),
                          hours=(Logged("state", a), Logged("eu", b), Logged("state", b)))
    assert subsidies(state) == [
        (state.subsidies[0], Subsidy(1_000, (b,), "EU")),
        (state.subsidies[1], Subsidy(4_500, (a, b), "state", "638")),
    ]


def test_nothing_to_assess_without_members_or_budget() -> None:
    versions = with_versions(D(2025, 1, 1))
    assert assess_state(versions) is None
    assert assess_state(versions._replace(members=(Membership("638", D(2025, 1, 1)),), budget=())) is None
    assessed = assess_state(versions._replace(members=(Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 1, 1)))))
    assert assessed is not None and assessed.totals() == {"638": 2_500_000, "753": 2_500_000}


# -- JSON ------------------------------------------------------------------------------------------
OPS = [
    Op("project-created", D(2025, 1, 1), "lead", RECORDED, "created", "KV 1/2025",
       {"name": "IAM", "budget": {"2025": 100}, "rule": version_to_json(make_version("equal", D(2025, 1, 1)))}),
    Op("members-added", D(2026, 6, 1), "lead@https://idp", RECORDED, "Helsinki joins", "", {"cities": ["091"], "populations": {}}),
    Op("year-closed", D(2026, 12, 31), "acc", RECORDED.replace(microsecond=123), "2026 closed"),
]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.kind)
def test_an_op_survives_json(op: Op) -> None:
    stored = json.loads(json.dumps(op.to_json()))
    assert Op.from_json(stored) == op
    assert stored["effective"] == op.effective.isoformat() and stored["kind"] in KINDS


def test_an_op_stored_without_decision_or_params() -> None:
    op = Op.from_json({"kind": "policy-set", "effective": "2026-01-01", "actor": "a", "recorded": "2026-01-01T10:00:00+00:00",
                       "summary": "s"})
    assert (op.decision, op.params, op.recorded.tzinfo is not None) == ("", {}, True)


VERSIONS = [
    make_version("equal", D(2025, 1, 1), "board 12/2024 §4"),
    make_version("population", D(2026, 1, 1), population_year=2025, populations={"638": 51_863, "753": 23_006}),
    make_version("hybrid", D(2026, 1, 1), base_percent="33.5", population_year=2025, populations={"638": 51_863}),
    make_version("fixed", D(2027, 6, 1), "agreement", percentages={"638": Decimal("75.5"), "753": Decimal("24.5")}),
    make_version("equal", D(2025, 1, 1), caps={"638": 100_000}, floors={"753": 5_000, "638": 1_000}),
]


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.describe())
def test_a_rule_version_survives_json(version) -> None:
    stored = json.loads(json.dumps(version_to_json(version)))
    assert version_from_json(stored) == version


def test_the_json_of_a_version_holds_exact_numbers_as_text() -> None:
    hybrid = version_to_json(VERSIONS[2])
    assert hybrid["base_percent"] == "33.5" and version_from_json(hybrid).base_percent == Fraction(67, 2)
    assert version_to_json(VERSIONS[3])["percentages"] == {"638": "75.5", "753": "24.5"}
    assert version_to_json(VERSIONS[0])["populations"] == {} and version_to_json(VERSIONS[0])["base_percent"] is None
