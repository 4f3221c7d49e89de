"""``portal worker``: run the queued jobs (RQ on Redis when configured, else straight from the table)."""

from __future__ import annotations

import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.cli import refusing
from portal.jobs import schedule
from portal.jobs import services as jobs

POLL_SECONDS = 2.0


@click.command("worker", help="Run queued jobs (imports…): from Redis with RQ when PORTAL_JOBS_REDIS_URL or PORTAL_REDIS_URL is set, else from the database.")
@click.option("--burst", is_flag=True, help="Run what is queued now, then stop (for tests and cron).")
@with_appcontext
@refusing
def worker_command(burst: bool) -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        click.echo(_work(burst))
    finally:  # RQ installs its own handlers; the process that called us gets its own back
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _work(burst: bool) -> str:
    """Run the queue; the clock's jobs (``portal.jobs.schedule``) are queued by a ticker beside it,
    so no cron entry is needed. A burst runs only what is queued now."""
    if burst:
        return _run(burst)
    ticker = schedule.Ticker(current_app._get_current_object()).start()  # type: ignore[attr-defined]  # the app
    try:
        return _run(burst)
    finally:
        ticker.stop()


def _run(burst: bool) -> str:
    if current_app.config.get("PORTAL_JOBS_REDIS_URL"):
        # SimpleWorker: jobs run in this process, inside the app, with its warm ledgers and its own
        # database connections (a forked child would share the parent's).
        connection = jobs.redis_connection(blocking=True)
        worker = SimpleWorker([jobs.queue(connection)], connection=connection)
        worker.work(burst=burst, logging_level="WARNING")
        ran = jobs.run_queued() if burst else 0  # any the web ran without Redis, or with Redis lost
        return f"worker stopped ({ran} jobs run from the database)"
    ran, stopping = 0, []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        ran += jobs.run_queued()
        if burst:
            break
        time.sleep(POLL_SECONDS)
    return f"worker stopped ({ran} jobs run from the database)"


COMMANDS = (worker_command,)
