"""Logout end to end: RP-initiated logout through the development provider, and back-channel logout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from portal.auth import sessions
from portal.auth.devidp import server as devidp
from portal.auth.models import WebSession
from portal.extensions import db
from tests.common.devidp import audit, current_user, forms, grant_demo_users, hidden, issuer, log_in


def stored(server, s: requests.Session) -> WebSession:
    with server.app.app_context():
        found = db.session.get(WebSession, sessions.digest(s.cookies["session"]))
        db.session.expunge_all()
        return found


def logout_form(server, s: requests.Session) -> dict[str, str]:
    page = s.get(f"{server.url}/login")
    return hidden(next(f for f in forms(page.text).values() if f["action"].endswith("/auth/logout")))


def backchannel(server, token: str) -> requests.Response:
    return requests.post(f"{server.url}/auth/backchannel-logout/dev", data={"logout_token": token})


def test_logout_continues_at_the_provider_and_comes_back(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="porvoo-contact")
    row = stored(live_server, s)
    out = s.post(f"{live_server.url}/auth/logout", data=logout_form(live_server, s), allow_redirects=False)
    assert out.status_code == 302
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{issuer(live_server)}/end-session"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["id_token_hint"] == row.id_token and query["state"] and query["client_id"] == devidp.CLIENT_ID
    assert query["post_logout_redirect_uri"] == f"{live_server.url}/login"
    with live_server.app.app_context():
        assert db.session.get(WebSession, row.id).revoked_at is not None  # ended before leaving for the provider
    back = s.get(out.headers["Location"])
    assert urlsplit(back.url).path == "/login" and parse_qs(urlsplit(back.url).query)["state"] == [query["state"]]
    assert "logged out" in back.text and current_user(s, live_server) is None


def test_the_dev_provider_checks_the_logout_request(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="accountant")
    hint, end = stored(live_server, s).id_token, f"{issuer(live_server)}/end-session"
    ok = requests.get(end, params={"id_token_hint": hint, "post_logout_redirect_uri": f"{live_server.url}/login"},
                      allow_redirects=False)
    assert ok.status_code == 302 and ok.headers["Location"] == f"{live_server.url}/login"
    assert requests.get(end, params={"id_token_hint": hint}).status_code == 200  # no return address: a page
    for params in ({"id_token_hint": hint, "post_logout_redirect_uri": "https://evil.example/"},
                   {"id_token_hint": "not-a-token", "post_logout_redirect_uri": f"{live_server.url}/login"},
                   {"id_token_hint": hint, "client_id": "someone-else"}):
        answer = requests.get(end, params=params, allow_redirects=False)
        assert answer.status_code == 400 and "Location" not in answer.headers


def test_discovery_advertises_logout(live_server) -> None:
    doc = requests.get(f"{issuer(live_server)}/.well-known/openid-configuration").json()
    assert doc["end_session_endpoint"] == f"{issuer(live_server)}/end-session"
    assert doc["backchannel_logout_supported"] is True and doc["backchannel_logout_session_supported"] is True
    assert "sid" in doc["claims_supported"]


def test_backchannel_logout_by_sid_ends_that_session_only(live_server) -> None:
    grant_demo_users(live_server)
    first, _ = log_in(live_server, sub="porvoo-contact")
    second, _ = log_in(live_server, sub="porvoo-contact")
    sid = stored(live_server, first).sid
    assert sid and sid != stored(live_server, second).sid
    token = devidp.backchannel_logout_token(live_server.app, sid=sid)
    answer = backchannel(live_server, token)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert current_user(first, live_server) is None and current_user(second, live_server)
    event = audit(live_server)[-1]
    assert event.action == "backchannel-logout" and event.details["sid"] == sid and event.details["sessions"] == 1
    assert token not in event.details_json


def test_backchannel_logout_by_sub_ends_all_of_them(live_server) -> None:
    grant_demo_users(live_server)
    first, _ = log_in(live_server, sub="porvoo-contact")
    second, _ = log_in(live_server, sub="porvoo-contact")
    bystander, _ = log_in(live_server, sub="accountant")
    token = devidp.backchannel_logout_token(live_server.app, sub="porvoo-contact")
    assert backchannel(live_server, token).status_code == 200
    assert current_user(first, live_server) is None and current_user(second, live_server) is None
    assert current_user(bystander, live_server)
    assert audit(live_server)[-1].details["sessions"] == 2


REFUSED = {
    "bad signature": {"reason": "bad_signature", "key": "same kid, another key"},
    "unknown key": {"reason": "invalid_key_id", "key": "another kid"},
    "wrong iss": {"reason": "invalid_claim: Invalid claim: 'iss'", "claims": {"iss": "https://evil.example"}},
    "wrong aud": {"reason": "invalid_claim: Invalid claim: 'aud'", "claims": {"aud": "someone-else"}},
    "missing events": {"reason": "events", "claims": {"events": None}},
    "another event": {"reason": "events", "claims": {"events": {"http://schemas.openid.net/event/other": {}}}},
    "with nonce": {"reason": "nonce", "claims": {"nonce": "n-0S6_WzA2Mj"}},
    "wrong typ": {"reason": "typ", "header": {"typ": "JWT"}},
    "no typ": {"reason": "typ", "header": {"typ": None}},
    "neither sub nor sid": {"reason": "neither sub nor sid", "claims": {"sub": None, "sid": None}},
    "expired": {"reason": "expired_token", "claims": {"iat": 1_000_000_000, "exp": 1_000_000_120}},
    "no jti": {"reason": "'jti'", "claims": {"jti": None}},
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_logout_tokens_are_refused_and_the_session_survives(live_server, case: str) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="porvoo-contact")
    row = stored(live_server, s)
    options = dict(REFUSED[case])
    reason = options.pop("reason")
    if "key" in options:
        other = RSAKey.generate_key(2048, private=True)
        kid = live_server.app.extensions["devidp"].store.key().kid
        options["key"] = RSAKey.import_key({**other.as_dict(private=True),
                                            "kid": kid if options["key"].startswith("same") else "other-kid"})
    claims = {"sub": row.sub, "sid": row.sid, **options.pop("claims", {})}
    token = devidp.backchannel_logout_token(live_server.app, claims["sub"], claims["sid"], claims=claims, **options)
    answer = backchannel(live_server, token)
    assert answer.status_code == 400 and answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["error"] == "invalid_request" and reason in body["error_description"]
    assert current_user(s, live_server)
    event = audit(live_server)[-1]
    assert event.action == "backchannel-logout-refused" and token not in event.details_json


def test_backchannel_logout_needs_a_token_and_a_known_provider(live_server) -> None:
    assert requests.post(f"{live_server.url}/auth/backchannel-logout/dev").status_code == 400
    unknown = requests.post(f"{live_server.url}/auth/backchannel-logout/nope", data={"logout_token": "x"})
    assert unknown.status_code == 404
    assert backchannel(live_server, "not.a.token").status_code == 400
