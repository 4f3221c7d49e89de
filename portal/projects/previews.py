"""A change previewed before it is posted: the same change, run to the end of its recalculation, written nowhere.

Every change form shows first what every city's share of every year would become, and posts only
on *Confirm* (issue 12). The preview must be the very change that Confirm posts, so it is not a
second implementation: the form's service call runs as it always does, through
``portal.projects.services.change``, which, while :func:`preview` is in force, builds the op from
the current state, reads the ledger's sums and runs ``ledger.recalc.step`` exactly as a posting
would, then stops (:class:`Previewed`) before the lock, the posting and the commit. The flag is
a context variable rather than a parameter of each of the fifteen service functions, so that no
service can forget to pass it on and none needs a second code path.

Confirm runs the same call again inside :func:`confirmed`, which names the project's change
number the preview was made at; under the project's lock ``change`` refuses with :class:`Moved`
when another change came in between, and the form shows the new preview instead. Nothing is
posted that its user has not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from ledger.cells import Cell
from ledger.errors import Conflict
from ledger.project import Op
from ledger.recalc import Recalculation

_previewing: ContextVar[bool] = ContextVar("portal_previewing", default=False)
_expected: ContextVar[int | None] = ContextVar("portal_expected_change", default=None)


class Preview(NamedTuple):
    """What a change would do: its op, the recalculation, the details its audit record would hold,
    each member's assessed cents per ``(year, code)`` before it, and the project's change number."""

    op: Op
    result: Recalculation
    details: dict[str, Any]
    before: dict[Cell, int]
    change_seq: int

    def grid(self) -> tuple[list[int], list[GridRow]]:
        """Every city's share of every budget year, before and after: the years, and a row per city."""
        after = dict(self.before)
        for cell in self.result.cells:
            after[(cell.year, cell.code)] = cell.after
        years = sorted({y for y, _ in (*self.before, *after) if y is not None} | set(self.result.state.years))
        rows = [GridRow(r.code, r.name, [(self.before.get((y, r.code), 0), after.get((y, r.code), 0)) for y in years],
                        r.before, r.after) for r in self.result.rows]
        return years, rows


class GridRow(NamedTuple):
    """One city in the preview's table: ``(before, after)`` cents per year, in the order of the years."""

    code: str
    name: str
    years: list[tuple[int, int]]
    before: int
    after: int

    @property
    def changed(self) -> bool:
        return self.before != self.after or any(b != a for b, a in self.years)


def year_totals(rows: list[GridRow]) -> list[int]:
    """The sum of every row's share of each year, after the change (the preview table's footer)."""
    return [sum(column) for column in zip(*([after for _, after in row.years] for row in rows), strict=True)] if rows else []


class Previewed(Exception):  # not an error: how a previewed change leaves the service call
    """Raised by ``change`` in a preview, carrying the :class:`Preview` out of whichever service built the op."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(preview.op.summary)
        self.preview = preview


class Moved(Conflict):
    """A confirmed preview whose project has changed since (another change was posted in between)."""


def previewing() -> bool:
    return _previewing.get()


def preview(call: Callable[[], object]) -> Preview:
    """Run a change's service call as a preview: what it would post, nothing written.

    A refusal (``ledger.errors``, ``portal.errors``) passes through as it would from the posting.
    """
    token = _previewing.set(True)
    try:
        call()
    except Previewed as done:
        return done.preview
    finally:
        _previewing.reset(token)
    raise RuntimeError("the call previewed made no change")  # every change form's call ends in change()


@contextmanager
def expecting(change_seq: int) -> Iterator[None]:
    """Post only if the project is still at ``change_seq`` when its lock is taken (see :func:`check`)."""
    token = _expected.set(change_seq)
    try:
        yield
    finally:
        _expected.reset(token)


def check(change_seq: int) -> None:
    """Under the project's lock: refuse a confirmation made on a preview the project has moved on from."""
    expected = _expected.get()
    if expected is not None and expected != change_seq:
        raise Moved("the project has changed since the preview (change %(expected)s, now %(now)s); "
                    "nothing was posted: check the new preview and confirm again", expected=expected, now=change_seq)


def confirmed(call: Callable[[], Any], change_seq: int) -> Any:
    """Run the change's service call for real, provided the project is where the preview saw it."""
    with expecting(change_seq):
        return call()


def comparable(details: Mapping[str, Any]) -> dict[str, Any]:
    """An audit record's details without the moment the op was made: what a preview and its posting share."""
    out = dict(details)
    op = dict(out.pop("op", {}) or {})
    op.pop("recorded", None)
    out["op"] = op
    return out
