"""The portal's clock: the one place that says what "now" and "today" are.

Stored times are naive UTC (what the database columns hold); an op's effective date defaults to
today. Tests and the demo never need to patch ``datetime``: they patch these. Dates and times for
people are written the Finnish way, in Helsinki time (:func:`fi_date`, :func:`fi_datetime`).
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


def fi_date(day: dt.date | dt.datetime) -> str:
    """``1.3.2025``: a date written the Finnish way (pages, messages; the language work will use Babel)."""
    return f"{day.day}.{day.month}.{day.year}"


def fi_datetime(at: dt.datetime | None) -> str:
    """``1.12.2026 20.55``: a stored (naive UTC) time in Helsinki time, written the Finnish way."""
    if at is None:
        return ""
    local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(HELSINKI)
    return f"{fi_date(local)} {local:%H.%M}"
