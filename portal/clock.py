"""The portal's clock: the one place that says what "now" and "today" are.

Stored times are naive UTC (what the database columns hold); an op's effective date defaults to
today. Tests and the demo never need to patch ``datetime``: they patch these.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now in UTC, naive, as the database stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def now() -> dt.datetime:
    """Now in UTC, aware, to the second: when a change is recorded."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def today() -> dt.date:
    """Today's date: the default effective date of a change."""
    return dt.date.today()
