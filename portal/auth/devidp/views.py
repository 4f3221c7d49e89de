"""The development provider's pages under ``/dev-idp``: discovery, keys, the login page, token, userinfo, logout.

Served only when ``PORTAL_DEV_IDP=1`` (and never outside ``PORTAL_ENV=development``): anyone may
log in as anyone here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from joserfc import jwt
from joserfc.errors import JoseError

from portal.auth.devidp.server import AUTH_METHODS, DEMO_USERS, SCOPES, DevUser, Provider, setup, user_claims
from portal.extensions import csrf

bp = Blueprint("devidp", __name__, url_prefix="/dev-idp")
FORM_FIELDS = {"csrf_token", "sub", "other_sub", "cancel"}  # the page's own fields, not OAuth parameters


def init_app(app: Flask) -> Provider:
    """Set the provider up for ``app`` and serve its pages; refuses a production app or an insecure issuer."""
    provider = setup(app)
    app.register_blueprint(bp)
    return provider


def _provider() -> Provider:
    provider: Provider = current_app.extensions["devidp"]
    return provider


def _error(provider: Provider, error: OAuth2Error) -> ResponseReturnValue:
    """Back to the client with the error when its redirect URI is known; otherwise a page here."""
    if getattr(error, "redirect_uri", None):
        server: Any = provider.server  # Authlib ignores the request here; its stubs want one
        response: ResponseReturnValue = server.handle_error_response(None, error)
        return response
    return render_template("devidp/error.html", error=error.error, description=error.description), 400


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    issuer = _provider().issuer
    return jsonify({
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/end-session",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name", "email",
                             "email_verified"],
    })


@bp.get("/jwks")
def jwks() -> Response:
    public = _provider().store.key().as_dict(private=False)
    return jsonify({"keys": [{**public, "use": "sig", "alg": "RS256"}]})


@bp.get("/authorize")
def authorize() -> ResponseReturnValue:
    provider = _provider()
    try:
        provider.server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _error(provider, error)
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in FORM_FIELDS]
    users = [(sub, name, role, city) for sub, name, role, city in DEMO_USERS]
    return render_template("devidp/authorize.html", users=users, params=params, issuer=provider.issuer)


@bp.post("/authorize")
def authorize_submit() -> ResponseReturnValue:
    """The chosen user (a demo button, or ``other_sub``) gets a code; ``cancel`` denies."""
    provider = _provider()
    form = request.form
    user: DevUser | None = None
    if "cancel" not in form:
        demo = {sub: name for sub, name, _role, _city in DEMO_USERS}
        other = (form.get("other_sub") or "").strip()
        if other and len(other) <= 255 and other.isprintable():
            user = DevUser(other, other, f"{other}@example.org", False)
        elif form.get("sub") in demo:
            sub = form["sub"]
            user = DevUser(sub, demo[sub], f"{sub}@example.org", True)
        else:
            return render_template("devidp/error.html", error="invalid_request",
                                   description="choose a user, or type a subject for someone else"), 400
    try:
        grant = provider.server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _error(provider, error)
    server: Any = provider.server
    response: ResponseReturnValue = server.create_authorization_response(grant_user=user, grant=grant)
    return response


@bp.post("/token")
@csrf.exempt
def token() -> ResponseReturnValue:
    response: ResponseReturnValue = _provider().server.create_token_response()  # type: ignore[assignment]
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo() -> Response:
    provider = _provider()
    try:
        found = provider.protector.acquire_token(["openid"])
    except OAuth2Error as error:
        provider.protector.raise_error_response(error)
    return jsonify(dict(user_claims(found.user, found.scope)))


@bp.get("/end-session")
def end_session() -> ResponseReturnValue:
    """RP-initiated logout: a valid id_token_hint of ours and the registered post-logout address only."""
    provider = _provider()
    hint, target = request.args.get("id_token_hint", ""), request.args.get("post_logout_redirect_uri")
    try:
        claims = jwt.decode(hint, provider.store.key(), algorithms=["RS256"]).claims  # expired hints are fine
    except (JoseError, ValueError):
        return render_template("devidp/error.html", error="invalid_request", description="bad id_token_hint"), 400
    if claims.get("iss") != provider.issuer or claims.get("aud") != provider.client.client_id or \
            request.args.get("client_id", provider.client.client_id) != provider.client.client_id:
        return render_template("devidp/error.html", error="invalid_request",
                               description="the id_token_hint was not issued to this client"), 400
    if target is None:
        return render_template("devidp/logged_out.html", issuer=provider.issuer)
    if target not in provider.client.post_logout_redirect_uris:
        return render_template("devidp/error.html", error="invalid_request",
                               description="post_logout_redirect_uri is not registered"), 400
    state = request.args.get("state")
    return redirect(target + (f"?{urlencode({'state': state})}" if state else ""))


