"""The relying party: OpenID Connect login through Authlib's Flask client, sessions by Flask-Login.

A user is found by the provider's ``(issuer, sub)`` only: email never links accounts and the city
never comes from a claim (it comes from ``portal users grant``). Unknown people get a pending
account that the project lead approves; only active users get a session, a new one at every login.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import (Blueprint, Flask, abort, current_app, redirect, render_template, request, session,
                   url_for)
from flask_login import login_user, logout_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from portal import access, sessions
from portal.extensions import db, login_manager
from portal.models import AuditEvent, User, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
NEXT_KEY = "auth_next"


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    issuer: str  # what discovery and every ID token must say
    home: str | None = None  # the portal address the provider's callback is registered on (dev provider)


@dataclass
class AuthState:
    """Per app: Authlib's Flask ``OAuth`` holds one app and caches clients by name, so the shared
    ``portal.extensions.oauth`` would hand one app's provider (issuer, port) to another app in the
    same process (tests, several live servers). Each app gets its own registry instead."""

    oauth: OAuth
    providers: dict[str, Provider] = field(default_factory=dict)


class LoginRefused(Exception):
    """The provider's answer was well-formed but not acceptable (e.g. no ``sub``)."""


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.login_view = "auth.login"
    state = AuthState(OAuth())
    state.oauth.init_app(app)
    app.extensions["portal.auth"] = state
    if app.config.get("DEV_IDP"):
        from portal import devidp

        client_id, secret = devidp.client_credentials(app)
        issuer = str(app.config["DEV_IDP_ISSUER"]).rstrip("/")
        register_provider(app, "dev", title="Development provider", issuer=issuer, client_id=client_id,
                          client_secret=secret, home=issuer[: -len("/dev-idp")])
    _keep_secrets_out_of_logs()
    app.register_blueprint(bp)


def register_provider(app: Flask, name: str, *, title: str, issuer: str, client_id: str, client_secret: str,
                      home: str | None = None, scope: str = "openid profile email") -> None:
    """Add an OpenID provider found by discovery at ``issuer``; its login starts at /auth/login/<name>."""
    state: AuthState = app.extensions["portal.auth"]
    issuer = issuer.rstrip("/")
    state.oauth.register(name, client_id=client_id, client_secret=client_secret,
                         server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                         client_kwargs={"scope": scope, "code_challenge_method": "S256"})
    state.providers[name] = Provider(name, title, issuer, home)


def providers() -> dict[str, Provider]:
    return current_app.extensions["portal.auth"].providers


def load_user(user_id: str) -> User | None:
    """Only active users have a session: one disabled after logging in loses it at the next request."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def unauthorized() -> Response:
    if request.path.startswith("/api/"):
        from portal import problem

        return problem(401, "Unauthorized", "log in first")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def safe_next(value: str | None) -> str | None:
    """A local path only: no scheme, no host, no ``//`` or ``/\\`` that browsers read as a host."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


@bp.get("/login")
def login() -> str:
    listed = [(p.name, p.title) for p in providers().values()]
    return render_template("auth/login.html", providers=listed, next=safe_next(request.args.get("next")))


@bp.get("/auth/login/<name>")
def login_provider(name: str) -> Response | tuple[str, int]:
    provider = providers().get(name) or abort(404)
    callback = url_for("auth.callback", name=name, _external=True)
    if provider.home and urlsplit(provider.home).netloc != request.host:
        # The provider knows its callback on ``home`` only (127.0.0.1, not localhost): start there,
        # so that the session cookie holding the state is the one the callback will see.
        return redirect(provider.home + (request.full_path if request.query_string else request.path))
    session.pop(NEXT_KEY, None)
    if target := safe_next(request.args.get("next")):
        session[NEXT_KEY] = target
    try:
        client = current_app.extensions["portal.auth"].oauth.create_client(name)
        if client.load_server_metadata().get("issuer") != provider.issuer:
            raise LoginRefused("the provider's discovery document names another issuer")
        return client.authorize_redirect(callback)
    except (AuthlibBaseError, requests.RequestException, LoginRefused, ValueError) as exc:
        return _failed(provider, _describe(exc), 502)


