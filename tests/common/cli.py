"""The ``portal`` command line as the tests call it."""

from __future__ import annotations

# The project ``iam`` (520,000.00 EUR over 2025–2029, shared equally), created from the command line.
CREATE = ["project", "create", "iam", "--name", "IAM 2025–2029", "--budget", "520000.00", "--start", "2025-01-01", "--end", "2029-12-31", "--rule", "equal"]
