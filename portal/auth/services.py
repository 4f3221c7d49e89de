"""The relying party: OpenID Connect login through Authlib's Flask client, sessions by Flask-Login.

Authlib does discovery, state (bound to the browser's session), PKCE S256 and the code exchange;
the ID token is checked by :mod:`portal.auth.tokens`, rule by rule, so that every refusal has a
reason in the audit log. A user is found by ``(issuer, sub)`` only (for a multi-tenant Entra ID
application ``(issuer of the tenant, oid)``): email never links accounts, and the city comes from
the provider's configuration (:mod:`portal.auth.providers`), never from anything the user can set.
Unknown people get a pending account; only active users get a session, a new one at every login.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, session
from flask_login import login_user, logout_user
from joserfc.errors import JoseError

from ledger import municipalities as M
from ledger.errors import LedgerError, Worded
from portal import audit
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.auth import sessions, tokens
from portal.auth.providers import Provider
from portal.clock import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
NEXT_KEY = "auth_next"
REASON_LENGTH = 300  # a reason made of a provider's words is cut to this many characters


@dataclass
class AuthState:
    """Per app: Authlib's Flask ``OAuth`` holds one app and caches clients by name, so a shared one
    would hand one app's provider (issuer, port) to another app in the same process (tests,
    several live servers). Each app gets its own registry, and each provider its key set."""

    oauth: OAuth
    providers: dict[str, Provider] = field(default_factory=dict)
    verifiers: dict[str, tokens.Verifier] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LoginRefused(Worded):
    """The provider's answer was well-formed but not acceptable; ``status`` is what the page says.

    Raised as the core's refusals are (``ledger.errors``): a literal ``%(name)s`` template and its
    values, so that the page shows the reason in its language (``portal.refusals``); ``reason``
    (and ``message``, its other name) is the English text the audit log and the log keep."""

    def __init__(self, template: str, status: int = 400, *, actor: str | None = None, who: dict[str, Any] | None = None,
                 **params: object) -> None:
        self._word(template, params)
        self.reason = self.message
        self.status, self.actor, self.who = status, actor, who

    @classmethod
    def like(cls, refused: tokens.Refused, status: int = 400) -> LoginRefused:
        """A token's refusal (its template and values) as the login's, with the page's status."""
        return cls(refused.template, status, **cast(dict[str, Any], refused.params))

    @classmethod
    def sent(cls, text: str, status: int = 400) -> LoginRefused:
        """A reason in words the portal did not write (the provider's, a library's): shown as it is, in every language."""
        return cls("%(text)s", status, text=text)


def state(app: Flask | None = None) -> AuthState:
    found: AuthState = (app or current_app).extensions["portal.auth"]
    return found


def register(app: Flask, provider: Provider) -> None:
    """Add an OpenID provider found by discovery at its issuer; its login starts at /auth/login/<name>."""
    auth = state(app)
    auth.oauth.register(provider.name, client_id=provider.client_id, client_secret=provider.client_secret,
                        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
                        client_kwargs={"scope": " ".join(provider.scopes), "code_challenge_method": "S256",
                                       "default_timeout": 10})
    auth.providers[provider.name] = provider


def providers() -> dict[str, Provider]:
    return state().providers


def client(name: str) -> Any:
    return state().oauth.create_client(name)


def metadata(provider: Provider, oauth_client: Any) -> dict[str, Any]:
    """Discovery (cached by Authlib), whose issuer must be the configured one."""
    found: dict[str, Any] = oauth_client.load_server_metadata()
    if found.get("issuer") != provider.discovered_issuer:
        oauth_client.server_metadata.pop("_loaded_at", None)  # look again next time
        raise LoginRefused("the provider's discovery document names another issuer")
    if not found.get("jwks_uri") or not found.get("token_endpoint"):
        raise LoginRefused("the provider's discovery document has no jwks_uri or token_endpoint", 502)
    return found


def verifier(provider: Provider) -> tokens.Verifier:
    """The provider's key set, fetched from its ``jwks_uri`` (never from the discovery document)."""
    auth = state()
    with auth.lock:
        found = auth.verifiers.get(provider.name)
        if found is None:
            def fetch() -> Any:
                response = requests.get(metadata(provider, client(provider.name))["jwks_uri"], timeout=10)
                response.raise_for_status()
                return response.json()

            found = auth.verifiers[provider.name] = tokens.Verifier(fetch)
    return found


def verify(provider: Provider, token: str, kind: tokens.Kind, *, nonce: str | None = None) -> dict[str, Any]:
    """A token of ``provider``'s, by the one verifier (ID tokens at login, logout tokens at logout)."""
    return verifier(provider).verify(token, kind, client_id=provider.client_id, issuer_for=provider.issuer_for, nonce=nonce)


def authorize_url(name: str, callback: str) -> Any:
    """Start the code flow at the provider (state, nonce and the PKCE verifier kept in this session)."""
    provider = providers()[name]
    oauth_client = client(name)
    metadata(provider, oauth_client)
    return oauth_client.authorize_redirect(callback)


