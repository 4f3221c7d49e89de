"""A small OpenID provider that misbehaves on purpose, and the portal wired to it.

It serves discovery, JWKS, authorize (straight back with a code: nobody to ask), token and
UserInfo on a loopback port. Each test sets ``idp.behaviour`` to make one thing wrong (a wrong
key, ``alg: none``, a wrong issuer ...) and checks that the portal refuses. With ``tenants`` it
plays Microsoft Entra ID's multi-tenant endpoint (``/organizations/v2.0``, ``tid`` and ``oid``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.common.apps import LiveServer, free_port, make_app

CLIENT_ID = "portal-test-client"
TENANT = "11111111-1111-1111-1111-111111111111"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Behaviour:
    """What the provider does wrong; the defaults make a correct provider."""

    sub: str = "user-1"
    claims: dict[str, Any] = field(default_factory=dict)  # added to (or replacing) the ID token's claims
    drop: tuple[str, ...] = ()  # claims left out of the ID token
    sign: str = "good"  # good | wrong-key (the published kid) | unpublished (its own kid) | none | hs256
    kid: bool = True  # put the key id in the header
    extra_key: bool = False  # publish a second key next to the signing one
    userinfo: dict[str, Any] = field(default_factory=dict)  # added to the UserInfo answer
    discovery: dict[str, Any] = field(default_factory=dict)  # added to the discovery document


class BadIdP:
    def __init__(self, *, multi_tenant: bool = False) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.multi_tenant = multi_tenant
        # What the portal's configuration names, and what discovery and the tokens say.
        self.issuer = f"{self.base}/organizations/v2.0" if multi_tenant else f"{self.base}/idp"
        self.secret = secrets.token_urlsafe(32)
        self.key = RSAKey.generate_key(2048, auto_kid=True, private=True)
        self.other_key = RSAKey.generate_key(2048, auto_kid=True, private=True)
        self.unpublished_key = RSAKey.generate_key(2048, auto_kid=True, private=True)
        self.behaviour = Behaviour()
        self.redirect_uris: set[str] = set()
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # access token -> sub
        self.issued: list[str] = []  # every code, access token and ID token handed out
        self.jwks_fetches = 0
        self.server = LiveServer(self._app(), self.port).start()

    def token_issuer(self, tid: str = TENANT) -> str:
        return f"{self.base}/{tid}/v2.0" if self.multi_tenant else self.issuer

    def rotate(self) -> None:
        """The provider replaces its signing key (the portal still has the old one cached)."""
        self.key = RSAKey.generate_key(2048, auto_kid=True, private=True)

    def stop(self) -> None:
        self.server.stop()

    # --- the tokens ----------------------------------------------------------------------------------
    def id_token(self, nonce: str) -> str:
        b = self.behaviour
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.token_issuer(), "sub": b.sub, "aud": CLIENT_ID, "exp": now + 300,
                                  "iat": now, "nonce": nonce, "name": f"Name of {b.sub}", "email": "same@example.org"}
        if self.multi_tenant:
            claims |= {"tid": TENANT, "oid": f"oid-{b.sub}"}
        claims |= b.claims
        if "tid" in b.claims and "iss" not in b.claims and self.multi_tenant:
            claims["iss"] = self.token_issuer(b.claims["tid"])
        for name in b.drop:
            claims.pop(name, None)
        if b.sign == "none":
            return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}."
        if b.sign == "hs256":
            signing = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
            mac = hmac.new(self.secret.encode(), signing.encode(), hashlib.sha256).digest()
            return f"{signing}.{b64(mac)}"
        key = self.unpublished_key if b.sign == "unpublished" else self.key
        header = {"alg": "RS256", "typ": "JWT"} | ({"kid": key.kid} if b.kid else {})
        return jwt.encode(header, claims, self.other_key if b.sign == "wrong-key" else key)

    # --- the endpoints ---------------------------------------------------------------------------------
    def _app(self) -> Flask:
        app = Flask("badidp")

        @app.get("/<path:prefix>/.well-known/openid-configuration")
        def discovery(prefix: str):
            if f"{self.base}/{prefix}" != self.issuer:
                abort(404)
            issuer = f"{self.base}/{{tenantid}}/v2.0" if self.multi_tenant else self.issuer
            return jsonify({"issuer": issuer, "authorization_endpoint": f"{self.base}/authorize",
                            "token_endpoint": f"{self.base}/token", "userinfo_endpoint": f"{self.base}/userinfo",
                            "jwks_uri": f"{self.base}/jwks", "response_types_supported": ["code"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "code_challenge_methods_supported": ["S256"]} | self.behaviour.discovery)

        @app.get("/jwks")
        def jwks():
            self.jwks_fetches += 1
            keys = [self.key] + ([self.other_key] if self.behaviour.extra_key else [])
            return jsonify({"keys": [k.as_dict(private=False) | {"use": "sig", "alg": "RS256"} for k in keys]})

        @app.get("/authorize")
        def authorize():
            a = request.args
            if a.get("client_id") != CLIENT_ID or a.get("redirect_uri") not in self.redirect_uris:
                abort(400)
            if a.get("code_challenge_method") != "S256" or not a.get("code_challenge") or not a.get("nonce"):
                return redirect(f"{a['redirect_uri']}?{urlencode({'error': 'invalid_request', 'state': a.get('state', '')})}")
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"nonce": a["nonce"], "challenge": a["code_challenge"], "redirect_uri": a["redirect_uri"]}
            self.issued.append(code)
            return redirect(f"{a['redirect_uri']}?{urlencode({'code': code, 'state': a.get('state', '')})}")

        @app.post("/token")
        def token():
            auth = request.authorization
            if auth is None or auth.username != CLIENT_ID or auth.password != self.secret:
                return jsonify({"error": "invalid_client"}), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri") or \
                    b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return jsonify({"error": "invalid_grant"}), 400
            access = secrets.token_urlsafe(24)
            self.tokens[access] = self.behaviour.sub
            id_token = self.id_token(grant["nonce"])
            self.issued += [access, id_token]
            return jsonify({"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token})

        @app.get("/userinfo")
        def userinfo():
            sub = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
            if sub is None:
                return jsonify({"error": "invalid_token"}), 401
            return jsonify({"sub": sub, "name": f"Name of {sub}"} | self.behaviour.userinfo)

        return app


def providers_toml(entries: dict[str, tuple[BadIdP, dict[str, Any]]]) -> str:
    """A providers file: one table per provider, each with the idp's issuer and its own extra keys."""
    lines = []
    for name, (idp, extra) in entries.items():
        lines += [f"[providers.{name}]", f'title = "{name.title()}"', f'issuer = "{idp.issuer}"',
                  f'client_id = "{CLIENT_ID}"', f'client_secret_env = "PORTAL_OIDC_{name.upper()}_SECRET"']
        for key, value in extra.items():
            if isinstance(value, dict):
                value = "{ " + ", ".join(f'"{k}" = "{v}"' for k, v in value.items()) + " }"
            else:
                value = json.dumps(value)
            lines.append(f"{key} = {value}")
        lines.append("")
    return "\n".join(lines)


def serve_portal(tmp_path: Path, monkeypatch, entries: dict[str, tuple[BadIdP, dict[str, Any]]]) -> LiveServer:
    """The portal with only these providers (no development provider), on a free loopback port."""
    path = tmp_path / "providers.toml"
    path.write_text(providers_toml(entries))
    for name, (idp, _extra) in entries.items():
        monkeypatch.setenv(f"PORTAL_OIDC_{name.upper()}_SECRET", idp.secret)
    port = free_port()
    app = make_app(f"sqlite:///{tmp_path / 'portal.sqlite3'}", tmp_path, DEV_IDP=False, PROVIDERS_FILE=str(path))
    for name, (idp, _extra) in entries.items():
        idp.redirect_uris.add(f"http://127.0.0.1:{port}/auth/callback/{name}")
    return LiveServer(app, port).start()


def log_in(portal: LiveServer, name: str, s: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    """The whole code flow as a browser follows it: portal, provider, back to the portal's callback."""
    s = s or requests.Session()
    return s, s.get(f"{portal.url}/auth/login/{name}")
