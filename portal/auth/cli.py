"""``portal sessions``: the server-side sessions' upkeep."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from portal.auth import sessions
from portal.cli import DAYS, refusing


@click.group("sessions", help="Server-side sessions.")
def sessions_group() -> None:
    pass


@sessions_group.command("purge", help="Delete sessions that ended more than --days ago (for a daily job).")
@click.option("--days", default=7, type=DAYS, show_default=True)
@with_appcontext
@refusing
def sessions_purge(days) -> None:
    click.echo(f"deleted {sessions.purge(dt.timedelta(days=days))} ended sessions")



COMMANDS = (sessions_group,)