def exchange(provider: Provider, args: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's answer at the callback: ``(claims, token)`` after every check, or a refusal."""
    oauth_client = client(provider.name)
    if error := args.get("error"):
        raise OAuthError(error=error[:100], description=(args.get("error_description") or "")[:200])
    key = args.get("state")
    state_data = oauth_client.framework.get_state_data(session, key)  # in this browser's session only
    oauth_client.framework.clear_state_data(session, key)
    if state_data is None:
        raise MismatchingStateError()
    params = {"code": args.get("code"), "state": key,
              **{k: state_data[k] for k in ("code_verifier", "redirect_uri") if state_data.get(k)}}
    found = metadata(provider, oauth_client)
    token: dict[str, Any] = oauth_client.fetch_access_token(**params)  # with the PKCE verifier
    if not token.get("id_token"):
        raise LoginRefused("the provider sent no ID token")
    try:
        claims = verify(provider, token["id_token"], "id", nonce=state_data.get("nonce"))
    except tokens.UnknownTenant as exc:
        raise LoginRefused.like(exc, 403) from None
    if found.get("userinfo_endpoint"):
        info = oauth_client.userinfo(token=token)
        if info.get("sub") != claims["sub"]:
            raise LoginRefused("the UserInfo subject (sub) is not the ID token's subject")
        claims = {**info, **claims}
    return claims, token


def identity(provider: Provider, claims: dict[str, Any]) -> tuple[str, str, str | None]:
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
            raise LoginRefused("the provider named the municipality %(value)s (%(claim)s), which it is not configured for", 403,
                               value=repr(str(value)[:20]), claim=provider.city_claim)
        return issuer, sub, code
    return issuer, sub, provider.city


class Landing(NamedTuple):
    """Where a successful code flow lands: a pending account (no session), or a session and a target."""

    user: User
    pending: bool
    target: str | None = None


def complete(provider: Provider, issuer: str, sub: str, city: str | None, claims: dict[str, Any],
             token: dict[str, Any]) -> Landing:
    """The account for the login; a session for an active one. Refuses a disabled account or another city's."""
    user = accounts.resolve_user(provider=provider.name, issuer=issuer, sub=sub, claims=claims, city=city, ip=request.remote_addr)
    if user.status == "pending":
        logout_user()
        session.clear()
        accounts.remember_pending(user)  # only /api/v1/me reads it: no portal session for the pending
        return Landing(user, True)
    if user.status != "active":
        raise LoginRefused("this account is disabled", 403, actor=user.actor, who={"issuer": issuer, "sub": sub, "city": user.city_code})
    if city is not None and user.city_code is not None and user.city_code != city:
        # The provider vouches for one city and the account says another: never act as the other city.
        raise LoginRefused("this account belongs to city %(account)s, but the provider vouches for city %(city)s", 403,
                           actor=user.actor, who={"issuer": issuer, "sub": sub, "city": city}, account=user.city_code, city=city)
    target = session.get(NEXT_KEY)
    sessions.rotate()  # a new session at every login
    user.last_login_at = utcnow()
    audit.record(user.actor, "login", {"issuer": issuer, "sub": sub, "city": user.city_code, "provider": provider.name},
                 ip=request.remote_addr)
    db.session.commit()
    login_user(user)
    # The token's own sub (Entra's pairwise sub, not oid): what a back-channel logout token names.
    sessions.remember_login(provider=provider.name, issuer=issuer, sub=str(claims["sub"]), sid=claims.get("sid"),
                            id_token=token.get("id_token"))
    return Landing(user, False, safe_next(target))


def refuse(provider: Provider, reason: str, *, actor: str | None = None, who: dict[str, Any] | None = None) -> None:
    """No session after a failed login, and an audit row without any code or token in it."""
    logout_user()
    session.clear()
    audit.record(actor or provider.issuer or provider.name, "login-failed",
                 {"reason": reason, "issuer": provider.issuer, **(who or {}), "provider": provider.name}, ip=request.remote_addr)
    db.session.commit()
    log.info("login failed via %s: %s", provider.name, reason)


def describe(exc: Exception) -> LoginRefused:
    """A short reason, as a refusal of the login; provider-sent text is cut short and never includes
    our code or tokens. The provider's (or Authlib's) own words are shown as they were sent."""
    if isinstance(exc, AuthlibBaseError):
        return LoginRefused.sent((str(exc.error) + (f": {exc.description}" if exc.description else ""))[:REASON_LENGTH])
    if isinstance(exc, JoseError):
        error = str(exc.error) + (f": {exc.description}" if exc.description else "")
        return LoginRefused("invalid ID token (%(error)s)", error=error[:REASON_LENGTH - len("invalid ID token ()")])
    if isinstance(exc, requests.RequestException):
        return LoginRefused("the provider could not be reached (%(error)s)", error=type(exc).__name__)
    return LoginRefused.sent(str(exc)[:REASON_LENGTH])


def load_user(user_id: str) -> User | None:
    """Only active users have a session: one disabled after logging in loses it at the next request."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def safe_next(value: str | None) -> str | None:
    """A local path only: no scheme, no host, no ``//`` or ``/\\`` that browsers read as a host."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


class _RedactCallbackQuery(logging.Filter):
    """Werkzeug's request log prints query strings: keep the callback's code and state out of it."""

    PATTERN = re.compile(r"([?&](?:code|state|session_state)=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def keep_secrets_out_of_logs() -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactCallbackQuery) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_RedactCallbackQuery())
    # Authlib logs tokens and code verifiers at DEBUG; never let them through.
    authlib_log = logging.getLogger("authlib")
    if authlib_log.getEffectiveLevel() < logging.INFO:
        authlib_log.setLevel(logging.INFO)
