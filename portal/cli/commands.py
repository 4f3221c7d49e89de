"""Every ``portal`` command, registered on the app: each domain's, and ``demo`` and ``run``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from gunicorn.app.base import BaseApplication
from werkzeug.serving import run_simple

from portal import demo
from portal.accounting import cli as accounting_cli
from portal.accounts import cli as accounts_cli
from portal.auth import cli as auth_cli
from portal.billing import cli as billing_cli
from portal.cli import PORT, BadInput, Number, Text, refusing
from portal.config import gunicorn_settings
from portal.costs import cli as costs_cli
from portal.documents import cli as documents_cli
from portal.jobs import cli as jobs_cli
from portal.jobs import schedule
from portal.notifications import cli as notifications_cli
from portal.projects import cli as projects_cli


@click.command("demo", help="Migrate, load the demo consortium and serve the portal (development).")
@click.option("--host", type=Text(255, "the host"), default="127.0.0.1")
@click.option("--port", default=5000, type=PORT)
@click.option("--no-serve", is_flag=True, help="Only migrate and load the demo data.")
@with_appcontext
@refusing
def demo_command(host, port, no_serve) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app, not its proxy
    wanted = f"http://{host}:{port}/dev-idp"
    if app.config["DEV_IDP"] and not no_serve and app.config["DEV_IDP_ISSUER"] != wanted:
        # The development provider lives in this very server, so its issuer must be this address.
        raise BadInput(f"set PORTAL_DEV_IDP_ISSUER={wanted} to serve the demo on {host}:{port}")
    upgrade()
    click.echo(demo.load())
    if not no_serve:
        # The clock's jobs (the notification digest, overdue invoices) without a separate worker or cron.
        ticker = schedule.Ticker(app).start()
        try:
            _serve(app, host, port, workers=1)
        finally:
            ticker.stop()


@click.command("run", help="Serve the portal (gunicorn in production, Flask's server in development).")
@click.option("--host", type=Text(255, "the host"), default="127.0.0.1")
@click.option("--port", default=5000, type=PORT)
@click.option("--workers", default=None, type=Number("the number of workers", minimum=1, maximum=256),
              help="gunicorn's processes (default: PORTAL_WORKERS, 2).")
@with_appcontext
def run_command(host, port, workers) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app, not its proxy
    if app.config.get("_SECRET_GENERATED"):
        raise BadInput("PORTAL_SECRET_KEY is not set: set it to a long random value (or PORTAL_ENV=development)")
    _serve(app, host, port, workers)


def _serve(app: Flask, host: str, port: int, workers: int | None) -> None:
    if app.config["DEVELOPMENT"]:
        # Not app.run(): Flask ignores that call inside its own command line.
        click.echo(f"serving the portal on http://{host}:{port}/ (development)")
        run_simple(host, port, app, threaded=True, use_reloader=False)
        return
    chosen = gunicorn_settings(app.config) | ({"workers": workers} if workers else {})

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            for name, value in chosen.items():
                self.cfg.set(name, value)

        def load(self):
            return app

    Server().run()


def register(app: Flask) -> None:
    """Each domain's commands, then ``demo`` and ``run``."""
    for module in (projects_cli, costs_cli, accounting_cli, billing_cli, accounts_cli, auth_cli, documents_cli, jobs_cli,
                   notifications_cli):
        for command in module.COMMANDS:
            app.cli.add_command(command)
    app.cli.add_command(demo_command)
    app.cli.add_command(run_command)
