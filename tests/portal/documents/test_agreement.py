"""The agreement is in force when every party has signed: parties are the members of the day."""

from __future__ import annotations

import datetime as dt

from ledger.sharing import Membership
from portal.documents.agreement import Signed, describe, in_force_on, period_for, status

D = dt.date
A, B, C = "638", "753", "020"
NAMES = {A: "Porvoo", B: "Sipoo", C: "Akaa"}
FOUNDERS = [Membership(A, D(2025, 1, 1)), Membership(B, D(2025, 1, 1))]


def test_not_in_force_until_every_founder_has_signed() -> None:
    signed = [Signed(A, D(2025, 1, 1), D(2025, 2, 1))]
    result = status(FOUNDERS, signed, D(2025, 6, 1))
    assert not result.in_force and result.since is None and result.missing == (B,) and result.signed == (A,)
    assert describe(result, NAMES) == "Not in force: waiting for the signatures of Sipoo."
    assert describe(status(FOUNDERS, [], D(2025, 6, 1)), NAMES) == "Not in force: waiting for the signatures of Porvoo, Sipoo."


def test_in_force_since_the_last_signature() -> None:
    signed = [Signed(A, D(2025, 1, 1), D(2025, 2, 1)), Signed(B, D(2025, 1, 1), D(2025, 3, 1))]
    result = status(FOUNDERS, signed, D(2025, 6, 1))
    assert result.in_force and result.since == D(2025, 3, 1) and result.missing == ()
    assert describe(result, NAMES) == "Agreement in force since 1.3.2025."
    assert not in_force_on(FOUNDERS, signed, D(2025, 2, 28))


def test_signed_before_the_term_binds_from_the_first_day_of_membership() -> None:
    signed = [Signed(A, D(2025, 1, 1), D(2024, 12, 15)), Signed(B, D(2025, 1, 1), D(2024, 12, 15))]
    assert status(FOUNDERS, signed, D(2025, 6, 1)).since == D(2025, 1, 1)


def test_a_joiner_stops_it_until_it_signs_its_accession() -> None:
    members = [*FOUNDERS, Membership(C, D(2026, 1, 1))]
    signed = [Signed(A, D(2025, 1, 1), D(2025, 2, 1)), Signed(B, D(2025, 1, 1), D(2025, 3, 1))]
    assert status(members, signed, D(2025, 12, 31)).in_force  # not yet a party
    waiting = status(members, signed, D(2026, 2, 1))
    assert not waiting.in_force and waiting.missing == (C,)
    signed.append(Signed(C, D(2026, 1, 1), D(2026, 2, 15)))
    assert status(members, signed, D(2026, 6, 1)).since == D(2026, 2, 15)


def test_an_accession_signed_ahead_keeps_it_in_force_and_shows_who_is_still_to_sign() -> None:
    members = [*FOUNDERS, Membership(C, D(2026, 1, 1))]
    signed = [Signed(A, D(2025, 1, 1), D(2025, 2, 1)), Signed(B, D(2025, 1, 1), D(2025, 3, 1))]
    before = status(members, signed, D(2025, 12, 1))
    assert before.in_force and before.upcoming == (C,)
    assert describe(before, NAMES) == "Agreement in force since 1.3.2025. Joining later and still to sign: Akaa."
    signed.append(Signed(C, D(2026, 1, 1), D(2025, 12, 10)))
    after = status(members, signed, D(2026, 6, 1))
    assert after.in_force and after.since == D(2025, 3, 1) and after.upcoming == ()


def test_a_member_that_leaves_is_no_longer_a_party() -> None:
    members = [FOUNDERS[0], Membership(B, D(2025, 1, 1), D(2025, 12, 31))]
    signed = [Signed(A, D(2025, 1, 1), D(2025, 2, 1))]
    assert not status(members, signed, D(2025, 12, 31)).in_force
    result = status(members, signed, D(2026, 3, 1))
    assert result.in_force and result.since == D(2026, 1, 1) and result.parties == (A,)


def test_a_member_that_rejoins_signs_again_for_its_new_membership() -> None:
    members = [FOUNDERS[0], Membership(B, D(2025, 1, 1), D(2025, 12, 31)), Membership(B, D(2026, 6, 1))]
    signed = [Signed(A, D(2025, 1, 1), D(2025, 1, 1)), Signed(B, D(2025, 1, 1), D(2025, 1, 1))]
    assert not status(members, signed, D(2026, 7, 1)).in_force
    assert period_for([m for m in members if m.code == B], D(2026, 2, 1)) == members[2]   # between periods: the next one
    assert period_for([m for m in members if m.code == B], D(2025, 5, 1)) == members[1]
    signed.append(Signed(B, D(2026, 6, 1), D(2026, 7, 2)))
    assert status(members, signed, D(2026, 8, 1)).since == D(2026, 7, 2)


def test_a_signature_after_leaving_for_good_binds_for_nothing() -> None:
    assert period_for([Membership(B, D(2025, 1, 1), D(2025, 12, 31))], D(2026, 1, 1)) is None


def test_no_members_yet() -> None:
    result = status([Membership(A, D(2027, 1, 1))], [], D(2026, 1, 1))
    assert not result.in_force and result.parties == () and result.upcoming == (A,)
    assert describe(result, NAMES) == ("Not in force: the project has no members yet. "
                                       "Joining later and still to sign: Porvoo.")
