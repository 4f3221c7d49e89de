"""Accounting: read-only BQL queries, the .beancount export and imports. Nothing is imported here."""
