"""The consortium portal: a thin Flask app over the framework-free ``ledger`` core."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ledger.errors import LedgerError
from portal import config as portal_config
from portal.extensions import csrf, db, login_manager, migrate

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PORTAL_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)
    _sqlite_pragmas(app)

    from portal import auth, devidp, logout, ratelimit, sessions
    from portal.views import accounting, admin, api, costs, projections, projects

    if app.config["DEV_IDP"]:
        devidp.init_app(app)
    sessions.init_app(app)
    auth.init_app(app)
    ratelimit.init_app(app)  # wraps the auth views: after auth.init_app
    app.register_blueprint(logout.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(projections.bp)
    app.register_blueprint(costs.bp)
    app.register_blueprint(accounting.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    _error_handlers(app)
    _security_headers(app)

    from portal.cli import register

    register(app)
    return app


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout, so SQLite readers do not block the one writer."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def _error_handlers(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(LedgerError)
    def ledger_error(exc: LedgerError):
        if wants_json():
            return problem(exc.status, type(exc).__name__, str(exc.message), exc.details)
        from flask import render_template

        return render_template("error.html", status=exc.status, message=exc.message, details=exc.details), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return problem(exc.code or 500, exc.name, exc.description or exc.name)
        from flask import render_template

        return render_template("error.html", status=exc.code, message=exc.description, details=[]), exc.code


def problem(status: int, title: str, detail: str, errors: list[str] | None = None):
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; frame-ancestors 'none'")


def _security_headers(app: Flask) -> None:
    """No framing, no inline script, no MIME sniffing; HSTS only over HTTPS (browsers ignore it on http).

    No ``form-action``: browsers apply it to the redirect after logout's POST, which goes to the provider.
    """

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
