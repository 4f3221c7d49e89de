"""The one verifier of the tokens a provider signs: ID tokens at login, logout tokens at back-channel logout.

Both are JWTs signed with the provider's public keys and checked the same way, rule by rule, so
that each refusal has one clear reason for the page and the audit log (never the token itself):
the header (asymmetric algorithms only, no ``crit``/``jku``/``x5u``/``jwk``/``zip``), the key
(named by ``kid``; without one, only a set of exactly one key is unambiguous; an unknown ``kid``
makes the caller fetch the key set once more), the signature, then the claims of OpenID Connect
Core 3.1.3.7 (``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nbf``) with one leeway. Each kind
adds its own: an ID token its ``nonce`` and ``sub``; a logout token (Back-Channel Logout 1.0,
2.4) its ``typ``, the back-channel ``events``, ``jti``, ``sub`` or ``sid`` and no ``nonce``.

No Flask and no network here: :class:`Verifier` is given a function that fetches the key set.
The reasons name the claim and, in brackets, the error code of JOSE libraries (``bad_signature``,
``invalid_key_id``, ``expired_token``), which providers' own logs use.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key
from joserfc.jws import JWSRegistry

from ledger.errors import Word, Worded

# Asymmetric algorithms only: "none" proves nothing, and an HMAC key would be the client secret,
# which the portal shares with the provider (and anyone who learns it could mint tokens).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
LEEWAY = 60  # seconds of clock difference tolerated for exp, iat, nbf
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TYPES = ("logout+jwt", "application/logout+jwt")
Kind = Literal["id", "logout"]
NAMES: dict[str, Word] = {"id": Word("ID token"), "logout": Word("logout token")}


class Refused(Worded):
    """The token is not acceptable; ``reason`` is safe to show and to audit (no token in it).

    Raised as the core's refusals are (``ledger.errors``): a literal ``%(name)s`` template and its
    values, so that the login's page can show the reason in its language (``portal.refusals``);
    ``reason`` (and ``message``, its other name) is the English text the audit log and the log keep."""

    def __init__(self, template: str, **params: object) -> None:
        self._word(template, params)
        self.reason = self.message

    @classmethod
    def like(cls, other: Any) -> Refused:
        """The same reason (its template and values) as another refusal of a login (``LoginRefused``)."""
        return cls(other.template, **other.params)


class UnknownKey(Refused):
    """The token's kid is not in the key set: the provider may have rotated its key."""


class UnknownTenant(Refused):
    """The token comes from a tenant (``tid``) this provider is not configured for: a 403, not a 400."""


def header(token: str, kind: Kind = "id") -> dict[str, Any]:
    """The protected header of a compact JWS, checked for an acceptable algorithm."""
    name = NAMES[kind]
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise Refused("the %(name)s is not a signed JWT", name=name)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError as exc:
        raise Refused("the %(name)s's header cannot be read", name=name) from exc
    if not isinstance(head, dict):
        raise Refused("the %(name)s's header cannot be read", name=name)
    alg = head.get("alg")
    if alg not in ALGORITHMS:
        raise Refused("the %(name)s's algorithm %(alg)s is not accepted (only signatures with the provider's public keys)",
                      name=name, alg=repr(str(alg)[:20]))
    if "crit" in head or head.get("zip") or "jku" in head or "x5u" in head or "jwk" in head:
        raise Refused("the %(name)s's header has parameters the portal does not accept (crit, zip, jku, x5u, jwk)", name=name)
    return head


