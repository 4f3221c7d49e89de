"""The consortium portal: a Flask app over the framework-free ``ledger`` core.

:func:`create_app` is the app factory (as in Flask's tutorial). The portal is organised by domain
(``auth``: sign-on; ``accounts``: users and roles; ``projects``: the change service, members and
shares; ``costs``: rules, budget, charges and funding; ``accounting``: queries, import, export;
``documents``: PDF documents and the agreement's signatures,
``billing``: parties, invoices and their outputs, Fava behind the sign-on,
``jobs``: the kept queue for work that must not run in a web request),
each with the same file roles: ``models``, ``services``, ``views``, ``forms``, ``cli``. The map of
the packages and what each may import is ``docs/architecture.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask.wrappers import Response
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as portal_config
from portal import errors, i18n, site, web
from portal.accounting import services as accounting_services
from portal.accounting import views as accounting_views
from portal.accounts import views as accounts_views
from portal.auth import ratelimit, sessions
from portal.auth import views as auth_views
from portal.auth.devidp import server as devidp_server
from portal.auth.devidp import views as devidp_views
from portal.auth.providers import Provider
from portal.billing import fava as billing_fava
from portal.billing import payjobs
from portal.billing import views as billing_views
from portal.cli.commands import register as register_commands
from portal.costs import views as costs_views
from portal.documents import views as documents_views
from portal.extensions import csrf, db, engine_options, login_manager, migrate
from portal.jobs import schedule
from portal.jobs import services as jobs_services
from portal.jobs import views as jobs_views
from portal.notifications import services as notifications_services
from portal.notifications import views as notifications_views
from portal.projects import views as projects_views

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; frame-ancestors 'none'")


def create_app(test_config: dict[str, Any] | None = None, *, require_secret: bool = True) -> Flask:
    """The app factory. ``test_config`` overrides what the environment says."""
    app = Flask(__name__, instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(portal_config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        if require_secret:
            raise portal_config.ConfigError(
                "PORTAL_SECRET_KEY is not set: set it to a long random value (or PORTAL_ENV=development for local use)"
            )
        app.config["SECRET_KEY"] = os.urandom(32).hex()  # CLI use only: no session outlives the command
        app.config["_SECRET_GENERATED"] = True
    if app.config.get("PORTAL_TRUSTED_PROXIES"):
        hops = app.config["PORTAL_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    _sqlite_pragmas(app)
    web.init_app(app)
    _sign_on(app)
    for domain in (projects_views, costs_views, accounting_views, billing_views, billing_fava, accounts_views, documents_views,
                   jobs_views, notifications_views):
        domain.init_app(app)
    site.init_app(app)
    jobs_services.register(app, {**accounting_services.JOB_KINDS, **payjobs.JOB_KINDS,  # every domain's job kinds
                                 **notifications_services.JOB_KINDS})
    schedule.register_periodic(app, notifications_services.PERIODIC)  # run by the clock in `portal worker`
    errors.register(app)
    _security_headers(app)
    register_commands(app)
    return app


def _sign_on(app: Flask) -> None:
    """The development provider (when on), the cities' providers, sessions and login rate limits."""
    dev: Provider | None = None
    if app.config["DEV_IDP"]:
        devidp_views.init_app(app)
        client_id, secret = devidp_server.client_credentials(app)
        issuer = str(app.config["DEV_IDP_ISSUER"]).rstrip("/")
        dev = Provider("dev", "Development provider", issuer, client_id=client_id, client_secret=secret,
                       scopes=("openid", "profile", "email"), home=issuer[: -len("/dev-idp")])
    sessions.init_app(app)
    auth_views.init_app(app, dev)
    ratelimit.init_app(app)  # wraps the auth views: after they are registered


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout, so SQLite readers do not block the one writer."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    busy_ms = int(float(app.config.get("PORTAL_LOCK_SECONDS", 5)) * 1000)
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")  # a writer waits this long for another, then is refused as busy
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def _security_headers(app: Flask) -> None:
    """No framing, no inline script, no MIME sniffing; HSTS only over HTTPS (browsers ignore it on http);
    ``Cache-Control: no-store`` on every answer but a static file.

    No ``form-action``: browsers apply it to the redirect after logout's POST, which goes to the provider.
    ``no-store`` keeps a city's figures out of shared and back-button caches: pages and the API
    answer for the session they were asked in (a logged-out browser must not show them again), and
    so do the login and error pages around them. Static files keep Flask's own caching.
    """

    @app.after_request
    def headers(response: Response) -> Response:
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
