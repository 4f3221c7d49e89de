"""Accounts: users keyed on (issuer, sub), roles, approval and invitations. Nothing is imported here."""
