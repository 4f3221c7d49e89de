"""The portal's own printer of entries (``ledger.printing``) against beancount's, and the collector's pause."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal
from fractions import Fraction

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import parser, printer

from ledger import entries as E
from ledger import printing
from ledger.allocation import Running
from ledger.collector import paused

D = dt.date


def _plain(entries: list[data.Directive]) -> list[data.Directive]:
    """Entries without the parser's filename and line numbers, to compare."""
    def clean(meta: data.Meta | None) -> dict[str, object]:
        return {k: v for k, v in (meta or {}).items() if k not in ("filename", "lineno")}
    out: list[data.Directive] = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            entry = entry._replace(postings=[p._replace(meta=clean(p.meta)) for p in entry.postings])
        out.append(entry._replace(meta=clean(entry.meta)))
    return out


def _change() -> data.Transaction:
    moves = {(2025, "005"): 1234, (2026, "005"): -5, (None, "091"): -1229, (2026, "638"): 5}
    names = {"005": "Alajärvi", "091": "Helsinki", "638": "Porvoo"}
    meta = {"change": "members-added", "effective": D(2026, 1, 3), "actor": 'a "quoted" \\ actor', "members": Decimal(3),
            "allocated": "10.00 EUR", "flagged": True, "nothing": None, "amount": Amount(Decimal("1.50"), "EUR")}
    entry = E.assessment(D(2026, 1, 3), moves, names, 'Porvoo "joins"; shares recalculated', meta)
    assert entry is not None
    return entry


def test_the_same_text_as_beancount_for_what_the_portal_writes() -> None:
    entry = _change()
    recognised = E.recognitions(entry, E.CONTRIBUTIONS)
    for e in [entry, *recognised, E.charge(D(2026, 2, 1), "638", "Porvoo", 12_345, "own costs", {"amount": "123.45 EUR"})]:
        assert printing.format_entry(e) == printer.format_entry(e)


def test_what_it_writes_parses_back_and_prints_the_same() -> None:
    entry = _change()
    text = printing.format_entry(entry)
    parsed, errors, _ = parser.parse_string(text)
    assert not errors
    assert _plain(parsed) == _plain([entry])
    assert printing.format_entry(parsed[0]) == text


def test_anything_else_is_left_to_beancount() -> None:
    at_cost = data.Posting("Assets:Hours", Amount(Decimal(10), "HOURS"),
                           data.Cost(Decimal("45.00"), "EUR", None, None), None, None, None)
    cash = data.Posting("Assets:Bank", Amount(Decimal("-450.00"), "EUR"), None, None, None, None)
    bought = data.Transaction({}, D(2026, 1, 1), "*", "Payee", "", frozenset(), frozenset(), [at_cost, cash])
    odd_meta = data.Transaction({"x": {"a": 1}}, D(2026, 1, 1), "*", None, "n", frozenset(), frozenset(), [cash])
    for e in [bought, odd_meta, E.open_entry(D(2026, 1, 1), "Assets:Bank", {})]:
        assert printing.format_entry(e) == printer.format_entry(e)


def test_running_totals_are_the_fractions_sums() -> None:
    years = [{"a": Fraction(1, 3), "b": Fraction(2, 3)}, {"a": 5, "c": 7}, {"b": Fraction(5, 7), "c": Fraction(-5, 7)}]
    running, exact = Running.of(["a", "b", "c"]), {"a": Fraction(0), "b": Fraction(0), "c": Fraction(0)}
    for amounts in years:
        running = running.plus(amounts)
        for code, amount in amounts.items():
            exact[code] += amount
        assert {c: Fraction(n, running.denominator) for c, n in running.numerators.items()} == exact


def test_the_collector_is_paused_and_then_as_it_was() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # someone else's choice is kept
    finally:
        gc.enable()
