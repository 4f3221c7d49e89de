"""The contribution ledger: the framework-free core of the consortium portal.

Imports beancount, beanquery and the standard library only. Pure functions over immutable data
(as in beancount v3): a project's changes are :class:`Op` values, :func:`apply` validates one
against a :class:`ProjectState` and returns the next state, :func:`step` also recalculates every
member's share and builds the balanced entries to post, :func:`replay` runs a project's changes
from nothing. :class:`Journal` is the one stateful object, an in-memory ledger that takes in new
entries incrementally. Refusals are data (:class:`LedgerError` and its kinds: a message and
details), never an HTTP status.

The portal imports what it needs from here or from the modules named below; see
docs/architecture.md for where each rule lives.
"""

from ledger.budget import POLICIES, Assessment, Blocked, Membership, assess
from ledger.changes import apply
from ledger.errors import Conflict, ImportRejected, InvalidInput, LedgerError, NotFound, QueryError
from ledger.journal import Journal
from ledger.money import fmt, fmt_human, parse_amount
from ledger.project import Op, ProjectState, assess_state, version_for
from ledger.recalc import Recalculation, replay, step
from ledger.rules import KINDS, RuleVersion, make_version

__all__ = [
    "KINDS", "POLICIES", "Assessment", "Blocked", "Conflict", "ImportRejected", "InvalidInput", "Journal", "LedgerError",
    "Membership", "NotFound", "Op", "ProjectState", "QueryError", "Recalculation", "RuleVersion", "apply", "assess",
    "assess_state", "fmt", "fmt_human", "make_version", "parse_amount", "replay", "step", "version_for",
]
