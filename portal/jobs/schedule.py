"""Jobs that run by the clock: the digest of notifications every minute, the overdue invoices daily.

A domain registers its periodic kinds (:func:`register_periodic`) as it registers its job kinds;
``portal worker`` and ``portal demo`` keep a :class:`Ticker` that calls :func:`tick`, which
queues each periodic job once per slot (the minute, or the day after its Helsinki hour). Several
workers may tick at once: a slot is taken by one conditional ``UPDATE`` of the kind's row in
``job_schedule`` (``WHERE slot < :new``), so exactly one of them queues the job, on PostgreSQL and
SQLite alike, and no cron entry is needed (cron still works: the commands stay).

Hand-written rather than rq-scheduler or APScheduler: those keep their schedule in Redis or in
memory, and the embedded default runs without Redis; the slot row is what makes several workers
safe, and it is a dozen lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import IntegrityError

from portal.clock import HELSINKI
from portal.extensions import db
from portal.jobs import services as jobs
from portal.jobs.models import Job, JobSlot

log = logging.getLogger(__name__)
TICK_SECONDS = 20.0


class Every(NamedTuple):
    """Once a minute (or every ``minutes``), in UTC minutes since the epoch."""

    minutes: int = 1

    def slot(self, at: dt.datetime) -> str:
        utc = at.astimezone(dt.UTC)
        minute = (utc.hour * 60 + utc.minute) // self.minutes * self.minutes
        return f"{utc.date().isoformat()}T{minute // 60:02d}:{minute % 60:02d}Z"


class Daily(NamedTuple):
    """Once a day, from ``hour`` o'clock Helsinki time (before it, the slot is still yesterday's)."""

    hour: int = 7

    def slot(self, at: dt.datetime) -> str:
        local = at.astimezone(HELSINKI)
        day = local.date() if local.hour >= self.hour else local.date() - dt.timedelta(days=1)
        return day.isoformat()


Period = Every | Daily


def register_periodic(app: Flask, periods: Mapping[str, Period]) -> None:
    """Make periodic kinds known to ``app``: each must also be a registered job kind."""
    app.extensions.setdefault("portal.jobs.periodic", {}).update(periods)


def periodic() -> dict[str, Period]:
    found: dict[str, Period] = current_app.extensions.get("portal.jobs.periodic", {})
    return found


def _take(kind: str, slot: str) -> bool:
    """Take ``slot`` for ``kind``: True for the one caller that moved the row (or made it)."""
    try:
        result = db.session.execute(update(JobSlot).where(JobSlot.kind == kind, JobSlot.slot < slot).values(slot=slot))
        moved = cast(CursorResult[Any], result).rowcount
        if not moved:
            if db.session.get(JobSlot, kind) is not None:
                db.session.rollback()
                return False
            db.session.add(JobSlot(kind=kind, slot=slot))
        db.session.commit()
        return True
    except IntegrityError:  # another worker made the row at the same moment: its slot
        db.session.rollback()
        return False


ACTOR = "portal schedule"
KEEP = dt.timedelta(days=7)  # a scheduled job's row is kept a week once done (a failed one stays)


def tick(at: dt.datetime) -> list[str]:
    """Queue every periodic job whose slot at ``at`` is new; the kinds queued.

    The digest's row a minute would fill the jobs table; the done ones older than :data:`KEEP` go.
    """
    cutoff = at.astimezone(dt.UTC).replace(tzinfo=None) - KEEP
    db.session.execute(delete(Job).where(Job.actor == ACTOR, Job.status == "done", Job.finished_at < cutoff))
    db.session.commit()
    queued = []
    for kind, period in sorted(periodic().items()):
        if _take(kind, period.slot(at)):
            jobs.enqueue(kind, {}, ACTOR, title=f"Scheduled: {kind}")
            queued.append(kind)
    return queued


class Ticker:
    """A background thread that calls :func:`tick` every :data:`TICK_SECONDS` until stopped."""

    def __init__(self, app: Flask, seconds: float = TICK_SECONDS) -> None:
        self.app, self.seconds = app, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="portal-schedule", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.seconds + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.app.app_context():
                try:
                    tick(dt.datetime.now(dt.UTC))
                except Exception:  # a broken database must not end the thread: the next tick tries again
                    log.exception("the job schedule's tick failed")
                finally:
                    db.session.remove()
            self._stop.wait(self.seconds)
