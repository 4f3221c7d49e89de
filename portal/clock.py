"""The portal's clock: the one place that says what "now" and "today" are.

Stored times are naive UTC (what the database columns hold); an op's effective date defaults to
today. Tests and the demo never need to patch ``datetime``: they patch these.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def utcnow() -> dt.datetime:
    """Now in UTC, naive, as the database stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def now() -> dt.datetime:
    """Now in UTC, aware, to the second: when a change is recorded."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def today() -> dt.date:
    """Today's date: the default effective date of a change."""
    return dt.date.today()


def finnish_time(at: dt.datetime | None) -> str:
    """A stored (naive UTC) time as Finns read it, in Helsinki time: ``1.12.2026 14.05``."""
    if at is None:
        return ""
    local = at.replace(tzinfo=dt.UTC).astimezone(HELSINKI)
    return f"{local.day}.{local.month}.{local.year} {local.hour:02d}.{local.minute:02d}"
