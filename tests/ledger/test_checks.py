"""The checks every change passes (ledger.checks), each on the smallest state that shows it."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger import changes as C
from ledger import checks
from ledger.errors import Conflict, InvalidInput
from ledger.project import version_from_json
from tests.common.ledger import founded, op, version_params

D = dt.date


def test_texts_are_not_empty_and_not_endless() -> None:
    assert checks.text("  devices ", "the text") == "devices"
    with pytest.raises(InvalidInput, match="the text must not be empty"):
        checks.text(" ", "the text")
    with pytest.raises(InvalidInput, match="longer than 500 characters"):
        checks.text("x" * 501, "the text")


def test_dates_lie_within_the_term_itself() -> None:
    state = founded("638")
    checks.in_term(state, D(2025, 1, 1), "the join date")
    checks.in_term(state, D(2029, 12, 31), "the join date")
    with pytest.raises(InvalidInput, match=r"the join date 2030-01-01 is outside the project's years \(2025-01-01 – 2029-12-31\)"):
        checks.in_term(state, D(2030, 1, 1), "the join date")


def test_years_are_the_projects_and_not_closed() -> None:
    state = C.apply(founded("638"), op("year-closed", D(2025, 12, 31), year=2025))
    assert checks.year(state, "2026") == 2026
    with pytest.raises(InvalidInput, match="'x' is not a year"):
        checks.year(state, "x")
    with pytest.raises(InvalidInput, match=r"2030 is not one of the project's years \(2025–2029\)"):
        checks.year(state, 2030)
    with pytest.raises(Conflict, match="2025 is closed: a charge would change what was assessed for it"):
        checks.open_year(state, 2025, "a charge")


def test_bounds_and_percentages_name_members_only() -> None:
    state = founded("638", "753")
    stranger = version_from_json(version_params("equal", ["638"], caps={"091": 100}))
    with pytest.raises(InvalidInput, match="the caps name non-members: 091"):
        checks.bounds_name_members(state, stranger)
    fixed = version_from_json(version_params("fixed", ["638"], percentages={"638": "50", "091": "50"}))
    with pytest.raises(InvalidInput, match="the percentages name non-members: 091"):
        checks.percentages_name_members(state, fixed)
    checks.bounds_name_members(founded(), stranger)  # a project without members yet: anything goes


def test_a_version_that_would_govern_no_year_is_refused() -> None:
    later = C.apply(founded("638"), op("rule-set", D(2026, 6, 1), version=version_params("equal", ["638"], D(2026, 6, 1))))
    with pytest.raises(InvalidInput, match="the rule version from 2026-03-01 would govern no year"):
        C.apply(later, op("rule-set", D(2026, 3, 1), version=version_params("equal", ["638"], D(2026, 3, 1))))


def test_a_fixed_version_names_every_member_of_its_open_years() -> None:
    state = founded("638", "753")
    half = version_params("fixed", ["638", "753"], D(2025, 1, 1), percentages={"638": "50", "753": "50"})
    state = C.apply(state, op("rule-set", D(2025, 1, 1), version=half))
    checks.versions_name_their_members(state)
    with pytest.raises(InvalidInput, match="the fixed percentages from 2025-01-01 do not name 091"):
        C.apply(state, op("members-added", D(2026, 1, 1), cities=["091"], populations={}))


def test_a_joiner_is_a_municipality_even_when_no_rule_needs_its_population() -> None:
    with pytest.raises(InvalidInput, match="999"):
        C.apply(founded("638"), op("members-added", D(2026, 1, 1), cities=["999"], populations={}))
