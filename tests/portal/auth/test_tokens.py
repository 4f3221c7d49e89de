"""The one token verifier, without Flask or network: header, key, signature, the claims of each kind, key rotation.

End to end (a provider that misbehaves, through the login and back-channel logout) is
``test_oidc_refusals.py`` and ``test_logout.py``; here each rule is checked on its own.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from ledger.errors import Word
from portal.auth import tokens

ISSUER = "https://login.example.org/porvoo"
CLIENT = "portal"
NOW = 1_800_000_000
EVENTS = {tokens.BACKCHANNEL_EVENT: {}}


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {"rsa": RSAKey.generate_key(2048, auto_kid=True, private=True),
            "other": RSAKey.generate_key(2048, auto_kid=True, private=True),
            "ec": ECKey.generate_key("P-256", auto_kid=True, private=True)}


def jwks(*keys: Any, **extra: Any) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) | {"use": "sig"} | extra for k in keys]}


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    body = {"iss": ISSUER, "sub": "user-1", "aud": CLIENT, "exp": NOW + 300, "iat": NOW, "nonce": "n-1"} | changes
    return {k: v for k, v in body.items() if v is not None}


def sign(key: Any, body: dict[str, Any], alg: str = "RS256", **header: Any) -> str:
    head = {"alg": alg, "kid": key.kid} | header
    return jwt.encode({k: v for k, v in head.items() if v is not None}, body, key, algorithms=[alg])


class Fetches:
    """A key set fetcher that counts its calls and can be given another set (the provider rotates)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document, self.count = document, 0

    def __call__(self) -> dict[str, Any]:
        self.count += 1
        return self.document


def verify(verifier: tokens.Verifier, token: str, kind: tokens.Kind = "id", *,
           issuer_for: Callable[[str | None], str | None] = lambda tid: ISSUER, nonce: str | None = "n-1") -> dict[str, Any]:
    return verifier.verify(token, kind, client_id=CLIENT, issuer_for=issuer_for, nonce=nonce, now=NOW)


# -- the header ----------------------------------------------------------------------------------
@pytest.mark.parametrize("token, reason", [
    ("not-a-jwt", "the ID token is not a signed JWT"),
    ("a.b", "the ID token is not a signed JWT"),
    ("%%%.e30.sig", "the ID token's header cannot be read"),
    (f"{b64(['RS256'])}.e30.sig", "the ID token's header cannot be read"),
    (f"{b64({'alg': 'none'})}.e30.", "the ID token's algorithm 'none' is not accepted"),
    (f"{b64({'alg': 'HS256'})}.e30.sig", "the ID token's algorithm 'HS256' is not accepted"),
    (f"{b64({'typ': 'JWT'})}.e30.sig", "the ID token's algorithm 'None' is not accepted"),
    (f"{b64({'alg': 'RS256', 'crit': ['exp']})}.e30.sig", "parameters the portal does not accept"),
    (f"{b64({'alg': 'RS256', 'jku': 'https://evil.example/keys'})}.e30.sig", "parameters the portal does not accept"),
    (f"{b64({'alg': 'RS256', 'x5u': 'https://evil.example/cert'})}.e30.sig", "parameters the portal does not accept"),
    (f"{b64({'alg': 'RS256', 'jwk': {'kty': 'RSA'}})}.e30.sig", "parameters the portal does not accept"),
    (f"{b64({'alg': 'RS256', 'zip': 'DEF'})}.e30.sig", "parameters the portal does not accept"),
])
def test_a_header_that_is_not_acceptable(token: str, reason: str) -> None:
    with pytest.raises(tokens.Refused) as refused:
        tokens.header(token)
    assert reason in refused.value.reason


def test_an_acceptable_header_is_returned_and_the_kind_is_named(keys) -> None:
    assert tokens.header(sign(keys["rsa"], claims())) == {"alg": "RS256", "kid": keys["rsa"].kid, "typ": "JWT"}
    with pytest.raises(tokens.Refused, match=r"^the logout token is not a signed JWT$"):
        tokens.header("x", "logout")


