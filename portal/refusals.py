"""The core's refusals in the page's language, translated at the one edge (``portal.errors``).

The core (``ledger``) refuses in English and knows no languages: its messages are data, also read
by the command line and the JSON API. Each refusal keeps the literal template it was made from and
its values (``ledger.errors``); here the template is looked up in the page's catalog and filled
with the same values, the :class:`~ledger.errors.Word` values (and a refusal given as another's
reason) translated as well. English pages read
the core's text as it is. A translation whose placeholders do not fit its values would be a
catalog's mistake, not the user's: the English sentence is shown rather than an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import has_request_context
from flask_babel import get_translations

from ledger.errors import Word


class Worded(Protocol):
    """What a refusal offers for translation (the core's and the portal's own alike)."""

    message: str
    template: str
    params: dict[str, object]


def _value(value: object, gettext: Callable[[str], str]) -> object:
    """A refusal's value as the page shows it: a :class:`Word` translated, a wrapped refusal (the
    reason of another) translated as a whole, anything else as it is."""
    if isinstance(value, Word):
        return gettext(value)
    if isinstance(value, Exception) and isinstance(getattr(value, "template", None), str):
        return translated(value)  # type: ignore[arg-type]  # a refusal of the core's or the portal's own
    return value


def translated(refusal: Worded | str) -> str:
    """``refusal`` in the request's language where the catalog has its template; else (and outside
    a request) its English message. A plain string is looked up as a whole."""
    if isinstance(refusal, str):
        return get_translations().gettext(refusal) if has_request_context() and refusal else refusal
    if not has_request_context():
        return refusal.message
    catalog = get_translations()
    template = catalog.gettext(refusal.template)
    if not refusal.params:
        return template
    values = {name: _value(value, catalog.gettext) for name, value in refusal.params.items()}
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return refusal.message
