"""The bundled development OpenID provider: its clients, codes, tokens, key and grants (Authlib's server side).

A real OpenID Connect provider built on Authlib's server side (authorization code flow, PKCE S256
required, RS256-signed ID tokens with a ``sid``, discovery, JWKS, userinfo, RP-initiated logout and
back-channel logout tokens), so that the portal's relying party is exercised exactly as against a
city's provider. Anyone may log in as anyone: it is for development only and refuses to start
outside ``PORTAL_ENV=development``.

Codes, access tokens and used nonces live in process memory (one process, e.g. Flask's
development server); only the signing key is shared, through the instance folder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authlib.common.security import is_secure_transport
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, TokenMixin, scope_to_list
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask
from joserfc import jwt
from joserfc.jwk import RSAKey

from portal.config import ConfigError

CLIENT_ID = "portal-dev"
SCOPES = ["openid", "profile", "email"]
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
CODE_LIFETIME = 120  # seconds
KEY_FILE = "dev-idp-key.json"
CALLBACK_PATH = "/auth/callback/dev"
POST_LOGOUT_PATH = "/login"  # the relying party's registered post_logout_redirect_uri
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
DEMO_USERS = [
    # (sub, name, role, city): the people the provider's page offers; ``portal demo`` grants them their roles.
    ("porvoo-contact", "Pia Porvoolainen", "contact", "638"),
    ("hameenlinna-lead", "Heikki Hämäläinen", "lead", "109"),
    ("accountant", "Aino Accountant", "accountant", "109"),
    # The development provider vouches for no city, so its newcomers are approved by an admin.
    ("admin", "Ada Admin", "admin", None),
]

@dataclass(frozen=True)
class DevUser:
    sub: str
    name: str
    email: str
    email_verified: bool


@dataclass(frozen=True)
class DevClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: Collection[str] | str | None) -> str:
        return " ".join(s for s in (scope_to_list(scope) or []) if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint != "token" or method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: DevUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))  # one provider session per login

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class Token(TokenMixin):
    client_id: str
    scope: str
    user: DevUser
    expires_at: float

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at - time.time()))

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> DevUser:
        return self.user


@dataclass
class Store:
    """The provider's in-memory state; a lock because the development server is threaded."""

    key_path: Path
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    nonces: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _key: RSAKey | None = None

    def key(self) -> RSAKey:
        with self.lock:
            if self._key is None:
                self._key = load_or_create_key(self.key_path)
            return self._key

    def _expire(self, now: float) -> None:
        for table in (self.codes, self.tokens):
            for k in [k for k, v in table.items() if v.expires_at <= now]:
                del table[k]
        for k in [k for k, until in self.nonces.items() if until <= now]:
            del self.nonces[k]

    def save_code(self, code: Code) -> None:
        with self.lock:
            self._expire(time.time())
            self.codes[code.code] = code
            if code.nonce:
                self.nonces[code.nonce] = time.time() + 3600

    def take_code(self, code: str, client_id: str) -> Code | None:
        """Remove and return the code: a code is good for one attempt, whatever its outcome."""
        with self.lock:
            found = self.codes.pop(code, None)
        if found is None or found.client_id != client_id or found.expires_at <= time.time():
            return None
        return found

    def nonce_seen(self, nonce: str) -> bool:
        with self.lock:
            return self.nonces.get(nonce, 0) > time.time()

    def save_token(self, access_token: str, token: Token) -> None:
        with self.lock:
            self._expire(time.time())
            self.tokens[access_token] = token

    def find_token(self, access_token: str) -> Token | None:
        with self.lock:
            return self.tokens.get(access_token)


@dataclass
class Provider:
    issuer: str
    client: DevClient
    store: Store
    server: AuthorizationServer
    protector: ResourceProtector