# -- the keys ------------------------------------------------------------------------------------
def test_only_public_signing_keys_are_kept(keys) -> None:
    document = jwks(keys["rsa"], keys["ec"])
    document["keys"] += [keys["other"].as_dict(private=True), keys["other"].as_dict(private=False) | {"use": "enc"},
                         OctKey.generate_key(256).as_dict(), {"kty": "RSA", "n": "broken"}, "not a key"]
    assert [k.kid for k in tokens.public_keys(document)] == [keys["rsa"].kid, keys["ec"].kid]
    for bad in ([], {"keys": {}}, None, "jwks"):
        with pytest.raises(tokens.Refused, match="is not a JWK set"):
            tokens.public_keys(bad)


def test_the_key_is_the_one_named_by_kid(keys) -> None:
    published = tokens.public_keys(jwks(keys["rsa"], keys["other"]))
    assert tokens.select_key({"alg": "RS256", "kid": keys["other"].kid}, published).kid == keys["other"].kid
    with pytest.raises(tokens.UnknownKey, match="not in the provider's key set \\(invalid_key_id\\)"):
        tokens.select_key({"alg": "RS256", "kid": "gone"}, published)
    with pytest.raises(tokens.Refused, match="names no key \\(kid\\) and the provider's key set holds 2 keys"):
        tokens.select_key({"alg": "RS256"}, published)
    one = tokens.public_keys(jwks(keys["rsa"]))
    assert tokens.select_key({"alg": "RS256"}, one).kid == keys["rsa"].kid  # one key: unambiguous
    with pytest.raises(tokens.Refused, match="algorithm ES256 does not match the provider's key"):
        tokens.select_key({"alg": "ES256", "kid": keys["rsa"].kid}, published)
    pinned = tokens.public_keys(jwks(keys["rsa"], alg="RS512"))
    with pytest.raises(tokens.Refused, match="algorithm RS256 does not match"):
        tokens.select_key({"alg": "RS256", "kid": keys["rsa"].kid}, pinned)


def test_the_signature_is_checked_with_the_chosen_key(keys) -> None:
    token = sign(keys["rsa"], claims())
    head = tokens.header(token)
    [rsa] = tokens.public_keys(jwks(keys["rsa"]))
    assert tokens.signed_claims(token, head, rsa) == claims()
    [other] = tokens.public_keys(jwks(keys["other"]))
    with pytest.raises(tokens.Refused, match=r"^the ID token's signature is not valid \(bad_signature\)$"):
        tokens.signed_claims(token, head, other)


