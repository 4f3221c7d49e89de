"""Sign-on pages: the provider list, the code flow's start and callback, logout and back-channel logout.

Thin views over :mod:`portal.auth.services`: a refused login shows its reason on a page with a 4xx
status, starts no session and leaves an audit record (never a code or a token in it).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from ledger import municipalities as M
from ledger.errors import LedgerError
from portal import audit
from portal.auth import services as auth
from portal.auth import sessions, tokens
from portal.auth.providers import Provider
from portal.auth.providers import load as load_providers
from portal.config import ConfigError
from portal.errors import problem
from portal.extensions import csrf, db, login_manager
from portal.refusals import translated

bp = Blueprint("auth", __name__)
logout_bp = Blueprint("logout", __name__)
FAILURES = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, TypeError)


def init_app(app: Flask, dev_provider: Provider | None = None) -> None:
    """Providers from the configuration (and the development provider), the login manager, the pages."""
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.login_view = "auth.login"
    state = auth.AuthState(OAuth())
    state.oauth.init_app(app)
    app.extensions["portal.auth"] = state
    if dev_provider is not None:
        auth.register(app, dev_provider)
    if app.config.get("PROVIDERS_FILE"):
        development = app.config.get("PORTAL_ENV") == "development"
        for provider in load_providers(app.config["PROVIDERS_FILE"], development=development):
            if provider.name in state.providers:
                raise ConfigError(f"providers.{provider.name}: the name is taken (by the development provider)")
            auth.register(app, provider)
    auth.keep_secrets_out_of_logs()
    app.register_blueprint(bp)
    app.register_blueprint(logout_bp)


def unauthorized() -> Response:
    if request.path.startswith("/api/"):
        return problem(401, "Unauthorized", "log in first")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def _failed(provider: Provider, refused: auth.LoginRefused | tokens.Refused, status: int = 400, *, actor: str | None = None,
            who: dict[str, object] | None = None) -> tuple[str, int]:
    """The audit keeps the English reason; the page shows it in its own language (``portal.refusals``)."""
    auth.refuse(provider, refused.reason, actor=actor, who=who)
    return render_template("auth/failed.html", reason=translated(refused), provider=provider), status


@bp.get("/login")
def login() -> Response | tuple[str, int] | str:
    """The list of providers; ``?city=638`` goes straight to the provider configured for that city."""
    target = auth.safe_next(request.args.get("next"))
    listed = [(p.name, p.title) for p in auth.providers().values()]
    code = request.args.get("city")
    if code is None:
        return render_template("auth/login.html", providers=listed, next=target)
    try:
        city = M.lookup(code)
    except LedgerError:
        message = _("There is no municipality with the code %(code)s.", code=repr(code[:10]))
    else:
        found = next((p for p in auth.providers().values() if p.serves(city.code)), None)
        if found is not None:
            return redirect(url_for("auth.login_provider", name=found.name, next=target))
        named = f"{city.name} ({city.code})"
        message = _("No login provider is configured for %(city)s.", city=named)
    return render_template("auth/login.html", providers=listed, next=target, message=message), 404


@bp.get("/auth/login/<name>")
def login_provider(name: str) -> Response | tuple[str, int]:
    provider = auth.providers().get(name) or abort(404)
    callback = url_for("auth.callback", name=name, _external=True)
    if provider.home and urlsplit(provider.home).netloc != request.host:
        # The provider knows its callback on ``home`` only (127.0.0.1, not localhost): start there,
        # so that the session cookie holding the state is the one the callback will see.
        return redirect(provider.home + (request.full_path if request.query_string else request.path))
    session.pop(auth.NEXT_KEY, None)
    if target := auth.safe_next(request.args.get("next")):
        session[auth.NEXT_KEY] = target
    try:
        started: Response = auth.authorize_url(name, callback)
        return started
    except auth.LoginRefused as exc:
        return _failed(provider, exc, exc.status)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        return _failed(provider, auth.describe(exc), 502)


@bp.get("/auth/callback/<name>")
def callback(name: str) -> Response | tuple[str, int]:
    """One callback per provider (a defence against mix-up): only this provider's answer is read here."""
    provider = auth.providers().get(name) or abort(404)
    try:
        claims, token = auth.exchange(provider, request.args)
        issuer, sub, city = auth.identity(provider, claims)
        landing = auth.complete(provider, issuer, sub, city, claims, token)
    except auth.LoginRefused as exc:
        return _failed(provider, exc, exc.status, actor=exc.actor, who=exc.who)
    except tokens.Refused as exc:
        return _failed(provider, exc)
    except FAILURES as exc:
        return _failed(provider, auth.describe(exc))
    if landing.pending:
        return render_template("auth/pending.html", user=landing.user, provider=provider), 403
    return redirect(landing.target or "/")


# -- logout ----------------------------------------------------------------------------------------
@logout_bp.post("/auth/logout")
def logout() -> Response:
    """End the portal session, then the provider's (RP-initiated logout) where it offers one."""
    logout_user()
    ended = sessions.end_current()
    flash(_("You have logged out."), "info")
    back = url_for("auth.login", _external=True)
    endpoint = _end_session_endpoint(ended["provider"]) if ended else None
    if not endpoint or not ended or not ended.get("id_token"):
        return redirect(url_for("auth.login"))
    query = {"id_token_hint": ended["id_token"], "post_logout_redirect_uri": back, "state": secrets.token_urlsafe(16),
             "client_id": auth.client(ended["provider"]).client_id}
    return redirect(endpoint + ("&" if "?" in endpoint else "?") + urlencode(query))


def _end_session_endpoint(name: str) -> str | None:
    """The provider's end_session_endpoint from discovery; None when it has none or cannot be reached."""
    if name not in auth.providers():
        return None
    try:
        return auth.client(name).load_server_metadata().get("end_session_endpoint") or None
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        auth.log.info("no RP-initiated logout via %s: %s", name, type(exc).__name__)
        return None


@logout_bp.post("/auth/backchannel-logout/<name>")
@csrf.exempt
def backchannel(name: str) -> tuple[Response, int]:
    """OpenID Connect Back-Channel Logout 1.0: 200 when the token is good, 400 otherwise."""
    provider = auth.providers().get(name) or abort(404)
    try:
        claims = _logout_claims(provider, request.form.get("logout_token", ""))
    except tokens.Refused as exc:
        audit.record(provider.issuer, "backchannel-logout-refused", {"provider": name, "reason": exc.reason}, ip=request.remote_addr)
        db.session.commit()
        return _no_store(jsonify(error="invalid_request", error_description=exc.reason)), 400
    sub, sid, issuer = claims.get("sub"), claims.get("sid"), claims["iss"]
    ended = sessions.end_by_logout_token(provider=name, issuer=issuer, sub=sub, sid=sid)
    audit.record(issuer, "backchannel-logout", {"provider": name, "sub": sub, "sid": sid, "sessions": ended}, ip=request.remote_addr)
    db.session.commit()
    return _no_store(Response(status=200)), 200


def _logout_claims(provider: Provider, token: str) -> dict[str, Any]:
    """The logout token's claims, by the same verifier as ID tokens."""
    if not token:
        raise tokens.Refused("logout_token is missing")
    try:
        auth.metadata(provider, auth.client(provider.name))
        return auth.verify(provider, token, "logout")
    except auth.LoginRefused as exc:
        raise tokens.Refused.like(exc) from None
    except (AuthlibBaseError, requests.RequestException) as exc:
        raise tokens.Refused("the provider's keys could not be fetched (%(error)s)", error=type(exc).__name__) from None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