def load_or_create_key(path: Path) -> RSAKey:
    """The signing key, created once (mode 600, atomically) so that restarts and workers share it."""
    if not path.exists():
        key = RSAKey.generate_key(2048, auto_kid=True, private=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(key.as_dict(private=True), handle)
        try:
            os.link(tmp, path)  # fails if another worker won the race: then use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    data = json.loads(path.read_text())
    key = RSAKey.import_key(data)
    if not key.kid:
        key = RSAKey.import_key({**data, "kid": key.thumbprint()})
    return key


def client_credentials(app: Flask) -> tuple[str, str]:
    """The one client's id and secret; the secret is an HMAC of SECRET_KEY, so every worker agrees."""
    secret = hmac.new(str(app.config["SECRET_KEY"]).encode(), b"portal dev-idp client secret", hashlib.sha256)
    return CLIENT_ID, secret.hexdigest()


def callback_uri(issuer: str) -> str:
    """The relying party's registered callback: the portal serving this issuer, ``/auth/callback/dev``."""
    return issuer[: -len("/dev-idp")] + CALLBACK_PATH


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def store(self) -> Store:
        return self.server.devidp_store

    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        self.store.save_code(Code(
            code=code, client_id=request.client.get_client_id(), redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope, user=request.user, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(time.time()), expires_at=time.time() + CODE_LIFETIME,
        ))

    def query_authorization_code(self, code: str, client: ClientMixin) -> Code | None:
        return self.store.take_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # already removed by take_code

    def authenticate_user(self, authorization_code: Code) -> DevUser:
        return authorization_code.user


class RequiredS256(CodeChallenge):
    """PKCE for every client, confidential ones included, and only S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib reads (and types) it as an attribute

    def validate_code_challenge(self, grant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class DevOpenIDCode(OpenIDCode):
    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def resolve_client_private_key(self, client: ClientMixin) -> RSAKey:
        return self.provider.store.key()

    def get_client_algorithm(self, client: ClientMixin) -> str:
        return "RS256"

    def get_encode_header(self, client: ClientMixin) -> dict[str, str]:
        return {"alg": "RS256", "kid": self.provider.store.key().kid or "", "typ": "JWT"}

    def get_client_claims(self, client: ClientMixin) -> dict[str, Any]:
        return {"iss": self.provider.issuer, "aud": client.get_client_id()}

    def exists_nonce(self, nonce: str, request) -> bool:
        return self.provider.store.nonce_seen(nonce)

    def get_authorization_code_claims(self, authorization_code: AuthorizationCodeMixin) -> dict[str, Any]:
        sid = authorization_code.sid if isinstance(authorization_code, Code) else None
        return {**super().get_authorization_code_claims(authorization_code), "sid": sid}

    def generate_user_info(self, user: DevUser, scope: str) -> UserInfo:
        return user_claims(user, scope)


class DevBearerValidator(BearerTokenValidator):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def authenticate_token(self, token_string: str) -> Token | None:
        return self.store.find_token(token_string)


def user_claims(user: DevUser, scope: str) -> UserInfo:
    scopes = scope_to_list(scope or "")
    claims = UserInfo(sub=user.sub)
    if "profile" in scopes:
        claims["name"] = user.name
    if "email" in scopes:
        claims["email"], claims["email_verified"] = user.email, user.email_verified
    return claims


def setup(app: Flask) -> Provider:
    """Set the provider up for ``app``; refuses a production app or an insecure issuer."""
    issuer = str(app.config["DEV_IDP_ISSUER"]).rstrip("/")
    if app.config.get("PORTAL_ENV") != "development":
        raise ConfigError("PORTAL_DEV_IDP=1 lets anyone log in as anyone: it needs PORTAL_ENV=development")
    parts = urlsplit(issuer)
    if not parts.path.endswith("/dev-idp") or not is_secure_transport(issuer):
        # Authlib accepts plain http on loopback only; no AUTHLIB_INSECURE_TRANSPORT anywhere.
        raise ConfigError(
            f"PORTAL_DEV_IDP_ISSUER {issuer!r} must be https or http on loopback (127.0.0.1, localhost) "
            "and end with /dev-idp, e.g. http://127.0.0.1:5000/dev-idp"
        )
    client_id, secret = client_credentials(app)
    store = Store(key_path=Path(app.instance_path) / KEY_FILE)
    protector = ResourceProtector()
    protector.register_token_validator(DevBearerValidator(store))
    client = DevClient(client_id, secret, (callback_uri(issuer),), (issuer[: -len("/dev-idp")] + POST_LOGOUT_PATH,))
    server = AuthorizationServer()
    server.init_app(app, query_client=lambda cid: client if cid == client_id else None,
                    save_token=lambda token, req: store.save_token(token["access_token"], Token(
                        client_id=req.client.get_client_id(), scope=token.get("scope", ""), user=req.user,
                        expires_at=time.time() + int(token.get("expires_in", 3600)))))
    server.scopes_supported = SCOPES
    server.devidp_store = store  # type: ignore[attr-defined]  # read by CodeGrant.store
    provider = Provider(issuer, client, store, server, protector)
    server.register_grant(CodeGrant, [RequiredS256(required=True), DevOpenIDCode(provider)])
    app.extensions["devidp"] = provider
    return provider



def backchannel_logout_token(app: Flask, sub: str | None = None, sid: str | None = None, *,
                             claims: dict[str, Any] | None = None, header: dict[str, Any] | None = None,
                             key: RSAKey | None = None) -> str:
    """A logout token as this provider would POST it to the relying party's back-channel endpoint.

    ``claims`` and ``header`` override (None removes a claim), so tests can build the bad ones too.
    """
    provider: Provider = app.extensions["devidp"]
    signing = key or provider.store.key()
    now = int(time.time())
    body: dict[str, Any] = {"iss": provider.issuer, "aud": provider.client.client_id, "iat": now, "exp": now + 120,
                            "jti": secrets.token_urlsafe(16), "events": {BACKCHANNEL_EVENT: {}}, "sub": sub, "sid": sid}
    body = {k: v for k, v in {**body, **(claims or {})}.items() if v is not None}
    head = {k: v for k, v in {"alg": "RS256", "kid": signing.kid, "typ": "logout+jwt", **(header or {})}.items()
            if v is not None}
    return jwt.encode(head, body, signing, algorithms=["RS256"])
