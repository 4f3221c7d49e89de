"""``portal notify digest``: send the digests that are due (cron or a timer runs it every minute or so)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.cli import refusing
from portal.clock import today
from portal.jobs import services as jobs
from portal.notifications import services


@click.group("notify", help="Email notifications.")
def notify_group() -> None:
    pass


@notify_group.command("digest", help="Send every user whose burst of events is over one email of them.")
@click.option("--queue", "queued", is_flag=True, help="Hand the digest to the job queue instead of running it here.")
@with_appcontext
@refusing
def digest_command(queued: bool) -> None:
    if queued:
        job = jobs.enqueue("notify-digest", {}, "portal notify digest", title="Notification digest")
        click.echo(f"queued job {job.id}")
        return
    result = services.digest()
    click.echo(f"sent {result['sent']}, failed {result['failed']} (retried next time), dropped {result['dropped']}")
@notify_group.command("overdue", help="Queue a notification of every invoice past its due date that is not paid (run daily).")
@with_appcontext
@refusing
def overdue_command() -> None:
    click.echo(f"{services.queue_overdue(today())} invoice(s) newly overdue")


COMMANDS = (notify_group,)
