"""Funders' receivables: grants and state subsidies are owed by their funder until it pays.

Funding reduces what the members pay (``ledger.funding``, ``ledger.budget``); that is unchanged.
The ledger also records the funding itself: each grant and each subsidy's amount of a budget year
is a debit of ``Assets:Receivable:Funders:<Funder>`` against ``Income:Grants`` or
``Income:Subsidies`` (for that year, recognised in that year like contributions:
``ledger.entries.counterpart``, ``recognitions``) in a ``#funding`` entry. Like joining fees it is
derived from the project's state: every change posts the difference between what the state now
gives each (year, funder) and what the ledger's sums hold, a closed year keeping what it holds.
The funder's payment, an import or a manual entry crediting its receivable, settles it.

The funder of a grant is named by the grant's text, of a subsidy by the subsidy's name (its key).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from beancount.core import data
from beancount.core.amount import Amount

from ledger import entries as E
from ledger.cells import Books
from ledger.funding import subsidy_amount
from ledger.money import CURRENCY, to_decimal
from ledger.project import ProjectState, subsidies

FUNDERS = E.FUNDERS
GRANTS = "Income:Grants"
SUBSIDIES = "Income:Subsidies"
FUNDING_TAG = E.FUNDING_TAG
#: (budget year, funder's receivable account, income account) of funding.
FundingCell = tuple[int, str, str]


def funder_account(name: str) -> str:
    """``Assets:Receivable:Funders:State-subsidy``: a valid beancount component made of the funder's name."""
    component = re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-_") or "Funder"
    return f"{FUNDERS}:{component[:1].upper()}{component[1:]}"


def income_of(account: str) -> str:
    """The income account a funder's receivable is balanced against (by its name: ``…:Subsidy-…``)."""
    return SUBSIDIES if account.rsplit(":", 1)[-1].startswith("Subsidy-") else GRANTS


def state_cells(state: ProjectState) -> dict[tuple[int, str], int]:
    """What the state says each funder owes per budget year: ``(year, account)`` to cents."""
    out: dict[tuple[int, str], int] = {}
    for grant in state.grants:
        key = (grant.year, funder_account(grant.text))
        out[key] = out.get(key, 0) + grant.cents
    for scheme, subsidy in subsidies(state):
        for year, cents in subsidy_amount(subsidy).by_year.items():
            key = (year, funder_account(f"Subsidy {scheme.key}"))
            out[key] = out.get(key, 0) + cents
    return {k: v for k, v in out.items() if v}


def ledger_cells(books: Books) -> dict[tuple[int, str], int]:
    """What the ledger's ``#funding`` entries hold per (year, funder's account)."""
    out: dict[tuple[int, str], int] = {}
    for (tag, account, year), cents in books.sums.items():
        if tag == FUNDING_TAG and account.startswith(FUNDERS + ":") and year is not None:
            out[(year, account)] = out.get((year, account), 0) + cents
    return out


def moves(state: ProjectState, held: Mapping[tuple[int, str], int]) -> dict[tuple[int, str], int]:
    """What to post: each open year's difference between the state's funding and what the ledger holds."""
    wanted = state_cells(state)
    shut = set(state.closed)
    keys = {k for k in set(wanted) | set(held) if k[0] not in shut}
    return {k: v for k in sorted(keys) if (v := wanted.get(k, 0) - held.get(k, 0))}


def _posting(account: str, cents: int, year: int) -> data.Posting:
    return data.Posting(account, Amount(to_decimal(cents), CURRENCY), None, None, None, {"year": Decimal(year)})


def entries(date: dt.date, moved: Mapping[tuple[int, str], int], narration: str, meta: data.Meta) -> list[data.Transaction]:
    """The ``#funding`` entry of ``moved`` and its ``#recognition`` entries; nothing when nothing moved."""
    if not moved:
        return []
    postings = []
    for (year, account), cents in sorted(moved.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        postings += [_posting(account, cents, year), _posting(E.counterpart(income_of(account), year, date), -cents, year)]
    entry = data.Transaction(meta, date, "*", None, narration, frozenset({FUNDING_TAG}), frozenset(), postings)
    return [entry, *E.recognitions(entry, GRANTS), *E.recognitions(entry, SUBSIDIES)]


def accounts(built: Iterable[data.Transaction]) -> set[str]:
    """Every account ``built`` posts to (what must be open)."""
    return {p.account for e in built for p in e.postings}
