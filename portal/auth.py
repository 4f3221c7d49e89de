"""The relying party: OpenID Connect login through Authlib's Flask client, sessions by Flask-Login.

Authlib does discovery, state (bound to the browser's session), PKCE S256 and the code exchange;
the ID token is checked here, rule by rule (:mod:`portal.idtoken`), so that every refusal has a
reason in the audit log. A user is found by ``(issuer, sub)`` only (for a multi-tenant Entra ID
application ``(issuer of the tenant, oid)``): email never links accounts, and the city comes from
the provider's configuration (:mod:`portal.providers`), never from anything the user can set.
Unknown people get a pending account; only active users get a session, a new one at every login.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (Blueprint, Flask, abort, current_app, redirect, render_template, request, session,
                   url_for)
from flask_login import login_user, logout_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from ledger import municipalities as M
from ledger.errors import LedgerError
from portal import access, idtoken, sessions
from portal.config import ConfigError
from portal.extensions import db, login_manager
from portal.models import AuditEvent, User, utcnow
from portal.providers import Provider, load as load_providers

__all__ = ["Provider", "providers", "register_provider", "safe_next"]

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
NEXT_KEY = "auth_next"


@dataclass
class AuthState:
    """Per app: Authlib's Flask ``OAuth`` holds one app and caches clients by name, so the shared
    ``portal.extensions.oauth`` would hand one app's provider (issuer, port) to another app in the
    same process (tests, several live servers). Each app gets its own registry instead."""

    oauth: OAuth
    providers: dict[str, Provider] = field(default_factory=dict)
    jwks: dict[str, list] = field(default_factory=dict)  # provider name -> its public keys
    lock: threading.Lock = field(default_factory=threading.Lock)


class LoginRefused(Exception):
    """The provider's answer was well-formed but not acceptable; ``status`` is what the page says."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


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
    if app.config.get("PROVIDERS_FILE"):
        development = app.config.get("PORTAL_ENV") == "development"
        for provider in load_providers(app.config["PROVIDERS_FILE"], development=development):
            if provider.name in state.providers:
                raise ConfigError(f"providers.{provider.name}: the name is taken (by the development provider)")
            _register(app, provider)
    _keep_secrets_out_of_logs()
    app.register_blueprint(bp)


def register_provider(app: Flask, name: str, *, title: str, issuer: str, client_id: str, client_secret: str,
                      home: str | None = None, scope: str = "openid profile email") -> None:
    """Add an OpenID provider found by discovery at ``issuer``; its login starts at /auth/login/<name>."""
    _register(app, Provider(name, title, issuer.rstrip("/"), client_id=client_id, client_secret=client_secret,
                            scopes=tuple(scope.split()), home=home))


def _register(app: Flask, provider: Provider) -> None:
    state: AuthState = app.extensions["portal.auth"]
    state.oauth.register(provider.name, client_id=provider.client_id, client_secret=provider.client_secret,
                         server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
                         client_kwargs={"scope": " ".join(provider.scopes), "code_challenge_method": "S256",
                                        "default_timeout": 10})
    state.providers[provider.name] = provider


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
def login() -> Response | tuple[str, int] | str:
    """The list of providers; ``?city=638`` goes straight to the provider configured for that city."""
    target = safe_next(request.args.get("next"))
    listed = [(p.name, p.title) for p in providers().values()]
    code = request.args.get("city")
    if code is None:
        return render_template("auth/login.html", providers=listed, next=target)
    try:
        city = M.lookup(code)
    except LedgerError:
        message = f"There is no municipality with the code {code[:10]!r}."
    else:
        found = next((p for p in providers().values() if p.serves(city.code)), None)
        if found is not None:
            return redirect(url_for("auth.login_provider", name=found.name, next=target))
        message = f"No login provider is configured for {city.name} ({city.code})."
    return render_template("auth/login.html", providers=listed, next=target, message=message), 404


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
        client = _client(name)
        _metadata(provider, client)
        return client.authorize_redirect(callback)
    except LoginRefused as exc:
        return _failed(provider, str(exc), exc.status)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        return _failed(provider, _describe(exc), 502)


@bp.get("/auth/callback/<name>")
def callback(name: str) -> Response | tuple[str, int]:
    """One callback per provider (a defence against mix-up): only this provider's answer is read here."""
    provider = providers().get(name) or abort(404)
    client = _client(name)
    try:
        if error := request.args.get("error"):
            raise OAuthError(error=error[:100], description=(request.args.get("error_description") or "")[:200])
        state = request.args.get("state")
        state_data = client.framework.get_state_data(session, state)  # in this browser's session only
        client.framework.clear_state_data(session, state)
        params = client._format_state_params(state_data, {"code": request.args.get("code"), "state": state})
        metadata = _metadata(provider, client)
        token = client.fetch_access_token(**params)  # with the PKCE verifier
        claims = _validate(provider, metadata, token, nonce=state_data.get("nonce"))
        if metadata.get("userinfo_endpoint"):
            info = client.userinfo(token=token)
            if info.get("sub") != claims["sub"]:
                raise LoginRefused("the UserInfo subject (sub) is not the ID token's subject")
            claims = {**info, **claims}
        issuer, sub, city = _identity(provider, claims)
    except LoginRefused as exc:
        return _failed(provider, str(exc), exc.status)
    except idtoken.Refused as exc:
        return _failed(provider, exc.reason)
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return _failed(provider, _describe(exc))
    return _complete(provider, issuer, sub, city, claims, token)


