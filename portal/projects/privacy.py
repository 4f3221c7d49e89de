"""What a member city sees of the others: decided once, here, and applied by every page, API answer
and export a city contact can reach.

The decision (README, *Privacy between cities*):

* **Shares are transparent** to every member, as the agreements say: every member's share, each
  year's share, the rule, the populations, how each share was computed and every change to them.
* **A city's own costs are its own**: its direct charges, its joining fees, the catch-ups it pays
  for closed years and the funding targeted to it (a grant or a subsidy for its share only, and
  the hours logged for such a subsidy). A city contact sees its own city's and no other's; the
  project lead, accountants and admins see every city's.
* Where a list shows every member (the members table, ``/api/v1/projects/<slug>/shares``), another
  city's ``charged`` and ``total`` are **not shown** (``null`` in JSON), rather than replaced by a
  total of all cities' charges: any sum over the other cities gives each of them away as soon as
  only one other city has a charge, and a change of that sum dates and prices every new charge.
  The shares themselves stay, so the members table still sums to the budget.
* The bookkeeping's records (imports, their reversals, issued invoices, payments) are not shown
  to a contact as changes: their summaries name cities and add up several cities' invoices. A
  city's own invoices and payments are on its invoices page and its statement. Nor is an audit
  record that is no change (a billing setting, a reminder).
* A recorded change that is about another city's own cost (a charge, its cancellation, targeted
  funding) is left out of the recent changes, and its page is "no such change" (404), as if it
  did not exist; a change that concerns everyone (a join, a joining fee) is shown without the
  other cities' charges it posted, and with the funding targeted to them as one unnamed sum.

:func:`viewer` says who is looking; everything else here filters what it is given for that viewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

from flask_login import current_user

from ledger.budget import Charge
from ledger.explain import Step
from ledger.funding import Grant
from ledger.money import fmt, from_fmt
from ledger.project import KINDS as CHANGE_KINDS
from ledger.project import POSTED_AS_BUILT, ProjectState, SubsidyScheme
from portal.audit import AuditEvent

T = TypeVar("T")
WIDER = ("lead", "accountant")  # and admin, who has every role: they see every city's own costs
# The owner of the records only the lead, accountants and admins open: the bookkeeping's (imports,
# their reversals, issued invoices, payments: their summaries name cities and add up several
# cities' invoices; a city's own are on its invoices page and statement) and every audit record
# that is no change (a billing setting, a reminder). No city's, so no contact sees them.
STAFF = "*staff*"
PRIVATE_STEPS = ("charges", "targeted", "funding")  # ledger.explain's kinds of step that can name one city's own cost


class Viewer(NamedTuple):
    """Who is looking: ``city`` None sees every city's own costs; else only that city's ("" none)."""

    city: str | None

    @property
    def sees_all(self) -> bool:
        return self.city is None

    def sees(self, code: str | None) -> bool:
        """Whether the viewer may see the own costs of ``code`` (None: the project's own, seen by every member)."""
        return code is None or self.city is None or code == self.city


def viewer(user: Any = None) -> Viewer:
    """The current user (or ``user``) as a :class:`Viewer`."""
    user = current_user if user is None else user
    if user.has_role(*WIDER):
        return Viewer(None)
    return Viewer(str(user.city_code or ""))


# -- a city's own costs ----------------------------------------------------------------------------
def charges(who: Viewer, items: Iterable[Charge]) -> list[Charge]:
    """Direct charges, joining fees or catch-ups the viewer may see."""
    return [c for c in items if who.sees(c.code)]


def grants(who: Viewer, items: Iterable[Grant]) -> list[Grant]:
    """General grants, and those targeted to a city the viewer may see."""
    return [g for g in items if who.sees(g.target)]


def schemes(who: Viewer, items: Iterable[T]) -> list[T]:
    """Subsidies (``SubsidyScheme`` or ``(scheme, subsidy)`` pairs): general ones, and those for the viewer's city."""
    return [item for item in items if who.sees(_scheme(item).target)]


def hidden_schemes(who: Viewer, state: ProjectState) -> set[str]:
    """The keys of the subsidies targeted to cities the viewer may not see (their hours are not shown)."""
    return {s.key for s in state.subsidies if not who.sees(s.target)}


def charged(who: Viewer, code: str, cents: int) -> int | None:
    """A city's direct charges as the viewer may see them: None for another city's."""
    return cents if who.sees(code) else None


def _scheme(item: Any) -> SubsidyScheme:
    scheme = item[0] if isinstance(item, tuple) and not isinstance(item, SubsidyScheme) else item
    assert isinstance(scheme, SubsidyScheme)
    return scheme


# -- recorded changes ------------------------------------------------------------------------------
def owner(event: AuditEvent, state: ProjectState | None) -> str | None:
    """The city whose own cost a recorded change is about (a charge, its cancellation, targeted funding),
    :data:`STAFF` for a record that is no change of everyone's; else None (everyone's).

    Without the project's ``state`` (the audit log's subscriber runs inside the change's own
    transaction, where the state must not be read) a cancellation and logged hours have no owner.
    """
    if event.action in POSTED_AS_BUILT or event.action not in CHANGE_KINDS:
        return STAFF
    params = (event.details.get("op") or {}).get("params") or {}
    if event.action == "charge-added":
        return str(params.get("city") or "") or None
    if event.action == "charge-cancelled" and state is not None:
        number = params.get("number")
        return state.charges[number - 1].code if isinstance(number, int) and 0 < number <= len(state.charges) else None
    if event.action in ("grant-added", "subsidy-set"):
        return params.get("target") or None
    if event.action == "hours-logged" and state is not None:
        return next((s.target for s in state.subsidies if s.key == params.get("key")), None)
    return None


def events(who: Viewer, items: Iterable[AuditEvent], state: ProjectState) -> list[AuditEvent]:
    """The recorded changes the viewer may see."""
    return [e for e in items if who.sees(owner(e, state))]


def details(who: Viewer, recorded: dict[str, Any]) -> dict[str, Any]:
    """A change's audit details as the viewer may see them: the charges it posted to other cities,
    and the funding targeted to them, left out.

    The funding targeted to other cities is shown as one sum (``funding_others``, an amount as
    ``fmt`` writes it), so that the page's budget, less its funding, is still what the members
    share: the sum gives nothing away, being the budget, less the funding shown, less the shares,
    which are open to every member. The op's own parameters (``op``) are never shown on a page, so
    they go too.
    """
    shown = {k: v for k, v in recorded.items() if k != "op"}
    if "charges" in shown:
        shown["charges"] = [c for c in shown["charges"] if who.sees(c.get("city"))]
    if "funding" in shown:
        others = [f for f in shown["funding"] if not who.sees(f.get("target"))]
        shown["funding"] = [f for f in shown["funding"] if who.sees(f.get("target"))]
        if others:
            shown["funding_others"] = fmt(sum(from_fmt(f["amount"]) for f in others))
    return shown


def steps(who: Viewer, items: Sequence[Step]) -> list[Step]:
    """An explanation's steps without other cities' charges and targeted funding (the shares stay).

    The result over the term of every member goes too, for a viewer who does not see every city's
    own costs: each total is a share plus the member's charges, so less its open share it is the
    charges. The viewer's own city's result is its own step (``ledger.explain.explain_member``).
    """
    return [s for s in items if (s.kind not in PRIVATE_STEPS or who.sees(s.data.get("code") or s.data.get("target")))
            and not (s.kind == "result" and "totals" in s.data and not who.sees_all)]
