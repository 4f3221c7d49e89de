"""Render a project's ledger as one complete ``.beancount`` file.

The file opens in bean-check, bean-query and Fava and gives the same balances as the portal:
options, every ``open`` directive and every transaction with its metadata, in date order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from beancount.core import data
from beancount.parser.grammar import ValueType

from ledger import entries as E


def settings_entry(date: dt.date, settings: Sequence[tuple[str, str]]) -> data.Custom:
    """The project's cost-sharing settings as one ``custom`` directive: Fava and bean-query keep it, balances ignore it.

    An auditor reading only the file sees under which policy and settings the shares were computed.
    """
    values = [ValueType(text, str) for pair in settings for text in pair]
    return data.Custom(data.new_metadata("<export>", 0), date, "cost-sharing", values)


def render(entries: Sequence[data.Directive], *, title: str, generated: dt.datetime | None = None, note: str = "",
           settings: Sequence[tuple[str, str]] = (), start: dt.date | None = None) -> str:
    """The whole ledger as beancount text; ``settings`` (name, value) pairs head it as comments and a ``custom`` directive."""
    when = (generated or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    lines = [
        f";; {title}: contribution ledger exported by the consortium portal at {when}.",
        ";; Open it with: bean-check FILE, bean-query FILE, or fava FILE.",
    ]
    if note:
        lines.extend(f";; {line}" for line in note.splitlines())
    lines.extend(f";; {name}: {value}" for name, value in settings)
    lines += [
        "",
        f'option "title" "{E.escape(title)}"',
        'option "operating_currency" "EUR"',
        "",
    ]
    body = [E.format_entry(entry) for entry in entries]
    if settings and start is not None:
        body.insert(0, E.format_entry(settings_entry(start, settings)))
    return "\n".join(lines) + "\n" + "\n".join(body)
