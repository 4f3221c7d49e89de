"""Applying a change to a project's state: every refusal says why and leaves the state as it was;
the helpers that build an op's parameters (a total spread over the years, frozen populations)."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger import changes as C
from ledger import municipalities as M
from ledger.budget import Membership
from ledger.errors import Conflict, InvalidInput
from ledger.project import ProjectState
from tests.common.ledger import START, founded, joined, op, version_params

D = dt.date


@pytest.fixture
def state() -> ProjectState:
    return C.apply(founded("638", "753"), op("year-closed", D(2025, 12, 31), year=2025))


# -- what is applied -------------------------------------------------------------------------------
def test_a_project_is_created_then_changed_one_op_at_a_time(state: ProjectState) -> None:
    assert (state.name, state.start, state.end, state.policy) == ("IAM", D(2025, 1, 1), D(2029, 12, 31), "whole-term")
    assert state.total == 100_000_000 and [y for y, _ in state.budget] == [2025, 2026, 2027, 2028, 2029]
    assert state.members == (Membership("638", START), Membership("753", START)) and state.closed == (2025,)
    after = C.apply(state, op("member-withdrawn", D(2026, 6, 30), city="753"))
    assert after.current() == ["638"] and after.member("753").left == D(2026, 6, 30)
    assert state.current() == ["638", "753"]  # states are values: the one before is unchanged


@pytest.mark.parametrize("change, error, message", [
    # a closed year
    (op("members-added", D(2025, 6, 1), cities=["091"], populations={}), Conflict, "2025 is closed: a join on 2025-06-01"),
    (op("member-withdrawn", D(2025, 6, 30), city="638"), Conflict, "2025 is closed"),
    (op("budget-set", D(2026, 1, 1), years={"2025": 1}), Conflict, "2025 is closed: a new budget for 2025"),
    (op("charge-added", D(2025, 3, 1), city="638", cents=100, text="x"), Conflict, "2025 is closed"),
    (op("grant-added", D(2026, 1, 1), year=2025, cents=100, text="EU"), Conflict, "2025 is closed"),
    (op("rule-set", D(2025, 6, 1), version=version_params("equal", [], D(2025, 6, 1))), Conflict, "2025 is closed"),
    (op("year-closed", D(2025, 12, 31), year=2025), Conflict, "2025 is closed already"),
    # already a member, or once one
    (op("members-added", D(2026, 6, 1), cities=["091", "638"], populations={}), Conflict, r"already a member: Porvoo \(638\)"),
    (op("members-added", D(2026, 6, 1), cities=["091", "091"], populations={}), InvalidInput, "a city is named twice"),
    (op("members-added", D(2026, 6, 1), cities=[], populations={}), InvalidInput, "name at least one city"),
    # outside the term
    (op("members-added", D(2030, 1, 1), cities=["091"], populations={}), InvalidInput,
     "the join date 2030-01-01 is outside the project's years \\(2025-01-01 – 2029-12-31\\)"),
    (op("member-withdrawn", D(2031, 1, 1), city="638"), InvalidInput, "the leave date 2031-01-01 is outside"),
    (op("charge-added", D(2024, 12, 31), city="638", cents=100, text="x"), InvalidInput, "the charge's date 2024-12-31 is outside"),
    (op("budget-set", D(2026, 1, 1), years={"2030": 1}), InvalidInput, "2030 is not one of the project's years"),
    (op("rule-set", D(2030, 1, 1), version=version_params("equal", [], D(2030, 1, 1))), InvalidInput,
     "the rule's effective date 2030-01-01 is outside"),
    # a fixed rule must name exactly the members
    (op("rule-set", D(2026, 1, 1), version={"kind": "fixed", "effective": "2026-01-01", "percentages": {"638": "50", "753": "25", "091": "25"}}),
     InvalidInput, "the percentages name non-members: 091"),
    (op("rule-set", D(2026, 1, 1), version={"kind": "fixed", "effective": "2026-01-01", "percentages": {"638": "100"}}),
     InvalidInput, "the fixed percentages from 2026-01-01 do not name 753"),
    (op("rule-set", D(2026, 1, 1), version={"kind": "equal", "effective": "2026-01-01", "caps": {"091": 5}}),
     InvalidInput, "the caps name non-members: 091"),
    # and the rest
    (op("member-withdrawn", D(2026, 6, 30), city="091"), Conflict, r"Helsinki \(091\) is not a current member of IAM"),
    (op("policy-set", D(2026, 1, 1), policy="whole-term"), Conflict, "the policy is whole-term already"),
    (op("policy-set", D(2026, 1, 1), policy="monthly"), InvalidInput, "unknown policy"),
    (op("charge-cancelled", D(2026, 1, 1), number=1, reason="x"), InvalidInput, "there is no charge number 1 \\(the project has 0\\)"),
    (op("charge-added", D(2026, 3, 1), city="638", cents=100, text="  "), InvalidInput, "the charge's text must not be empty"),
    (op("hours-logged", D(2026, 3, 1), key="state", entries=[{"person": "A", "date": "2026-03-01", "task": "t", "hours": "1"}]),
     InvalidInput, "no subsidy 'state'"),
    (op("project-created", D(2025, 1, 1), name="again", start="2025-01-01", end="2025-12-31", budget={}, rule={}),
     Conflict, "the project exists already"),
    (op("ledger-edited", D(2026, 1, 1)), InvalidInput, "unknown change 'ledger-edited'"),
])
def test_a_refused_change_says_why(state: ProjectState, change, error, message: str) -> None:
    before = state
    with pytest.raises(error, match=message):
        C.apply(state, change)
    assert state == before


def test_a_former_member_rejoins_after_its_leave_date_only() -> None:
    state = C.apply(founded("638", "753"), op("member-withdrawn", D(2026, 6, 30), city="753"))
    with pytest.raises(Conflict, match=r"a former member rejoins after its last leave date: Sipoo \(753\) left on 2026-06-30"):
        C.apply(state, joined(state, ["753"], D(2026, 6, 30)))
    again = C.apply(state, joined(state, ["753"], D(2027, 1, 1)))
    assert [(m.joined, m.left) for m in again.members if m.code == "753"] == [(START, D(2026, 6, 30)), (D(2027, 1, 1), None)]


def test_a_leave_before_the_join_is_refused() -> None:
    state = C.apply(founded("638"), joined(founded("638"), ["753"], D(2026, 3, 1)))
    with pytest.raises(InvalidInput, match=r"the leave date 2026-02-28 is before Sipoo joined \(2026-03-01\)"):
        C.apply(state, op("member-withdrawn", D(2026, 2, 28), city="753"))


def test_without_a_project_only_creating_one_is_possible() -> None:
    with pytest.raises(InvalidInput, match="no project: create it first"):
        C.apply(None, op("members-added", D(2025, 1, 1), cities=["638"], populations={}))
    with pytest.raises(InvalidInput, match="the end date 2025-01-01 must come after the start date 2025-01-01"):
        C.apply(None, op("project-created", D(2025, 1, 1), name="x", start="2025-01-01", end="2025-01-01", budget={}, rule={}))


def test_a_joiner_brings_the_populations_the_rules_use() -> None:
    state = founded("638", rule="population")
    with pytest.raises(InvalidInput, match=r"the change needs the population of 753 \(2025\)"):
        C.apply(state, op("members-added", D(2026, 1, 1), cities=["753"], populations={}))
    after = C.apply(state, joined(state, ["753"], D(2026, 1, 1)))
    assert (2025, "753", M.lookup("753", 2025).population) in after.populations
