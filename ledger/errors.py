"""The ledger core's refusals, as data: a message for a person and the details behind it.

They carry no HTTP status or exit code: the portal maps each kind to its status, JSON problem,
form message and CLI exit in one place (``portal.errors``). Nothing has been changed when one is
raised: every function of the core either returns its result or refuses as a whole.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a request the ledger refuses, with ``message`` and optional ``details`` lines."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  {d}" for d in self.details)


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
