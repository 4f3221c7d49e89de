"""The core's most common refusals in the page's language, translated at the one edge (``portal.errors``).

The core (``ledger``) refuses in English and knows no languages: its messages are data, also read
by the command line and the JSON API. Here each common message's shape is matched by a pattern
whose named parts fill a translatable template; its English msgid gives back exactly the core's
text, so an English page reads as before. A message no pattern matches stays English.
"""

from __future__ import annotations

import re

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

HINT = r"\(write it like 520000\.00 or 520 000,00\)"
# (the core's message as a pattern, its template); the template's placeholders are the pattern's groups.
PATTERNS: list[tuple[re.Pattern[str], LazyString]] = [(re.compile(pattern), template) for pattern, template in (
    (r"(?P<city>.+) is not a member of (?P<project>.+)", _l("%(city)s is not a member of %(project)s")),
    (r"(?P<city>.+) is not a current member of (?P<project>.+)", _l("%(city)s is not a current member of %(project)s")),
    (r"already a member: (?P<cities>.+)", _l("already a member: %(cities)s")),
    (r"(?P<year>[0-9]{4}) is closed already", _l("%(year)s is closed already")),
    (r"(?P<what>.+) (?P<text>'.*') is not a number " + HINT,
     _l("%(what)s %(text)s is not a number (write it like 520000.00 or 520 000,00)")),
    (r"(?P<what>.+) (?P<text>'.*') has more than two decimals", _l("%(what)s %(text)s has more than two decimals")),
    (r"(?P<what>.+) must not be negative \(got (?P<text>.+)\)", _l("%(what)s must not be negative (got %(text)s)")),
    (r"(?P<what>.+) (?P<when>\S+) is outside the project's years \((?P<start>\S+) – (?P<end>\S+)\)",
     _l("%(what)s %(when)s is outside the project's years (%(start)s – %(end)s)")),
    (r"(?P<year>.+) is not one of the project's years \((?P<years>.+)\)",
     _l("%(year)s is not one of the project's years (%(years)s)")),
    (r"the import was refused; nothing was added \((?P<n>[0-9]+) problems\)",
     _l("the import was refused; nothing was added (%(n)s problems)")),
    (r"the import was refused; nothing was added", _l("the import was refused; nothing was added")),
    (r"the file holds no transactions to import", _l("the file holds no transactions to import")),
    (r"the fixed percentages from (?P<since>\S+) do not name (?P<codes>.+), who share (?P<year>[0-9]{4}): give every member's "
     r"percentage with the join \(a new rule version from (?P<from>\S+)\), or set a new rule version naming every member",
     _l("the fixed percentages from %(since)s do not name %(codes)s, who share %(year)s: give every member's percentage with "
        "the join (a new rule version from %(from)s), or set a new rule version naming every member")),
    (r"(?P<year>[0-9]{4}) is not over yet: only a past year can be closed",
     _l("%(year)s is not over yet: only a past year can be closed")),
    (r"the portal is busy with another change; nothing was changed, try again in a moment",
     _l("the portal is busy with another change; nothing was changed, try again in a moment")),
    (r"the database cannot be reached just now; nothing was changed, try again in a moment",
     _l("the database cannot be reached just now; nothing was changed, try again in a moment")),
)]


def translated(message: str) -> str:
    """``message`` in the request's language when its shape is known; else (and outside a request) as it is."""
    if not has_request_context():
        return message
    for pattern, template in PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return str(template) % found.groupdict()  # the translation keeps its placeholders until here
    return message
