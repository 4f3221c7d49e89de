"""Typed errors of the ledger core; the portal maps them to form errors, 4xx problems and exit 2."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a request the ledger refuses. Nothing has been changed when it is raised."""

    status = 400

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
    """A request that contradicts the current state: a city already a member, say."""

    status = 409


class QueryError(LedgerError):
    """A BQL query that is malformed or not allowed."""


class ImportRejected(LedgerError):
    """A .beancount import that failed validation; ``details`` lists the errors by line."""


class NotFound(LedgerError):
    status = 404
