"""Logout: ends the portal session, then the provider's (RP-initiated logout) where it offers one.

The provider may also end sessions on its own (back-channel logout): it POSTs a signed logout
token, verified here as strictly as an ID token, and the sessions it names end in every worker.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for
from flask_login import logout_user
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from portal import sessions
from portal.extensions import csrf, db
from portal.models import AuditEvent

log = logging.getLogger(__name__)
bp = Blueprint("logout", __name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY = 60  # seconds of clock skew allowed on iat/exp
ALGORITHMS = ["RS256", "ES256"]


class Refused(Exception):
    """The logout token is not acceptable; the message says why (never the token)."""


@bp.post("/auth/logout")
def logout() -> Response:
    logout_user()
    ended = sessions.end_current()
    flash("You have logged out.", "info")
    back = url_for("auth.login", _external=True)
    endpoint = _end_session_endpoint(ended["provider"]) if ended else None
    if not endpoint or not ended.get("id_token"):
        return redirect(url_for("auth.login"))
    query = {"id_token_hint": ended["id_token"], "post_logout_redirect_uri": back, "state": secrets.token_urlsafe(16)}
    client = _client(ended["provider"])
    if client is not None:
        query["client_id"] = client.client_id
    return redirect(endpoint + ("&" if "?" in endpoint else "?") + urlencode(query))


@bp.post("/auth/backchannel-logout/<name>")
@csrf.exempt
def backchannel(name: str) -> tuple[Response, int]:
    """OpenID Connect Back-Channel Logout 1.0: 200 when the token is good, 400 otherwise."""
    provider = current_app.extensions["portal.auth"].providers.get(name)
    if provider is None:
        raise NotFound()
    try:
        claims = verify_logout_token(provider, request.form.get("logout_token", ""))
    except Refused as exc:
        _audit(provider.issuer, "backchannel-logout-refused", {"provider": name, "reason": str(exc)})
        return _no_store(jsonify(error="invalid_request", error_description=str(exc))), 400
    sub, sid, issuer = claims.get("sub"), claims.get("sid"), claims["iss"]
    ended = sessions.end_by_logout_token(provider=name, issuer=issuer, sub=sub, sid=sid)
    _audit(issuer, "backchannel-logout", {"provider": name, "sub": sub, "sid": sid, "sessions": ended})
    return _no_store(Response(status=200)), 200


def verify_logout_token(provider: Any, token: str) -> dict[str, Any]:
    """The token's claims, once signature, iss, aud, iat/exp, typ, events, sub/sid and no nonce all check out.

    For a multi-tenant Entra application the issuer is the template filled with the token's
    ``tid``, which must be a configured tenant (as for ID tokens).
    """
    if not token:
        raise Refused("logout_token is missing")
    client = _client(provider.name)
    if client is None:
        raise Refused("unknown provider")
    try:
        if client.load_server_metadata().get("issuer") != provider.discovered_issuer:
            raise Refused("the provider's discovery document names another issuer")
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(client.fetch_jwk_set()), algorithms=ALGORITHMS)
        except InvalidKeyIdError:  # perhaps a new signing key: fetch the key set once more
            decoded = jwt.decode(token, KeySet.import_key_set(client.fetch_jwk_set(force=True)), algorithms=ALGORITHMS)
        issuer = provider.issuer_for(decoded.claims.get("tid"))
        if issuer is None:
            raise Refused("the logout token's tenant (tid) is not configured for this provider")
        jwt.JWTClaimsRegistry(leeway=LEEWAY, iss={"essential": True, "value": issuer},
                              aud={"essential": True, "value": client.client_id},
                              iat={"essential": True}, exp={"essential": True},
                              jti={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        description = getattr(exc, "description", "")
        why = getattr(exc, "error", type(exc).__name__) + (f": {description}" if description else "")
        raise Refused(f"invalid logout token ({why})"[:300]) from None
    except (AuthlibBaseError, requests.RequestException) as exc:
        raise Refused(f"the provider's keys could not be fetched ({type(exc).__name__})") from None
    claims, typ = decoded.claims, str(decoded.header.get("typ", "")).lower()
    if typ not in ("logout+jwt", "application/logout+jwt"):
        raise Refused("typ must be logout+jwt")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise Refused("the events claim has no back-channel logout event")
    if "nonce" in claims:
        raise Refused("a logout token must not carry a nonce")
    if not any(isinstance(claims.get(c), str) and claims[c] for c in ("sub", "sid")):
        raise Refused("the logout token names neither sub nor sid")
    return claims


def _client(name: str) -> Any:
    try:
        return current_app.extensions["portal.auth"].oauth.create_client(name)
    except (KeyError, AttributeError):
        return None


def _end_session_endpoint(name: str) -> str | None:
    """The provider's end_session_endpoint from discovery; None when it has none or cannot be reached."""
    client = _client(name)
    if client is None:
        return None
    try:
        return client.load_server_metadata().get("end_session_endpoint") or None
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        log.info("no RP-initiated logout via %s: %s", name, type(exc).__name__)
        return None


def _audit(actor: str, action: str, details: dict[str, Any]) -> None:
    event = AuditEvent(actor=actor[:500], action=action)
    event.details = {**details, "ip": request.remote_addr}
    db.session.add(event)
    db.session.commit()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
