"""A provider that answers wrongly on purpose, one way per test: the portal refuses every time.

Each refusal is a clear page with a 4xx status, no session, no account, and an audit record
whose reason names the problem and which holds no code or token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from portal.accounts import services as users
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.extensions import db
from tests.common.apps import LiveServer, dispose
from tests.common.badidp import CLIENT_ID, TENANT, BadIdP, log_in, serve_portal

NOW = int(time.time())


@pytest.fixture
def idp() -> Iterator[BadIdP]:
    server = BadIdP()
    yield server
    server.stop()


@pytest.fixture
def entra() -> Iterator[BadIdP]:
    server = BadIdP(multi_tenant=True)
    yield server
    server.stop()


def _portal(tmp_path, monkeypatch, entries) -> Iterator[LiveServer]:
    server = serve_portal(tmp_path, monkeypatch, entries)
    yield server
    server.stop()
    dispose(server.app)


@pytest.fixture
def portal(idp, tmp_path, monkeypatch) -> Iterator[LiveServer]:
    yield from _portal(tmp_path, monkeypatch, {"porvoo": (idp, {"city": "638"})})


@pytest.fixture
def entra_portal(entra, tmp_path, monkeypatch) -> Iterator[LiveServer]:
    yield from _portal(tmp_path, monkeypatch, {"entra": (entra, {"tenants": {TENANT: "491"}})})


def audit(portal: LiveServer) -> list[AuditEvent]:
    with portal.app.app_context():
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


def accounts(portal: LiveServer) -> list[User]:
    with portal.app.app_context():
        rows = db.session.execute(select(User)).scalars().all()
        db.session.expunge_all()
        return rows


def assert_refused(portal: LiveServer, idp: BadIdP, s: requests.Session, answer: requests.Response, reason: str,
                   status: int = 400, known: int = 0) -> None:
    assert answer.status_code == status, answer.text[:800]
    assert "Login failed" in answer.text and reason in answer.text
    assert urlsplit(s.get(f"{portal.url}/").url).path == "/login"  # no session
    assert len(accounts(portal)) == known  # no account for whoever the provider named
    failed = audit(portal)[-1]
    assert failed.action == "login-failed" and reason in failed.details["reason"], failed.details
    text = " ".join(f"{e.actor} {e.details_json}" for e in audit(portal))
    assert not any(secret in text for secret in [*idp.issued, idp.secret])


def grant(idp: BadIdP, portal: LiveServer, sub: str = "user-1", city: str = "638") -> None:
    with portal.app.app_context():
        users.grant(issuer=idp.token_issuer(), sub=sub, role="contact", city=city, name=sub, actor="test")


# --- a provider that behaves: the baseline the refusals differ from ---------------------------------

def test_a_correct_provider_logs_the_user_in(idp, portal) -> None:
    grant(idp, portal)
    _s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 200 and urlsplit(answer.url).path == "/"
    login = audit(portal)[-1]
    assert login.action == "login" and login.details["provider"] == "porvoo"
    start = answer.history[0]  # the portal's redirect to the provider carries PKCE S256 and a nonce
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    assert query["redirect_uri"] == [f"{portal.url}/auth/callback/porvoo"]


def test_a_new_user_is_pending_in_the_providers_city_whatever_the_claims_say(idp, portal) -> None:
    idp.behaviour.sub = "newcomer"
    idp.behaviour.claims = {"municipality": "286", "city": "286"}
    _s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 403 and "awaits approval" in answer.text
    [user] = accounts(portal)
    assert (user.issuer, user.sub, user.city_code, user.status) == (idp.issuer, "newcomer", "638", "pending")


# --- the ID token -------------------------------------------------------------------------------

CASES = {
    "bad signature": ({"sign": "wrong-key"}, "signature is not valid"),
    "alg none": ({"sign": "none"}, "is not accepted"),
    "HS256 with the client secret": ({"sign": "hs256"}, "is not accepted"),
    "wrong issuer": ({"claims": {"iss": "https://evil.example/idp"}}, "issuer (iss)"),
    "wrong audience": ({"claims": {"aud": "someone-else"}}, "audience (aud)"),
    "several audiences, no azp": ({"claims": {"aud": [CLIENT_ID, "other"]}}, "authorised party (azp)"),
    "wrong azp": ({"claims": {"aud": [CLIENT_ID, "other"], "azp": "other"}}, "authorised party (azp)"),
    "expired": ({"claims": {"exp": NOW - 3600, "iat": NOW - 4000}}, "has expired (exp)"),
    "issued in the future": ({"claims": {"iat": NOW + 3600, "exp": NOW + 4000}}, "in the future (iat)"),
    "nonce mismatch": ({"claims": {"nonce": "not-the-one-sent"}}, "nonce"),
    "no nonce": ({"drop": ("nonce",)}, "nonce"),
    "no sub": ({"drop": ("sub",)}, "no subject (sub)"),
    "several keys without kid": ({"kid": False, "extra_key": True}, "names no key (kid)"),
    "mismatching UserInfo sub": ({"userinfo": {"sub": "someone-else"}}, "UserInfo subject"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_wrong_id_token_is_refused(idp, portal, case: str) -> None:
    changes, reason = CASES[case]
    for name, value in changes.items():
        setattr(idp.behaviour, name, value)
    s, answer = log_in(portal, "porvoo")
    assert_refused(portal, idp, s, answer, reason)


def test_one_key_without_kid_is_accepted(idp, portal) -> None:
    grant(idp, portal)
    idp.behaviour.kid = False
    _s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 200 and audit(portal)[-1].action == "login"


def test_a_rotated_key_is_fetched_again_once(idp, portal) -> None:
    grant(idp, portal)
    assert log_in(portal, "porvoo")[1].status_code == 200
    assert idp.jwks_fetches == 1
    idp.rotate()  # the portal's cached key set no longer holds the signing key
    s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 200 and urlsplit(s.get(f"{portal.url}/").url).path == "/"
    assert idp.jwks_fetches == 2
    assert log_in(portal, "porvoo")[1].status_code == 200 and idp.jwks_fetches == 2  # cached again


def test_an_unknown_kid_is_refused_after_fetching_the_keys_once_more(idp, portal) -> None:
    grant(idp, portal)
    assert log_in(portal, "porvoo")[1].status_code == 200
    idp.behaviour.sign = "unpublished"
    s, answer = log_in(portal, "porvoo")
    assert_refused(portal, idp, s, answer, "not in the provider", known=1)
    assert idp.jwks_fetches == 2


# --- discovery, state -----------------------------------------------------------------------------

def test_discovery_naming_another_issuer_is_refused(idp, portal) -> None:
    idp.behaviour.discovery = {"issuer": "https://evil.example/idp"}
    s = requests.Session()
    answer = s.get(f"{portal.url}/auth/login/porvoo")
    assert_refused(portal, idp, s, answer, "discovery document names another issuer")
    idp.behaviour.discovery = {}  # the provider is fixed: the portal looks again
    grant(idp, portal)
    assert log_in(portal, "porvoo")[1].status_code == 200


def test_state_is_bound_to_the_browser_that_started(idp, portal) -> None:
    grant(idp, portal)
    starter = requests.Session()
    back = starter.get(f"{portal.url}/auth/login/porvoo", allow_redirects=False)
    at_provider = starter.get(back.headers["Location"], allow_redirects=False)
    callback = at_provider.headers["Location"]  # the code, as an attacker might pass it on
    other = requests.Session()
    answer = other.get(callback)
    assert_refused(portal, idp, other, answer, "state", known=1)


# --- a provider shared by several cities (city_claim + cities) ---------------------------------------

@pytest.fixture
def shared_portal(idp, tmp_path, monkeypatch) -> Iterator[LiveServer]:
    yield from _portal(tmp_path, monkeypatch, {"shared": (idp, {"city_claim": "municipality", "cities": ["638", "286"]})})


def test_the_city_claim_names_a_configured_city(idp, shared_portal) -> None:
    idp.behaviour.claims = {"municipality": "286"}
    _s, answer = log_in(shared_portal, "shared")
    assert answer.status_code == 403 and "awaits approval" in answer.text
    [user] = accounts(shared_portal)
    assert user.city_code == "286" and user.status == "pending"


@pytest.mark.parametrize("value", ["109", None, "not-a-code"])
def test_a_city_the_provider_is_not_configured_for_is_refused(idp, shared_portal, value) -> None:
    idp.behaviour.claims = {"municipality": value} if value else {}
    s, answer = log_in(shared_portal, "shared")
    assert_refused(shared_portal, idp, s, answer, "not configured for", status=403)


# --- a multi-tenant Entra ID application (tenants) --------------------------------------------------

def test_entra_users_are_keyed_on_tenant_and_oid(entra, entra_portal) -> None:
    entra.behaviour.sub = "pairwise-sub"
    _s, answer = log_in(entra_portal, "entra")
    assert answer.status_code == 403 and "awaits approval" in answer.text
    [user] = accounts(entra_portal)
    assert user.issuer == f"{entra.base}/{TENANT}/v2.0" and user.sub == "oid-pairwise-sub"
    assert user.city_code == "491" and user.status == "pending"
    grant(entra, entra_portal, sub="oid-pairwise-sub", city="491")
    s, answer = log_in(entra_portal, "entra")
    assert answer.status_code == 200 and urlsplit(s.get(f"{entra_portal.url}/").url).path == "/"


def test_entra_token_of_another_tenant_is_refused(entra, entra_portal) -> None:
    entra.behaviour.claims = {"tid": "22222222-2222-2222-2222-222222222222"}  # iss follows the tid
    s, answer = log_in(entra_portal, "entra")
    assert_refused(entra_portal, entra, s, answer, "tenant (tid)", status=403)


def test_entra_issuer_must_match_the_tid(entra, entra_portal) -> None:
    entra.behaviour.claims = {"iss": entra.token_issuer("22222222-2222-2222-2222-222222222222")}
    s, answer = log_in(entra_portal, "entra")
    assert_refused(entra_portal, entra, s, answer, "issuer (iss)")


def test_entra_token_without_oid_is_refused(entra, entra_portal) -> None:
    entra.behaviour.drop = ("oid",)
    s, answer = log_in(entra_portal, "entra")
    assert_refused(entra_portal, entra, s, answer, "object id (oid)")


def _entra_logout_token(entra: BadIdP, *, tid: str = TENANT, sub: str = "pairwise-sub") -> str:
    from joserfc import jwt as _jwt

    now = int(time.time())
    claims = {"iss": entra.token_issuer(tid), "aud": CLIENT_ID, "iat": now, "exp": now + 120, "jti": f"j-{now}-{tid}",
              "sub": sub, "tid": tid, "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
    return _jwt.encode({"alg": "RS256", "typ": "logout+jwt", "kid": entra.key.kid}, claims, entra.key)


def test_entra_back_channel_logout_uses_the_tenants_issuer(entra, entra_portal) -> None:
    """A multi-tenant application: the logout token's iss is the tenant's, and the tenant must be configured."""
    entra.behaviour.sub = "pairwise-sub"
    log_in(entra_portal, "entra")
    grant(entra, entra_portal, sub="oid-pairwise-sub", city="491")
    s, _ = log_in(entra_portal, "entra")
    assert urlsplit(s.get(f"{entra_portal.url}/").url).path == "/"
    url = f"{entra_portal.url}/auth/backchannel-logout/entra"
    other = requests.post(url, data={"logout_token": _entra_logout_token(entra, tid="22222222-2222-2222-2222-222222222222")})
    assert other.status_code == 400 and "tenant" in other.json()["error_description"]
    assert urlsplit(s.get(f"{entra_portal.url}/").url).path == "/"  # still logged in
    ok = requests.post(url, data={"logout_token": _entra_logout_token(entra)})
    assert ok.status_code == 200
    assert urlsplit(s.get(f"{entra_portal.url}/").url).path == "/login"


def test_an_account_of_another_city_is_refused(idp, portal) -> None:
    """The provider vouches for 638: an account granted to 286 must never act through it."""
    grant(idp, portal, city="286")
    s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 403 and "vouches for city 638" in answer.text
    assert urlsplit(s.get(f"{portal.url}/").url).path == "/login"
    assert any(e.action == "login-failed" and "vouches for city 638" in e.details["reason"] for e in audit(portal))


# --- the reason in the page's language ------------------------------------------------------------

def _speaking(language: str) -> requests.Session:
    s = requests.Session()
    s.headers["Accept-Language"] = language
    return s


def test_a_refused_login_says_why_in_finnish_and_swedish_and_the_audit_keeps_the_english(idp, portal) -> None:
    """The reason is the token's refusal (a template and its values, ``ID token`` a translated word)."""
    idp.behaviour.claims = {"exp": NOW - 3600, "iat": NOW - 4000}
    _s, fi = log_in(portal, "porvoo", _speaking("fi"))
    assert fi.status_code == 400 and "Kirjautuminen epäonnistui" in fi.text
    assert "ID-tunniste: on vanhentunut (exp) (expired_token)" in fi.text
    _s, sv = log_in(portal, "porvoo", _speaking("sv"))
    assert "ID-token: har gått ut (exp) (expired_token)" in sv.text
    reasons = [e.details["reason"] for e in audit(portal) if e.action == "login-failed"]
    assert reasons == ["the ID token has expired (exp) (expired_token)"] * 2
    _s, en = log_in(portal, "porvoo", _speaking("en"))
    assert "the ID token has expired (exp) (expired_token)" in en.text


def test_an_account_of_another_city_is_refused_in_finnish(idp, portal) -> None:
    grant(idp, portal, city="286")
    _s, answer = log_in(portal, "porvoo", _speaking("fi"))
    assert answer.status_code == 403
    assert "tämä käyttäjätili kuuluu kaupungille 286, mutta tunnistuspalvelu takaa kaupungin 638" in answer.text
    assert any(e.details.get("reason") == "this account belongs to city 286, but the provider vouches for city 638"
               for e in audit(portal))