# -- the claims ----------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, reason", [
    ({"iss": "https://evil.example"}, "issuer (iss) 'https://evil.example' is not 'https://login.example.org/porvoo'"),
    ({"iss": None}, "issuer (iss) 'None' is not"),
    ({"aud": "someone-else"}, "audience (aud) does not include this portal's client_id"),
    ({"aud": ["someone-else", 5]}, "audience (aud) does not include"),
    ({"aud": [CLIENT, "other"]}, "authorised party (azp) is not this portal's client_id"),
    ({"aud": [CLIENT, "other"], "azp": "other"}, "authorised party (azp)"),
    ({"azp": "other"}, "authorised party (azp)"),
    ({"exp": None}, "has no valid expiry (exp) or issue time (iat)"),
    ({"exp": True}, "has no valid expiry (exp)"),
    ({"iat": "1800000000"}, "has no valid expiry (exp) or issue time (iat)"),
    ({"exp": NOW - 61, "iat": NOW - 400}, "has expired (exp) (expired_token)"),
    ({"iat": NOW + 61, "exp": NOW + 400}, "is issued in the future (iat)"),
    ({"nbf": NOW + 61}, "is not valid yet (nbf)"),
    ({"nbf": "soon"}, "is not valid yet (nbf)"),
])
def test_the_common_claims(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(tokens.Refused) as refused:
        tokens.check_common(claims(**changes), issuer=ISSUER, client_id=CLIENT, now=NOW)
    assert reason in refused.value.reason


def test_the_common_claims_within_the_leeway() -> None:
    for changes in ({}, {"exp": NOW - 60}, {"iat": NOW + 60, "exp": NOW + 400}, {"nbf": NOW + 60},
                    {"aud": [CLIENT, "other"], "azp": CLIENT}, {"azp": CLIENT}, {"exp": NOW + 0.5}):
        tokens.check_common(claims(**changes), issuer=ISSUER, client_id=CLIENT, now=NOW)
    with pytest.raises(tokens.Refused, match="expired"):
        tokens.check_common(claims(exp=NOW - 10), issuer=ISSUER, client_id=CLIENT, now=NOW, leeway=0)


@pytest.mark.parametrize("changes, nonce, reason", [
    ({"nonce": "n-2"}, "n-1", "the ID token's nonce is not the one this login sent"),
    ({"nonce": None}, "n-1", "nonce is not the one"),
    ({}, None, "nonce is not the one"),
    ({}, "", "nonce is not the one"),
    ({"nonce": 1}, "1", "nonce is not the one"),
    ({"sub": None}, "n-1", "the ID token has no subject (sub)"),
    ({"sub": "  "}, "n-1", "has no subject (sub)"),
    ({"sub": 42}, "n-1", "has no subject (sub)"),
])
def test_what_an_id_token_must_hold(changes: dict[str, Any], nonce: str | None, reason: str) -> None:
    with pytest.raises(tokens.Refused) as refused:
        tokens.check_id_token(claims(**changes), nonce=nonce)
    assert reason in refused.value.reason


def logout_claims(**changes: Any) -> dict[str, Any]:
    body = {"iss": ISSUER, "aud": CLIENT, "iat": NOW, "exp": NOW + 120, "jti": "j-1", "sub": "user-1", "sid": "s-1",
            "events": EVENTS} | changes
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("typ, changes, reason", [
    ("JWT", {}, "typ must be logout+jwt"),
    (None, {}, "typ must be logout+jwt"),
    ("logout+jwt", {"jti": None}, "the logout token has no identifier ('jti')"),
    ("logout+jwt", {"jti": ""}, "no identifier ('jti')"),
    ("logout+jwt", {"events": None}, "the events claim has no back-channel logout event"),
    ("logout+jwt", {"events": {tokens.BACKCHANNEL_EVENT: "yes"}}, "no back-channel logout event"),
    ("logout+jwt", {"events": {"http://schemas.openid.net/event/other": {}}}, "no back-channel logout event"),
    ("logout+jwt", {"nonce": "n"}, "a logout token must not carry a nonce"),
    ("logout+jwt", {"sub": None, "sid": None}, "the logout token names neither sub nor sid"),
    ("logout+jwt", {"sub": "", "sid": 5}, "names neither sub nor sid"),
])
def test_what_a_logout_token_must_hold(typ: str | None, changes: dict[str, Any], reason: str) -> None:
    head = {"alg": "RS256"} | ({"typ": typ} if typ else {})
    with pytest.raises(tokens.Refused) as refused:
        tokens.check_logout_token(head, logout_claims(**changes))
    assert reason in refused.value.reason


def test_a_logout_token_may_name_only_one_of_sub_and_sid() -> None:
    for typ in (*tokens.LOGOUT_TYPES, "LOGOUT+JWT"):
        tokens.check_logout_token({"typ": typ}, logout_claims(sub=None))
        tokens.check_logout_token({"typ": typ}, logout_claims(sid=None))


# -- the verifier ----------------------------------------------------------------------------------
def test_a_good_id_token_is_verified_and_the_keys_fetched_once(keys) -> None:
    fetch = Fetches(jwks(keys["rsa"]))
    verifier = tokens.Verifier(fetch)
    for _ in range(3):
        assert verify(verifier, sign(keys["rsa"], claims())) == claims()
    assert fetch.count == 1


def test_a_rotated_key_is_fetched_again_once_and_an_unknown_one_is_refused(keys) -> None:
    fetch = Fetches(jwks(keys["rsa"]))
    verifier = tokens.Verifier(fetch)
    verify(verifier, sign(keys["rsa"], claims()))
    fetch.document = jwks(keys["other"])  # the provider rotated its key
    assert verify(verifier, sign(keys["other"], claims(sub="after-rotation")))["sub"] == "after-rotation"
    assert fetch.count == 2
    with pytest.raises(tokens.UnknownKey):
        verify(verifier, sign(keys["rsa"], claims()))  # the old key is gone from the new set
    assert fetch.count == 3
    verify(verifier, sign(keys["other"], claims()))
    assert fetch.count == 3


def test_the_verifier_checks_every_rule_of_the_kind(keys) -> None:
    verifier = tokens.Verifier(Fetches(jwks(keys["rsa"], keys["ec"])))
    assert verify(verifier, sign(keys["ec"], claims(), alg="ES256"))["sub"] == "user-1"
    with pytest.raises(tokens.Refused, match="signature is not valid"):
        verify(verifier, sign(keys["other"], claims(), kid=keys["rsa"].kid))
    with pytest.raises(tokens.Refused, match="nonce"):
        verify(verifier, sign(keys["rsa"], claims()), nonce="another")
    with pytest.raises(tokens.Refused, match="has expired"):
        verify(verifier, sign(keys["rsa"], claims(exp=NOW - 3600, iat=NOW - 4000)))
    logout = sign(keys["rsa"], logout_claims(), typ="logout+jwt")
    assert verify(verifier, logout, "logout", nonce=None)["sid"] == "s-1"
    with pytest.raises(tokens.Refused, match="typ must be logout\\+jwt"):
        verify(verifier, sign(keys["rsa"], logout_claims()), "logout", nonce=None)
    with pytest.raises(tokens.Refused, match="nonce"):
        verify(verifier, logout)  # a logout token is no ID token


def test_the_issuer_follows_the_tenant(keys) -> None:
    tenants = {"t-1": "https://login.microsoftonline.com/t-1/v2.0"}
    verifier = tokens.Verifier(Fetches(jwks(keys["rsa"])))
    token = sign(keys["rsa"], claims(iss=tenants["t-1"], tid="t-1"))
    assert verify(verifier, token, issuer_for=tenants.get)["tid"] == "t-1"
    with pytest.raises(tokens.UnknownTenant, match="tenant \\(tid\\) 't-2' is not configured for this provider"):
        verify(verifier, sign(keys["rsa"], claims(iss=tenants["t-1"], tid="t-2")), issuer_for=tenants.get)
    with pytest.raises(tokens.Refused, match="issuer \\(iss\\)"):
        verify(verifier, sign(keys["rsa"], claims(tid="t-1")), issuer_for=tenants.get)  # iss must be the tenant's
    assert issubclass(tokens.UnknownTenant, tokens.Refused) and issubclass(tokens.UnknownKey, tokens.Refused)


def test_now_defaults_to_the_clock(keys) -> None:
    now = int(time.time())
    verifier = tokens.Verifier(Fetches(jwks(keys["rsa"])))
    token = sign(keys["rsa"], claims(iat=now, exp=now + 300))
    assert verifier.verify(token, "id", client_id=CLIENT, issuer_for=lambda tid: ISSUER, nonce="n-1")["iat"] == now


def test_a_refusal_keeps_its_template_and_values_for_the_page() -> None:
    """As the core's refusals (``ledger.errors``): ``reason`` is the English text, the page translates the template."""
    with pytest.raises(tokens.Refused) as refused:
        tokens.header("not-a-jwt", "logout")
    found = refused.value
    assert found.reason == found.message == "the logout token is not a signed JWT"
    assert found.template == "the %(name)s is not a signed JWT" and found.params == {"name": "logout token"}
    assert isinstance(found.params["name"], Word)
    again = tokens.Refused.like(found)
    assert (again.reason, again.template, again.params) == (found.reason, found.template, found.params)