@bp.get("/auth/callback/<name>")
def callback(name: str) -> Response | tuple[str, int]:
    provider = providers().get(name) or abort(404)
    client = current_app.extensions["portal.auth"].oauth.create_client(name)
    try:
        # Authlib checks state, sends the PKCE verifier, verifies the ID token's signature against
        # the provider's JWKS and iss, aud, exp, nonce (options below make iss, aud, sub essential).
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        })
        claims = token.get("userinfo")
        if not claims:
            raise LoginRefused("the provider sent no ID token")
        if not claims.get("sub"):
            raise LoginRefused("the ID token has no subject (sub)")
        issuer = client.load_server_metadata()["issuer"]
    except (AuthlibBaseError, JoseError, requests.RequestException, LoginRefused, ValueError, KeyError) as exc:
        return _failed(provider, _describe(exc))
    return _complete(provider, issuer, claims, token)


def _complete(provider: Provider, issuer: str, claims: dict[str, Any], token: dict[str, Any]) -> Response | tuple[str, int]:
    sub = str(claims["sub"])
    user = access.resolve_user(provider=provider.name, issuer=issuer, sub=sub, claims=claims, city=None,
                               ip=request.remote_addr)
    if user.status == "pending":
        logout_user()
        session.clear()
        return render_template("auth/pending.html", user=user, provider=provider), 403
    if user.status != "active":
        return _failed(provider, "this account is disabled", 403, actor=user.actor)
    target = session.get(NEXT_KEY)
    sessions.rotate()  # a new session at every login
    user.last_login_at = utcnow()
    _audit(user.actor, "login", provider)
    login_user(user)
    sessions.remember_login(provider=provider.name, issuer=issuer, sub=sub, sid=claims.get("sid"),
                            id_token=token.get("id_token"))
    return redirect(safe_next(target) or "/")


def _failed(provider: Provider, reason: str, status: int = 400, actor: str | None = None) -> tuple[str, int]:
    """No session after a failed login, and an audit row without any code or token in it."""
    logout_user()
    session.clear()
    _audit(actor or provider.issuer or provider.name, "login-failed", provider, {"reason": reason})
    log.info("login failed via %s: %s", provider.name, reason)
    return render_template("auth/failed.html", reason=reason, provider=provider), status


def _audit(actor: str, action: str, provider: Provider | None, details: dict[str, Any] | None = None) -> None:
    event = AuditEvent(actor=actor[:500], action=action)
    event.details = {**(details or {}), **({"provider": provider.name} if provider else {}),
                     "ip": request.remote_addr}
    db.session.add(event)
    db.session.commit()


def _describe(exc: Exception) -> str:
    """A short reason; provider-sent text is cut short and never includes our code or tokens."""
    if isinstance(exc, AuthlibBaseError):
        text = exc.error + (f": {exc.description}" if exc.description else "")
    elif isinstance(exc, JoseError):
        text = f"invalid ID token ({exc.error}{': ' + exc.description if exc.description else ''})"
    elif isinstance(exc, requests.RequestException):
        text = f"the provider could not be reached ({type(exc).__name__})"
    else:
        text = str(exc)
    return text[:300]


class _RedactCallbackQuery(logging.Filter):
    """Werkzeug's request log prints query strings: keep the callback's code and state out of it."""

    PATTERN = re.compile(r"([?&](?:code|state|session_state)=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def _keep_secrets_out_of_logs() -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactCallbackQuery) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_RedactCallbackQuery())
    # Authlib logs tokens and code verifiers at DEBUG; never let them through.
    authlib_log = logging.getLogger("authlib")
    if authlib_log.getEffectiveLevel() < logging.INFO:
        authlib_log.setLevel(logging.INFO)
