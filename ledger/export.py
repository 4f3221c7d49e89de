"""Render a project's ledger as one complete ``.beancount`` file.

The file opens in bean-check, bean-query and Fava and gives the same balances as the portal:
options, every ``open`` directive and every transaction with its metadata, in date order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from beancount.core import data

from ledger import entries as E


def render(entries: Sequence[data.Directive], *, title: str, generated: dt.datetime | None = None, note: str = "") -> str:
    """The whole ledger as beancount text."""
    when = (generated or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    lines = [
        f";; {title}: contribution ledger exported by the consortium portal at {when}.",
        ";; Open it with: bean-check FILE, bean-query FILE, or fava FILE.",
    ]
    if note:
        lines.extend(f";; {line}" for line in note.splitlines())
    lines += [
        "",
        f'option "title" "{E.escape(title)}"',
        'option "operating_currency" "EUR"',
        "",
    ]
    body = [E.format_entry(entry) for entry in entries]
    return "\n".join(lines) + "\n" + "\n".join(body)
