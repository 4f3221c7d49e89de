"""The contribution ledger: framework-free core of the consortium portal.

Imports beancount, beanquery and the standard library only. Pure functions compute shares and
build entries; :class:`ledger.journal.Journal` is the one stateful object, an in-memory ledger
that takes in new entries incrementally.
"""
