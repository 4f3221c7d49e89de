"""ID token checks, done explicitly so that each refusal has one clear reason.

Functions over the token's header, the provider's public keys and the claims; no Flask, no
network. The caller fetches the key set (again, once, on :class:`UnknownKey`) and decides what a
refusal means for the login.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key
from joserfc.jws import JWSRegistry

# Asymmetric algorithms only: "none" proves nothing, and an HMAC key would be the client secret,
# which the portal shares with the provider (and anyone who learns it could mint tokens).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
LEEWAY = 60  # seconds of clock difference tolerated for exp, iat, nbf


class Refused(Exception):
    """The ID token is not acceptable; ``reason`` is safe to show and to audit (no token in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownKey(Refused):
    """The token's kid is not in the key set: the provider may have rotated its key."""


def header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, checked for an acceptable algorithm."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise Refused("the ID token is not a signed JWT")
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError as exc:
        raise Refused("the ID token's header cannot be read") from exc
    if not isinstance(head, dict):
        raise Refused("the ID token's header cannot be read")
    alg = head.get("alg")
    if alg not in ALGORITHMS:
        raise Refused(f"the ID token's algorithm {str(alg)[:20]!r} is not accepted (only signatures with the provider's public keys)")
    if "crit" in head or head.get("zip") or "jku" in head or "x5u" in head or "jwk" in head:
        raise Refused("the ID token's header has parameters the portal does not accept (crit, zip, jku, x5u, jwk)")
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


def select_key(head: dict[str, Any], keys: list[Key]) -> Key:
    """The key named by ``kid``; without a kid, only a set of exactly one key is unambiguous."""
    kid, alg = head.get("kid"), head["alg"]
    if kid is None:
        if len(keys) != 1:
            raise Refused(f"the ID token names no key (kid) and the provider's key set holds {len(keys)} keys")
        key = keys[0]
    else:
        key = next((k for k in keys if k.kid == kid), None)
        if key is None:
            raise UnknownKey("the ID token is signed with a key (kid) that is not in the provider's key set")
    if key.key_type != KEY_TYPES[alg[:2]] or key.get("alg", alg) != alg:
        raise Refused(f"the ID token's algorithm {alg} does not match the provider's key")
    return key


def verify(token: str, head: dict[str, Any], key: Key) -> dict[str, Any]:
    """The claims, once the signature is verified with ``key``."""
    try:
        decoded = jwt.decode(token, key, registry=JWSRegistry(algorithms=[head["alg"]], strict_check_header=False))
    except JoseError as exc:
        raise Refused(f"the ID token's signature is not valid ({exc.error})") from exc
    if not isinstance(decoded.claims, dict):
        raise Refused("the ID token's claims are not a JSON object")
    return decoded.claims


def check_claims(claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str | None,
                 now: float | None = None, leeway: int = LEEWAY) -> None:
    """OpenID Connect Core 3.1.3.7: issuer, audience, authorised party, times, nonce, subject."""
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise Refused(f"the ID token's issuer (iss) {str(claims.get('iss'))[:200]!r} is not {issuer!r}")
    listed = audiences(claims)
    if client_id not in listed:
        raise Refused("the ID token's audience (aud) does not include this portal's client_id")
    if "azp" in claims or len(listed) > 1:
        if claims.get("azp") != client_id:
            raise Refused("the ID token's authorised party (azp) is not this portal's client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _number(exp) or not _number(iat):
        raise Refused("the ID token has no valid expiry (exp) or issue time (iat)")
    if exp + leeway < now:
        raise Refused("the ID token has expired (exp)")
    if iat - leeway > now:
        raise Refused("the ID token is issued in the future (iat)")
    if "nbf" in claims and (not _number(claims["nbf"]) or claims["nbf"] - leeway > now):
        raise Refused("the ID token is not valid yet (nbf)")
    sent = claims.get("nonce")
    if not nonce or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise Refused("the ID token's nonce is not the one this login sent")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Refused("the ID token has no subject (sub)")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
