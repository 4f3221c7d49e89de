"""Whether a project's consortium agreement is in force: pure functions of its members' periods
and their signatures (no database, no Flask), so the rule is in one place and easy to test.

The rule (the README says it for people): the agreement binds only when every party has signed
it, and the parties on a day are the cities that are members on that day. A city that joins later
becomes a party by signing an accession to the same agreement; until its membership begins it is
not yet a party (an accession signed in advance keeps the agreement in force on its join day);
from its join day on, the agreement is not in force until it has signed. A member that has left
is no longer a party. A city that rejoins signs again for its new membership period.

Each signature belongs to one membership period (``period_joined``); the agreement is in force
on a day when there are parties and each of them has signed, on or before that day, for the
period it is in. It is in force *since* the first day of the unbroken run of such days up to
today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from ledger.sharing import Membership
from portal.clock import fi_date

ONE_DAY = dt.timedelta(days=1)


class Signed(NamedTuple):
    """A signature as the rule needs it: which city, for which membership period, on which day."""

    code: str
    period_joined: dt.date
    signed_on: dt.date


class Status(NamedTuple):
    """The agreement on one day (``on``)."""

    on: dt.date
    in_force: bool
    since: dt.date | None           # the first day of the run of days in force that reaches ``on``
    parties: tuple[str, ...]        # the members on ``on``
    signed: tuple[str, ...]         # the parties that have signed for their period
    missing: tuple[str, ...]        # the parties that have not: what the agreement waits for
    upcoming: tuple[str, ...]       # members whose period begins after ``on`` and has no signature yet


def period_for(periods: Sequence[Membership], day: dt.date) -> Membership | None:
    """The period a signature dated ``day`` binds a city for: the one it falls in, or the next one
    that begins after it (an accession signed before joining); none once the city has left for good."""
    return next((p for p in sorted(periods, key=lambda p: p.joined) if p.left is None or day <= p.left), None)


def _bound(signatures: Sequence[Signed], period: Membership, day: dt.date) -> bool:
    return any(s.code == period.code and s.period_joined == period.joined and s.signed_on <= day for s in signatures)


def parties_on(members: Sequence[Membership], day: dt.date) -> list[Membership]:
    """Every city's period that contains ``day``: the parties on that day."""
    return sorted((m for m in members if m.joined <= day and (m.left is None or day <= m.left)), key=lambda m: m.code)


def in_force_on(members: Sequence[Membership], signatures: Sequence[Signed], day: dt.date) -> bool:
    parties = parties_on(members, day)
    return bool(parties) and all(_bound(signatures, p, day) for p in parties)


def status(members: Sequence[Membership], signatures: Sequence[Signed], on: dt.date) -> Status:
    """The agreement's status on ``on`` and the day it has been in force since.

    The answer changes only on a join day, the day after a leave day, or a signature's day, so
    those days (up to ``on``) are the only ones looked at.
    """
    parties = parties_on(members, on)
    signed = tuple(p.code for p in parties if _bound(signatures, p, on))
    missing = tuple(p.code for p in parties if not _bound(signatures, p, on))
    upcoming = tuple(sorted(m.code for m in members if m.joined > on and
                            not any(s.code == m.code and s.period_joined == m.joined for s in signatures)))
    in_force = bool(parties) and not missing
    since = None
    if in_force:
        turns = sorted({*(m.joined for m in members), *(m.left + ONE_DAY for m in members if m.left),
                        *(s.signed_on for s in signatures), on})
        since = on
        for day in reversed([d for d in turns if d <= on]):
            if not in_force_on(members, signatures, day):
                break
            since = day
    return Status(on, in_force, since, tuple(p.code for p in parties), signed, missing, upcoming)


def describe(result: Status, name: dict[str, str]) -> str:
    """One sentence for the project page and the command line, with the cities' names in alphabetical order."""
    if result.in_force:
        text = f"Agreement in force since {fi_date(result.since or result.on)}."
    elif not result.parties:
        text = "Not in force: the project has no members yet."
    else:
        text = "Not in force: waiting for the signatures of " + ", ".join(sorted(name.get(c, c) for c in result.missing)) + "."
    if result.upcoming:
        text += " Joining later and still to sign: " + ", ".join(sorted(name.get(c, c) for c in result.upcoming)) + "."
    return text
