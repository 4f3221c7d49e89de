"""Cost-sharing changes through the service: closed years, charges, funding, policies, and replay.

The replay property runs random histories of changes through the real service and database,
then replays the recorded changes from nothing with the pure core: the entries must be exactly
the posted ones, and the state exactly the one the portal holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger import entries as E
from ledger.errors import Conflict, InvalidInput, LedgerError
from ledger.recalc import replay
from portal import demo
from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as changes
from portal.projects.ledgers import Ledgers
from portal.projects.models import LedgerPosting, ProjectChange

D = dt.date
CITIES = ["638", "753", "020", "091", "837"]
_slugs = itertools.count()


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(LedgerPosting)),
            db.session.scalar(select(func.count()).select_from(ProjectChange)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def check_replay(slug: str) -> None:
    """Replaying the recorded changes from nothing gives exactly the posted entries and the state."""
    project = changes.get_project(slug)
    rows = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)).scalars().all()
    texts = dict(db.session.execute(select(LedgerPosting.seq, LedgerPosting.text).where(LedgerPosting.project_id == project.id)).all())
    ops = changes.changes_of(project)
    imported = {i: E.parse_entries(texts[r.ledger_seq], slug) for i, r in enumerate(rows) if r.kind == "ledger-imported"}
    replayed = replay(ops, imported)
    for row, entries in zip(rows, replayed.postings, strict=False):
        if row.ledger_seq is None:
            assert entries == [], row.kind
        else:
            assert "\n".join(E.format_entry(e) for e in entries) == texts[row.ledger_seq], row.kind
    assert sorted(r.ledger_seq for r in rows if r.ledger_seq) == sorted(texts)
    fresh = Ledgers()  # another worker, from the database alone
    assert fresh.state(project) == replayed.state == changes.state_for(project)


def test_demo_history_replays_exactly(in_demo) -> None:
    costs.add_charge("iam", city="638", amount=1_200_000, date=D(2025, 9, 1), text="20 tablets", actor="t")
    costs.close_year("iam", 2025, actor="t", decision="accounts approved")
    costs.set_policy("iam", policy="pro-rata", actor="t")
    check_replay("iam")


def test_a_closed_year_keeps_its_shares_and_the_change_says_so(in_demo) -> None:
    journal = changes.journal_for(changes.get_project("iam"))
    costs.close_year("iam", 2025, actor="lead", decision="accounts 2025 approved")
    kept = {k: v for k, v in journal.assessed_cells().items() if k[0] == 2025}
    outcome = changes.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="KV", actor="lead")
    assert {k: v for k, v in journal.assessed_cells().items() if k[0] == 2025} == kept
    blocked = outcome.recalculation.blocked
    assert blocked and {b.year for b in blocked} == {2025} and any(b.code == "091" and b.kept == 0 for b in blocked)
    event = db.session.get(AuditEvent, outcome.event.id)
    assert event.details["blocked"][0]["year"] == 2025
    assert sum(v for k, v in journal.assessed_cells().items() if k[0] == 2026) == 15_000_000
    explained = __import__("portal.projects.projections", fromlist=["x"]).explain_share(changes.get_project("iam"), "091")
    assert explained.kept and explained.share == explained.assessed


@pytest.mark.parametrize("call, message", [
    (lambda: costs.add_charge("iam", city="638", amount=100, date=D(2025, 3, 1), text="x", actor="t"), "2025 is closed"),
    (lambda: costs.set_budget("iam", year=2025, amount=1, actor="t"), "2025 is closed"),
    (lambda: costs.set_rule("iam", rule="population", population_year=2025, effective=D(2025, 6, 1), actor="t"), "2025 is closed"),
    (lambda: changes.add_members("iam", ["091"], joined=D(2025, 6, 1), decision="", actor="t"), "2025 is closed"),
    (lambda: costs.add_grant("iam", year=2025, amount=100, text="EU", actor="t"), "2025 is closed"),
    (lambda: costs.close_year("iam", 2025, actor="t"), "closed already"),
    (lambda: costs.set_rule("iam", rule="fixed", percentages={"638": "75", "109": "20"}, actor="t"), "not exactly 100"),
    (lambda: costs.set_rule("iam", rule="equal", caps=dict.fromkeys([*demo.FOUNDERS, "106", "444", "740"], 100),
                                 effective=D(2026, 1, 1), actor="t"), "below what closed years already hold for it"),
    (lambda: costs.set_rule("iam", rule="hybrid", base_percent="140", population_year=2025, actor="t"), "between 0 and 100"),
    (lambda: costs.set_policy("iam", policy="monthly", actor="t"), "unknown policy"),
    (lambda: costs.log_hours("iam", key="state", rows=[{"person": "A", "date": "2026-01-02", "task": "dev", "hours": "2"}], actor="t"), "no subsidy"),
])
def test_bad_changes_are_refused_and_nothing_is_posted(in_demo, call, message) -> None:
    costs.close_year("iam", 2025, actor="t")
    before = counts()
    seq = changes.get_project("iam").ledger_seq
    with pytest.raises((InvalidInput, Conflict), match=message):
        call()
    assert counts() == before and changes.get_project("iam").ledger_seq == seq


def test_staff_costs_three_quarters_and_one_quarter_with_own_costs_charged_alone(app) -> None:
    # 100,000.01 split 75 % / 25 %: 75,000.0075 and 25,000.0025; the cent left goes to Porvoo.
    # Sipoo's own devices (3,480.00) and travel (412.35) are charged to Sipoo alone.
    with app.app_context():
        changes.create_project("staff", name="Staff", years={2025: 10_000_001}, start=D(2025, 1, 1), end=D(2025, 12, 31),
                               rule="equal", actor="t")
        changes.add_members("staff", ["638", "753"], joined=D(2025, 1, 1), decision="", actor="t")
        costs.set_rule("staff", rule="fixed", percentages={"638": "75", "753": "25"}, effective=D(2025, 1, 1),
                         decision="agreement 3.2.2025", actor="t")
        costs.add_charge("staff", city="753", amount=348_000, date=D(2025, 4, 2), text="devices", actor="t")
        costs.add_charge("staff", city="753", amount=41_235, date=D(2025, 9, 15), text="travel", actor="t")
        lines = {s.code: s for s in changes.shares(changes.get_project("staff"))}
        assert (lines["638"].share, lines["638"].charged) == (7_500_001, 0)
        assert (lines["753"].share, lines["753"].charged, lines["753"].total) == (2_500_000, 389_235, 2_889_235)
        check_replay("staff")


@pytest.mark.parametrize("policy, late", [("whole-term", 7_666_666), ("pro-rata", 3_019_694)])
def test_a_late_joiner_under_each_policy(app, policy: str, late: int) -> None:
    # Two members share 80,000.00 (2025) and 150,000.00 (2026); a third joins 1.7.2026.
    # Whole term: a third of 230,000.00 each. Pro rata: 184 of 914 member-days of 2026.
    with app.app_context():
        changes.create_project("late", name="Late", years={2025: 8_000_000, 2026: 15_000_000}, start=D(2025, 1, 1),
                               end=D(2026, 12, 31), rule="equal", policy=policy, actor="t")
        changes.add_members("late", ["020", "638"], joined=D(2025, 1, 1), decision="", actor="t")
        changes.add_members("late", ["753"], joined=D(2026, 7, 1), decision="", actor="t")
        shares = {s.code: s.share for s in changes.shares(changes.get_project("late"))}
        assert shares["753"] == late and sum(shares.values()) == 23_000_000
        check_replay("late")


def test_hours_drive_the_subsidy_and_a_joining_fee_goes_to_the_joiner(in_demo) -> None:
    project = changes.get_project("iam")
    costs.set_subsidy("iam", key="state", rate=4_500, text="state subsidy 50 %", actor="t")
    costs.log_hours("iam", key="state", rows=[{"person": "Aino", "date": "2026-03-02", "task": "development", "hours": "7.5"},
                                                 {"person": "Eero", "date": "2026-03-03", "task": "testing", "hours": "0.5"}], actor="t")
    shares = changes.shares(project)
    assert sum(s.share for s in shares) == 52_000_000 - 8 * 4_500
    costs.set_joining_fee("iam", tiers=[(D(2025, 12, 31), 100), (None, 300)], population_year=2025, actor="t")
    outcome = changes.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="", actor="t")
    from ledger import municipalities as M

    assert [(c.code, c.cents) for c in outcome.recalculation.charges] == [("091", M.lookup("091", 2025).population * 300)]
    assert changes.journal_for(project).charged()["091"] == M.lookup("091", 2025).population * 300
    check_replay("iam")


def _histories():
    years = st.dictionaries(st.integers(2025, 2027), st.integers(0, 5_000_000), min_size=3, max_size=3)
    when = st.dates(D(2025, 1, 1), D(2027, 12, 31))
    city = st.sampled_from(CITIES)
    action = st.one_of(
        st.tuples(st.just("join"), st.lists(city, min_size=1, max_size=2, unique=True), when),
        st.tuples(st.just("leave"), city, when),
        st.tuples(st.just("budget"), st.integers(2025, 2027), st.integers(0, 5_000_000)),
        st.tuples(st.just("rule"), st.sampled_from(["equal", "population", "hybrid"]), when),
        st.tuples(st.just("close"), st.integers(2025, 2027)),
        st.tuples(st.just("charge"), city, when, st.integers(1, 100_000)),
        st.tuples(st.just("grant"), st.integers(2025, 2027), st.integers(1, 1_000_000), st.none() | city),
        st.tuples(st.just("hours"), when, st.integers(1, 800)),
        st.tuples(st.just("cancel"), st.integers(1, 3)),
        st.tuples(st.just("policy"), st.sampled_from(["whole-term", "pro-rata"])),
    )
    return st.tuples(st.sampled_from(["whole-term", "pro-rata"]), years, st.lists(action, min_size=1, max_size=7))


def _run(slug: str, action: tuple) -> None:
    kind, *a = action
    if kind == "join":
        changes.add_members(slug, a[0], joined=a[1], decision="", actor="p")
    elif kind == "leave":
        changes.withdraw_member(slug, a[0], left=a[1], decision="", actor="p")
    elif kind == "budget":
        costs.set_budget(slug, year=a[0], amount=a[1], actor="p")
    elif kind == "rule":
        costs.set_rule(slug, rule=a[0], population_year=2025 if a[0] != "equal" else None,
                         base_percent="40" if a[0] == "hybrid" else None, effective=a[1], actor="p")
    elif kind == "close":
        costs.close_year(slug, a[0], actor="p")
    elif kind == "charge":
        costs.add_charge(slug, city=a[0], amount=a[2], date=a[1], text="own costs", actor="p")
    elif kind == "grant":
        costs.add_grant(slug, year=a[0], amount=a[1], text="grant", target=a[2], actor="p")
    elif kind == "cancel":
        costs.cancel_charge(slug, a[0], reason="error", actor="p")
    elif kind == "hours":
        costs.log_hours(slug, key="state", rows=[{"person": "P", "date": a[0].isoformat(), "task": "t", "hours": f"{a[1] / 100:.2f}"}], actor="p")
    else:
        costs.set_policy(slug, policy=a[0], actor="p")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=_histories())
def test_any_history_of_changes_replays_to_exactly_the_posted_entries(app, history) -> None:
    policy, years, actions = history
    slug = f"p{next(_slugs)}"
    with app.app_context():
        changes.create_project(slug, name="P", years=years, start=D(2025, 1, 1), end=D(2027, 12, 31), rule="equal",
                               policy=policy, actor="p")
        changes.add_members(slug, ["638"], joined=D(2025, 1, 1), decision="", actor="p")
        costs.set_subsidy(slug, key="state", rate=4_500, text="subsidy", actor="p")
        for action in actions:
            with contextlib.suppress(LedgerError):  # refused, and nothing of it stored
                _run(slug, action)
        check_replay(slug)
        db.session.remove()


def test_a_cap_below_what_a_closed_year_keeps_is_refused(in_demo) -> None:
    costs.close_year("iam", 2025, actor="t")
    before = counts()
    with pytest.raises(InvalidInput, match=r"cap of 638 .*(closed years|years before)"):
        costs.set_rule("iam", rule="equal", caps={"638": 100}, effective=D(2026, 1, 1), actor="t")
    assert counts() == before


def test_a_charge_made_in_error_is_cancelled_by_a_reversing_entry(in_demo) -> None:
    project = changes.get_project("iam")
    journal = changes.journal_for(project)
    costs.add_charge("iam", city="638", amount=1_200_000, date=D(2026, 9, 1), text="20 tablets", actor="t")
    assert changes.journal_for(changes.get_project("iam")) is journal  # takes the charge in
    posted = [E.format_entry(e) for e in journal.entries]
    outcome = costs.cancel_charge("iam", 1, reason="charged to the wrong city", actor="t")
    assert changes.journal_for(changes.get_project("iam")) is journal  # and the reversal
    assert journal.charged()["638"] == 0 and outcome.recalculation.charges[0].cents == -1_200_000
    assert all(text in [E.format_entry(e) for e in journal.entries] for text in posted)  # nothing edited
    reversals = [e for e in journal.entries if "cancelled: 20 tablets" in getattr(e, "narration", "")]
    assert len(reversals) == 1 and E.CHARGE_TAG in reversals[0].tags and E.check_balanced(reversals) == []
    assert [(p.account, str(p.units.number), int(p.meta["year"])) for p in reversals[0].postings] == [
        (E.member_account("638", "Porvoo"), "-12000.00", 2026), (E.DIRECT_CHARGES, "12000.00", 2026)]
    before = counts()
    with pytest.raises(Conflict, match="cancelled already"):
        costs.cancel_charge("iam", 1, reason="again", actor="t")
    with pytest.raises(InvalidInput, match="no charge number 7"):
        costs.cancel_charge("iam", 7, reason="x", actor="t")
    assert counts() == before
    costs.add_charge("iam", city="638", amount=500, date=D(2026, 3, 1), text="travel", actor="t")
    costs.close_year("iam", 2026, actor="t")
    with pytest.raises(Conflict, match="2026 is closed"):
        costs.cancel_charge("iam", 2, reason="x", actor="t")
    check_replay("iam")


def test_cli_cancels_a_charge(in_demo) -> None:
    costs.add_charge("iam", city="638", amount=1_200_000, date=D(2026, 9, 1), text="20 tablets", actor="t")
    runner = in_demo.test_cli_runner()
    result = runner.invoke(args=["charge", "cancel", "iam", "1", "--reason", "wrong city"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["charge", "list", "iam"]).output
    assert "1. 2026-09-01" in listing and "(cancelled)" in listing
    refused = runner.invoke(args=["charge", "cancel", "iam", "1", "--reason", "again"])
    assert refused.exit_code == 2 and "cancelled already" in refused.output
