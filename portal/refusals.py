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

from collections.abc import Callable, Mapping
from typing import Protocol

from flask import has_request_context
from flask_babel import get_translations

from ledger.errors import Phrase, Word


class Translatable(Protocol):
    """What a refusal offers for translation (the core's and the portal's own alike)."""

    message: str
    template: str
    params: dict[str, object]


def _value(value: object, gettext: Callable[[str], str]) -> object:
    """A refusal's value as the page shows it: a :class:`Word` translated, a :class:`Phrase` or a
    wrapped refusal (the reason of another) worded as a whole, anything else as it is."""
    if isinstance(value, Word):
        return gettext(value)
    if isinstance(value, Phrase):
        return _worded(value.template, value.params, str(value))
    if isinstance(value, Exception) and isinstance(getattr(value, "template", None), str):
        return translated(value)  # type: ignore[arg-type]  # a refusal of the core's or the portal's own
    return value


def _worded(template: str, params: Mapping[str, object], english: str) -> str:
    catalog = get_translations()
    text = catalog.gettext(template)
    if not params:
        return text
    try:
        return text % {name: _value(value, catalog.gettext) for name, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return english


def translated(refusal: Translatable | str) -> str:
    """``refusal`` in the request's language where the catalog has its template; else (and outside
    a request) its English message. A :class:`Phrase` is worded like a refusal; another string is
    looked up as a whole."""
    if not has_request_context():
        return refusal if isinstance(refusal, str) else refusal.message
    if isinstance(refusal, Phrase):
        return _worded(refusal.template, refusal.params, str(refusal))
    if isinstance(refusal, str):
        return get_translations().gettext(refusal) if refusal else refusal
    return _worded(refusal.template, refusal.params, refusal.message)


def details_of(refusal: Translatable) -> list[str]:
    """A refusal's detail lines in the request's language (each a :class:`Phrase`, or English text)."""
    return [translated(line) for line in getattr(refusal, "details", [])]
