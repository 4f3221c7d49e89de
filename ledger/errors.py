"""The ledger core's refusals, as data: a message for a person and the details behind it.

They carry no HTTP status or exit code: the portal maps each kind to its status, JSON problem,
form message and CLI exit in one place (``portal.errors``). Nothing has been changed when one is
raised: every function of the core either returns its result or refuses as a whole.

The core knows no languages, yet the portal's pages speak Finnish and Swedish. So a refusal is
raised with a literal ``%(name)s`` template and its values (``InvalidInput("%(year)s is closed
already", year=2025)``) rather than a finished sentence: ``message`` is the English text the CLI,
the JSON API and the logs read, while the template is a msgid the portal's catalogs translate and
fills with the same values (``portal.refusals``). A value that is itself an English word the reader
should see translated (a field's name) is given as a :class:`Word`; a detail line, or a value made
of words and values, as a :class:`Phrase`. The templates are literals so
that Babel's extractor finds them; a test keeps every raise that way.
"""

from __future__ import annotations

from collections.abc import Mapping


class Word(str):
    """A value of a refusal that is an English word or phrase of the core's (``"the amount"``), which
    the edge translates as it translates the template; any other value (a name, a number) stays as given."""

    __slots__ = ()


class Phrase(str):
    """A sentence of the core's that is not a refusal itself, such as a line of a refusal's details
    (``Phrase("line %(line)s: %(problem)s", line=3, problem=...)``) or a value made of words and
    values: its English text, which is what every reader of a string sees, with its template and
    values kept so that the edge can word it in the page's language as it words a refusal."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Phrase:
        made = super().__new__(cls, worded(template, params))
        made.template, made.params = template, params
        return made

    @classmethod
    def stored(cls, template: str, params: Mapping[str, object]) -> Phrase:
        """A phrase made again from its stored template and values (a job's result); the template
        is a literal where the phrase was first made, which is where Babel finds it."""
        return cls(template, **params)


def worded(template: str, params: Mapping[str, object]) -> str:
    """The English sentence of a refusal: the template filled with its values (a template without
    values is taken as it is, so a literal ``%`` needs no doubling there)."""
    return template % dict(params) if params else template


class Worded(Exception):
    """A refusal raised as a literal template and its values: ``message`` is the English sentence,
    ``template`` and ``params`` what it was made of (kept for translation), ``details`` its lines.

    The one shape of every refusal, the core's (:class:`LedgerError`), the portal's own
    (``portal.errors.PortalRefusal``) and a login's (``portal.auth``); a kind is caught by its own
    base, never by this one."""

    def __init__(self, template: str, *, details: list[str] | None = None, **params: object) -> None:
        self._word(template, params, details)

    def _word(self, template: str, params: dict[str, object], details: list[str] | None = None) -> None:
        """Made of ``template`` and ``params``: what a kind with an ``__init__`` of its own calls."""
        message = worded(template, params)
        Exception.__init__(self, message)
        self.message = message
        self.template = template
        self.params = params
        self.details = list(details or [])

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {d}" for d in self.details)])


class LedgerError(Worded):
    """Base class: a request the ledger refuses, with ``message`` and optional ``details`` lines."""


class InvalidInput(LedgerError):
    """A value that cannot be used: unknown city, bad amount, bad date."""


class Conflict(LedgerError):
    """A request that contradicts the current state: a city already a member, a closed year."""


class NotFound(LedgerError):
    """Something named that does not exist: a project, a change, a charge number."""


class QueryError(LedgerError):
    """A BQL query that is malformed, not allowed, or that overran its limits."""


class ImportRejected(LedgerError):
    """A .beancount import that failed validation; ``details`` lists the errors by line."""
