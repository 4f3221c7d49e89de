"""The bundled development OpenID provider itself: discovery, keys, its login page, codes, PKCE, tokens.

Served with the portal on a loopback port (``live_server``); ``requests`` plays the browser and
the relying party. Off unless asked for, and never outside development.
"""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from portal.auth.devidp import server as devidp
from portal.demo import DEMO_USERS
from tests.common.apps import make_app
from tests.common.devidp import authorize_params, forms, get_code, hidden, issuer, pkce, token_request

# --- off, and never in production -----------------------------------------------------------------

def test_no_dev_provider_when_it_is_off(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'off.sqlite3'}", tmp_path, DEV_IDP=False)
    client = app.test_client()
    assert client.get("/dev-idp/.well-known/openid-configuration").status_code == 404
    assert client.get("/dev-idp/authorize").status_code == 404
    assert client.get("/auth/login/dev").status_code == 404
    assert "No login provider is configured" in client.get("/login").get_data(as_text=True)


def test_dev_provider_refuses_production(tmp_path: Path) -> None:
    from portal.config import ConfigError

    with pytest.raises(ConfigError, match="PORTAL_ENV=development"):
        make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, PORTAL_ENV="production")
    with pytest.raises(ConfigError, match="loopback"):
        make_app(f"sqlite:///{tmp_path / 'q.sqlite3'}", tmp_path, DEV_IDP_ISSUER="http://portal.example:5000/dev-idp")


# --- the development provider itself --------------------------------------------------------------

def test_discovery_document(live_server) -> None:
    doc = requests.get(f"{issuer(live_server)}/.well-known/openid-configuration").json()
    assert doc["issuer"] == live_server.app.config["DEV_IDP_ISSUER"] == issuer(live_server)
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[endpoint].startswith(doc["issuer"] + "/")
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "profile", "email"} <= set(doc["scopes_supported"])
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert {"sub", "name", "email", "email_verified", "nonce"} <= set(doc["claims_supported"])


def test_jwks_publishes_only_the_public_key(live_server) -> None:
    keys = requests.get(f"{issuer(live_server)}/jwks").json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
    path = Path(live_server.app.instance_path) / "dev-idp-key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert devidp.load_or_create_key(path).kid == key["kid"]  # a restart keeps the key


def test_authorize_page_lists_demo_users_and_carries_the_request(live_server) -> None:
    _verifier, challenge = pkce()
    params = authorize_params(live_server, challenge)
    page = requests.get(f"{issuer(live_server)}/authorize", params=params)
    form = forms(page.text)["choose-user"]
    assert form["method"] == "post"
    assert [(b["value"], b["text"]) for b in form["buttons"] if b["name"] == "sub"] == [(s, n) for s, n, _r, _c in DEMO_USERS]
    carried = hidden(form)
    assert carried.pop("csrf_token") and carried == params
    assert any(name == "other_sub" for name, _v, _k in forms(page.text)["other-user"]["inputs"])


def test_authorize_post_needs_csrf(live_server) -> None:
    _verifier, challenge = pkce()
    s = requests.Session()
    page = s.get(f"{issuer(live_server)}/authorize", params=authorize_params(live_server, challenge))
    data = hidden(forms(page.text)["choose-user"])
    data.pop("csrf_token")
    answer = s.post(f"{issuer(live_server)}/authorize", data=data | {"sub": "accountant"}, allow_redirects=False)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_id_token_is_rs256_with_kid_and_the_claims(live_server) -> None:
    verifier, challenge = pkce()
    params = authorize_params(live_server, challenge)
    code = get_code(live_server, "porvoo-contact", params)
    answer = token_request(live_server, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    jwks = requests.get(f"{issuer(live_server)}/jwks").json()
    token = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["kid"] == jwks["keys"][0]["kid"]
    claims = token.claims
    assert claims["iss"] == issuer(live_server) and claims["sub"] == "porvoo-contact"
    assert claims["aud"] == devidp.CLIENT_ID and claims["nonce"] == params["nonce"]
    assert claims["name"] == "Pia Porvoolainen" and claims["email"] == "porvoo-contact@example.org"
    assert claims["email_verified"] is True and claims["exp"] > claims["iat"]
    assert "city" not in claims
    info = requests.get(f"{issuer(live_server)}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == "porvoo-contact"
    assert requests.get(f"{issuer(live_server)}/userinfo", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_client_secret_post_works_and_a_wrong_secret_does_not(live_server) -> None:
    verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    assert token_request(live_server, code, verifier, basic=False).status_code == 200
    verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    wrong = requests.post(f"{issuer(live_server)}/token", auth=(devidp.CLIENT_ID, "wrong"), data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": f"{live_server.url}/auth/callback/dev"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_pkce_is_required_at_authorize(live_server) -> None:
    for params in (authorize_params(live_server, None),
                   authorize_params(live_server, None, code_challenge=pkce()[0], code_challenge_method="plain")):
        answer = requests.get(f"{issuer(live_server)}/authorize", params=params, allow_redirects=False)
        assert answer.status_code == 302
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["error"] == ["invalid_request"] and "code" not in query


def test_pkce_verifier_is_checked_at_token(live_server) -> None:
    _verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    wrong = token_request(live_server, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    _verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    missing = token_request(live_server, code, None)
    assert missing.status_code == 400 and "id_token" not in missing.json()


def test_code_is_single_use(live_server) -> None:
    verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    assert token_request(live_server, code, verifier).status_code == 200
    again = token_request(live_server, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_unknown_redirect_uri_is_not_followed(live_server) -> None:
    params = authorize_params(live_server, pkce()[1], redirect_uri="https://evil.example/cb")
    answer = requests.get(f"{issuer(live_server)}/authorize", params=params, allow_redirects=False)
    assert answer.status_code == 400 and "Location" not in answer.headers