def _client(name: str) -> Any:
    return current_app.extensions["portal.auth"].oauth.create_client(name)


def _metadata(provider: Provider, client: Any) -> dict[str, Any]:
    """Discovery (cached by Authlib), whose issuer must be the configured one."""
    metadata = client.load_server_metadata()
    if metadata.get("issuer") != provider.discovered_issuer:
        client.server_metadata.pop("_loaded_at", None)  # look again next time
        raise LoginRefused("the provider's discovery document names another issuer")
    if not metadata.get("jwks_uri") or not metadata.get("token_endpoint"):
        raise LoginRefused("the provider's discovery document has no jwks_uri or token_endpoint", 502)
    return metadata


def _keys(provider: Provider, metadata: dict[str, Any], *, refresh: bool = False) -> list:
    """The provider's public keys from jwks_uri (never from the discovery document), cached."""
    state: AuthState = current_app.extensions["portal.auth"]
    with state.lock:
        keys = None if refresh else state.jwks.get(provider.name)
    if keys is None:
        response = requests.get(metadata["jwks_uri"], timeout=10)
        response.raise_for_status()
        keys = idtoken.public_keys(response.json())
        with state.lock:
            state.jwks[provider.name] = keys
    return keys


def _validate(provider: Provider, metadata: dict[str, Any], token: dict[str, Any], *, nonce: str | None) -> dict[str, Any]:
    """The ID token's claims, after every check of OpenID Connect Core 3.1.3.7."""
    raw = token.get("id_token")
    if not raw:
        raise LoginRefused("the provider sent no ID token")
    head = idtoken.header(raw)
    try:
        key = idtoken.select_key(head, _keys(provider, metadata))
    except idtoken.UnknownKey:  # the provider rotated its key: fetch the set again, once
        key = idtoken.select_key(head, _keys(provider, metadata, refresh=True))
    claims = idtoken.verify(raw, head, key)
    tid = claims.get("tid") if provider.multi_tenant else None
    issuer = provider.issuer_for(tid if isinstance(tid, str) else None)
    if issuer is None:
        raise LoginRefused(f"the ID token's tenant (tid) {str(tid)[:60]!r} is not configured for this provider", 403)
    idtoken.check_claims(claims, issuer=issuer, client_id=provider.client_id, nonce=nonce)
    return claims


def _identity(provider: Provider, claims: dict[str, Any]) -> tuple[str, str, str | None]:
    """(issuer, subject) that key the user, and the city the provider's configuration vouches for."""
    issuer, sub = str(claims["iss"]), str(claims["sub"])
    if provider.multi_tenant:
        oid = claims.get("oid")
        if not isinstance(oid, str) or not oid:
            raise LoginRefused("the ID token has no object id (oid); add it in the token configuration")
        return issuer, oid, dict(provider.tenants)[claims["tid"]]
    if provider.city_claim:
        value = claims.get(provider.city_claim)
        try:
            code = M.normalise_code(str(value)) if isinstance(value, (str, int)) else None
        except LedgerError:
            code = None
        if code not in provider.cities:
            raise LoginRefused(f"the provider named the municipality {str(value)[:20]!r} ({provider.city_claim}), "
                               "which it is not configured for", 403)
        return issuer, sub, code
    return issuer, sub, provider.city


def _complete(provider: Provider, issuer: str, sub: str, city: str | None, claims: dict[str, Any],
              token: dict[str, Any]) -> Response | tuple[str, int]:
    user = access.resolve_user(provider=provider.name, issuer=issuer, sub=sub, claims=claims, city=city,
                               ip=request.remote_addr)
    if user.status == "pending":
        logout_user()
        session.clear()
        access.remember_pending(user)  # only /api/v1/me reads it: no portal session for the pending
        return render_template("auth/pending.html", user=user, provider=provider), 403
    if user.status != "active":
        return _failed(provider, "this account is disabled", 403, actor=user.actor,
                       who={"issuer": issuer, "sub": sub, "city": user.city_code})
    if city is not None and user.city_code is not None and user.city_code != city:
        # The provider vouches for one city and the account says another: never act as the other city.
        return _failed(provider, f"this account belongs to city {user.city_code}, but the provider vouches for "
                       f"city {city}", 403, actor=user.actor, who={"issuer": issuer, "sub": sub, "city": city})
    target = session.get(NEXT_KEY)
    sessions.rotate()  # a new session at every login
    user.last_login_at = utcnow()
    _audit(user.actor, "login", provider, {"issuer": issuer, "sub": sub, "city": user.city_code})
    login_user(user)
    # The token's own sub (Entra's pairwise sub, not oid): what a back-channel logout token names.
    sessions.remember_login(provider=provider.name, issuer=issuer, sub=str(claims["sub"]), sid=claims.get("sid"),
                            id_token=token.get("id_token"))
    return redirect(safe_next(target) or "/")


def _failed(provider: Provider, reason: str, status: int = 400, actor: str | None = None,
            who: dict[str, Any] | None = None) -> tuple[str, int]:
    """No session after a failed login, and an audit row without any code or token in it."""
    logout_user()
    session.clear()
    _audit(actor or provider.issuer or provider.name, "login-failed", provider,
           {"reason": reason, "issuer": provider.issuer, **(who or {})})
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
