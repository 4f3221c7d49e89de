"""The in-memory ledger of one project: the one stateful object of the core.

A :class:`Journal` holds a project's entries sorted as beancount sorts them and the running
assessed share of every member; queries run over a copy of the list in a child process
(``ledger.query``), so a slow query never blocks a change. Entries come in
as numbered *postings* (``seq`` 1, 2, 3 …, one per committed change): a worker that posted a
change adds the entries it built, another worker adds the text of the postings it has not seen.
Nothing is ever re-parsed or re-sorted as a whole.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from beancount import loader
from beancount.core import data

from ledger import entries as E
from ledger import query as Q
from ledger.cells import Cell, totals_of
from ledger.errors import InvalidInput

LEDGER_OPTIONS = 'option "operating_currency" "EUR"\n'


def default_options(title: str = "") -> dict[str, Any]:
    """beancount's options map for a project ledger (operating currency EUR)."""
    text = LEDGER_OPTIONS + (f'option "title" "{E.escape(title)}"\n' if title else "")
    _, _, options = loader.load_string(text)
    return dict(options)


class ShareEvent(NamedTuple):
    """One entry that moved a city's share or charged it directly, for its history.

    ``share`` is the assessed share alone after the entry (what a change's page shows in its
    "after" column); ``charged`` the direct charges and joining fees after it, kept apart: a charge
    is the city's own cost, never part of its share of the budget.
    """

    date: dt.date
    seq: int
    change: int        # cents of this entry for the city
    share: int         # cents: the assessed share after the entry (charges not included)
    narration: str
    meta: dict[str, Any]
    years: dict[int | None, int]   # year (None: before budget years) -> cents of this entry
    kind: str                      # E.ASSESSMENT_TAG, E.CHARGE_TAG or E.FEE_TAG
    charged: int = 0               # cents: the direct charges and joining fees after the entry

    @property
    def is_share(self) -> bool:
        """Whether the entry moved the share (an assessment), rather than charging the city directly."""
        return self.kind == E.ASSESSMENT_TAG


class Journal:
    """A project's ledger held in memory; thread-safe; takes in postings incrementally."""

    def __init__(self, source: str, title: str = "") -> None:
        self.source = source
        self.title = title
        self.options = default_options(title)
        self.seq = 0
        self._entries: list[data.Directive] = []
        self._cells: dict[Cell, int] = {}
        self._charged: dict[Cell, int] = {}   # direct charges and joining fees
        self._fees: dict[Cell, int] = {}      # joining fees alone: what a recalculation diffs against
        self._accounts: set[str] = set()
        self._lock = threading.RLock()

    # -- taking in ---------------------------------------------------------------------------
    def add(self, seq: int, new: Sequence[data.Directive]) -> None:
        """Take in the entries of posting ``seq``, which must be the next one."""
        with self._lock:
            if seq != self.seq + 1:
                raise InvalidInput("posting %(seq)s is out of order: the journal is at %(at)s", seq=seq, at=self.seq)
            for entry in new:
                entry = entry._replace(meta={**entry.meta, **E.source_meta(self.source, seq)})
                bisect.insort_right(self._entries, entry, key=data.entry_sortkey)
                E.add_cells(self._cells, entry)
                E.add_cells(self._charged, entry, E.CHARGE_TAG)
                E.add_cells(self._charged, entry, E.FEE_TAG)
                E.add_cells(self._fees, entry, E.FEE_TAG)
                if isinstance(entry, data.Open):
                    self._accounts.add(entry.account)
            self.seq = seq

    def add_text(self, rows: Iterable[tuple[int, str]]) -> int:
        """Take in stored postings ``(seq, text)`` in order; returns how many were read."""
        count = 0
        for seq, text in rows:
            self.add(seq, E.parse_entries(text, self.source, seq))
            count += 1
        return count

    # -- reading -----------------------------------------------------------------------------
    @property
    def entries(self) -> list[data.Directive]:
        """A snapshot of the entries, sorted."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def assessed(self) -> dict[str, int]:
        """Each city's assessed share in cents (all years), as the ledger says now."""
        with self._lock:
            return totals_of(self._cells)

    def assessed_cells(self) -> dict[Cell, int]:
        """Each city's assessed share per budget year ``(year, code)``; year None: before years existed."""
        with self._lock:
            return dict(self._cells)

    def charged(self) -> dict[str, int]:
        """Each city's direct charges in cents (joining fees, its own costs)."""
        with self._lock:
            return totals_of(self._charged)

    def charged_cells(self) -> dict[Cell, int]:
        with self._lock:
            return dict(self._charged)

    def fee_cells(self) -> dict[Cell, int]:
        """Each member's joining fees per year, as the ledger holds them."""
        with self._lock:
            return dict(self._fees)

    def accounts(self) -> set[str]:
        with self._lock:
            return set(self._accounts)

    def history(self, code: str) -> list[ShareEvent]:
        """Every entry that moved one city's share or charged it, in the order they were posted.

        Posting order, not date order: a change dated before an earlier posted one (a backdated
        join) moved the share from what it was when it was posted, so each row's running total is
        what the share really was after that change, as the change's own page says (its "after"
        column: the share alone; direct charges and joining fees run apart, in ``charged``).
        """
        events: list[ShareEvent] = []
        share = charged = 0
        for entry in sorted(self.entries, key=lambda e: e.meta["lineno"]):  # stable: a posting keeps its order
            kind = _history_kind(entry)
            if kind is None or not isinstance(entry, data.Transaction):
                continue
            years: dict[int | None, int] = {}
            for posting in entry.postings:
                if E.code_of_account(posting.account) == code:
                    year = E.posting_year(posting)
                    years[year] = years.get(year, 0) + E.posting_cents(posting)
            if years:
                change = sum(years.values())
                if kind == E.ASSESSMENT_TAG:
                    share += change
                else:
                    charged += change
                meta = {k: v for k, v in entry.meta.items() if k not in ("filename", "lineno")}
                events.append(ShareEvent(entry.date, entry.meta["lineno"], change, share, entry.narration or "", meta, years,
                                         kind, charged))
        return events

    def query(self, text: str, limits: Q.Limits | None = None) -> Q.QueryResult:
        """Run a read-only BQL query over the ledger as it is now, within ``limits``.

        The lock is held only to copy the entry list: the query runs in a child process for up
        to ``limits.seconds``, and other requests must not wait for it.
        """
        return Q.run(self.entries, self.options, text, limits or Q.Limits())


def _history_kind(entry: data.Directive) -> str | None:
    """The tag that puts an entry in a city's history: its assessment, a direct charge, a joining fee."""
    if not isinstance(entry, data.Transaction):
        return None
    return next((t for t in (E.ASSESSMENT_TAG, E.CHARGE_TAG, E.FEE_TAG) if t in entry.tags), None)