def public_keys(jwks: Any) -> list[Key]:
    """The signing keys of a JWKS document: asymmetric, public, for signatures."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise Refused("the provider's key set (jwks_uri) is not a JWK set")
    keys = []
    for data in jwks["keys"]:
        if not isinstance(data, dict) or data.get("kty") not in KEY_TYPES.values() or data.get("use", "sig") != "sig":
            continue
        if any(p in data for p in ("d", "p", "q")):
            continue  # a private key published by mistake is nothing to trust
        try:
            keys.append(import_key(data))
        except (JoseError, ValueError, TypeError):
            continue
    return keys


def select_key(head: dict[str, Any], keys: list[Key], kind: Kind = "id") -> Key:
    """The key named by ``kid``; without a kid, only a set of exactly one key is unambiguous."""
    name = NAMES[kind]
    kid, alg = head.get("kid"), head["alg"]
    if kid is None:
        if len(keys) != 1:
            raise Refused("the %(name)s names no key (kid) and the provider's key set holds %(keys)s keys", name=name, keys=len(keys))
        key = keys[0]
    else:
        found = next((k for k in keys if k.kid == kid), None)
        if found is None:
            raise UnknownKey("the %(name)s is signed with a key (kid) that is not in the provider's key set (invalid_key_id)", name=name)
        key = found
    if key.key_type != KEY_TYPES[alg[:2]] or key.get("alg", alg) != alg:
        raise Refused("the %(name)s's algorithm %(alg)s does not match the provider's key", name=name, alg=alg)
    return key


def signed_claims(token: str, head: dict[str, Any], key: Key, kind: Kind = "id") -> dict[str, Any]:
    """The claims, once the signature is verified with ``key``."""
    name = NAMES[kind]
    try:
        decoded = jwt.decode(token, key, registry=JWSRegistry(algorithms=[head["alg"]], strict_check_header=False))
    except JoseError as exc:
        raise Refused("the %(name)s's signature is not valid (%(error)s)", name=name, error=exc.error) from exc
    if not isinstance(decoded.claims, dict):
        raise Refused("the %(name)s's claims are not a JSON object", name=name)
    return decoded.claims


def check_common(claims: dict[str, Any], *, issuer: str, client_id: str, kind: Kind = "id",
                 now: float | None = None, leeway: int = LEEWAY) -> None:
    """OpenID Connect Core 3.1.3.7: issuer, audience, authorised party and times, for either kind."""
    name = NAMES[kind]
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise Refused("the %(name)s's issuer (iss) %(sent)s is not %(issuer)s (invalid_claim: Invalid claim: 'iss')",
                      name=name, sent=repr(str(claims.get("iss"))[:200]), issuer=repr(issuer))
    listed = audiences(claims)
    if client_id not in listed:
        raise Refused("the %(name)s's audience (aud) does not include this portal's client_id (invalid_claim: Invalid claim: 'aud')",
                      name=name)
    if ("azp" in claims or len(listed) > 1) and claims.get("azp") != client_id:
        raise Refused("the %(name)s's authorised party (azp) is not this portal's client_id", name=name)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)) or not _number(exp) or not _number(iat):
        raise Refused("the %(name)s has no valid expiry (exp) or issue time (iat)", name=name)
    if exp + leeway < now:
        raise Refused("the %(name)s has expired (exp) (expired_token)", name=name)
    if iat - leeway > now:
        raise Refused("the %(name)s is issued in the future (iat)", name=name)
    if "nbf" in claims and (not _number(claims["nbf"]) or claims["nbf"] - leeway > now):
        raise Refused("the %(name)s is not valid yet (nbf)", name=name)


def check_id_token(claims: dict[str, Any], *, nonce: str | None) -> None:
    """What only an ID token must hold: the nonce this login sent, and a subject."""
    sent = claims.get("nonce")
    if not nonce or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise Refused("the ID token's nonce is not the one this login sent")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Refused("the ID token has no subject (sub)")


def check_logout_token(head: dict[str, Any], claims: dict[str, Any]) -> None:
    """What only a logout token must hold (Back-Channel Logout 1.0, 2.4 and 2.6)."""
    if str(head.get("typ", "")).lower() not in LOGOUT_TYPES:
        raise Refused("typ must be logout+jwt")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise Refused("the logout token has no identifier ('jti')")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise Refused("the events claim has no back-channel logout event")
    if "nonce" in claims:
        raise Refused("a logout token must not carry a nonce")
    if not any(isinstance(claims.get(c), str) and claims[c] for c in ("sub", "sid")):
        raise Refused("the logout token names neither sub nor sid")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


class Verifier:
    """One provider's key set, cached and fetched again once when a token names an unknown key."""

    def __init__(self, fetch_keys: Callable[[], Any]) -> None:
        self._fetch = fetch_keys
        self._keys: list[Key] | None = None
        self._lock = threading.Lock()

    def keys(self, *, refresh: bool = False) -> list[Key]:
        with self._lock:
            keys = None if refresh else self._keys
        if keys is None:
            keys = public_keys(self._fetch())
            with self._lock:
                self._keys = keys
        return keys

    def verify(self, token: str, kind: Kind, *, client_id: str, issuer_for: Callable[[str | None], str | None],
               nonce: str | None = None, now: float | None = None) -> dict[str, Any]:
        """The token's claims after every check of its kind; :class:`Refused` with the reason otherwise.

        ``issuer_for`` gives the exact ``iss`` for the token's ``tid`` (None: a tenant not served).
        """
        head = header(token, kind)
        try:
            key = select_key(head, self.keys(), kind)
        except UnknownKey:  # the provider rotated its key: fetch the set again, once
            key = select_key(head, self.keys(refresh=True), kind)
        claims = signed_claims(token, head, key, kind)
        tid = claims.get("tid")
        issuer = issuer_for(tid if isinstance(tid, str) else None)
        if issuer is None:
            raise UnknownTenant("the %(name)s's tenant (tid) %(tid)s is not configured for this provider", name=NAMES[kind],
                                tid=repr(str(tid)[:60]))
        check_common(claims, issuer=issuer, client_id=client_id, kind=kind, now=now)
        if kind == "id":
            check_id_token(claims, nonce=nonce)
        else:
            check_logout_token(head, claims)
        return claims
