"""Login end to end against the bundled development OpenID provider: real HTTP, no mocks.

The portal is served on a loopback port (``live_server``); ``requests`` plays the browser.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import stat
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from portal.auth.devidp import server as devidp
from portal.accounts import services as users
from portal.auth.services import safe_next
from portal.demo import DEMO_USERS
from portal.extensions import db
from portal.accounts.models import User
from portal.audit import AuditEvent
from tests.conftest import make_app


# --- a tiny browser -----------------------------------------------------------------------------

class Forms(HTMLParser):
    """Every form on a page: its action, hidden/text inputs and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._button: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"id": a.get("id"), "action": a.get("action", ""), "method": a.get("method", "get"),
                               "inputs": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append((a.get("name"), a.get("value", ""), a.get("type", "text")))
        elif tag == "button" and self.forms:
            self._button = {"name": a.get("name"), "value": a.get("value"), "text": ""}
            self.forms[-1]["buttons"].append(self._button)

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None


def forms(html: str) -> dict[str, dict]:
    parser = Forms()
    parser.feed(html)
    return {f["id"] or str(i): f for i, f in enumerate(parser.forms)}


def hidden(form: dict) -> dict[str, str]:
    return {name: value for name, value, kind in form["inputs"] if kind == "hidden"}


def choose(s: requests.Session, page: requests.Response, *, sub: str | None = None, other_sub: str | None = None,
           cancel: bool = False, follow: bool = True) -> requests.Response:
    """Submit the development provider's page as a person would, by pressing a button."""
    assert page.status_code == 200 and "/dev-idp/authorize" in page.url, page.text[:500]
    found = forms(page.text)
    form = found["other-user"] if other_sub is not None else found["choose-user"]
    data = hidden(form)
    if other_sub is not None:
        data["other_sub"] = other_sub
    elif cancel:
        data["cancel"] = "1"
    else:
        assert any(b["name"] == "sub" and b["value"] == sub for b in form["buttons"]), f"no button for {sub}"
        data["sub"] = sub
    return s.post(urljoin(page.url, form["action"]), data=data, allow_redirects=follow)


def log_in(server, *, sub: str | None = None, other_sub: str | None = None, next: str | None = None,
           s: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    s = s or requests.Session()
    start = f"{server.url}/auth/login/dev" + (f"?{urlencode({'next': next})}" if next is not None else "")
    page = s.get(start)
    return s, choose(s, page, sub=sub, other_sub=other_sub)


def current_user(s: requests.Session, server) -> str | None:
    """The name in the page header, or None when nobody is logged in."""
    page = s.get(f"{server.url}/login")
    marker = 'data-testid="current-user">'
    if marker not in page.text:
        return None
    return page.text.split(marker, 1)[1].split("<", 1)[0]


def issuer(server) -> str:
    return f"{server.url}/dev-idp"


def grant_demo_users(server) -> None:
    with server.app.app_context():
        for sub, name, role, city in DEMO_USERS:
            users.grant(issuer=issuer(server), sub=sub, role=role, city=city, name=name, actor="test")


def audit(server) -> list[AuditEvent]:
    with server.app.app_context():
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(server, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": devidp.CLIENT_ID, "redirect_uri": f"{server.url}/auth/callback/dev",
              "scope": "openid profile email", "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16)}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


def get_code(server, sub: str, params: dict[str, str]) -> str:
    """Walk the provider's page by hand and take the code from the redirect, without following it."""
    s = requests.Session()
    page = s.get(f"{issuer(server)}/authorize", params=params)
    answer = choose(s, page, sub=sub, follow=False)
    assert answer.status_code == 302, answer.text[:500]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [params["state"]]
    return query["code"][0]


def token_request(server, code: str, verifier: str | None, *, basic: bool = True) -> requests.Response:
    client_id, secret = devidp.client_credentials(server.app)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": f"{server.url}/auth/callback/dev"}
    if verifier is not None:
        data["code_verifier"] = verifier
    if basic:
        return requests.post(f"{issuer(server)}/token", data=data, auth=(client_id, secret))
    return requests.post(f"{issuer(server)}/token", data=data | {"client_id": client_id, "client_secret": secret})


# --- logging in through the portal ----------------------------------------------------------------

def test_each_demo_user_logs_in(live_server) -> None:
    grant_demo_users(live_server)
    for sub, name, _role, _city in DEMO_USERS:
        s, landed = log_in(live_server, sub=sub)
        callback = landed.history[-1]
        assert urlsplit(callback.url).path == "/auth/callback/dev" and callback.headers["Location"] == "/"
        assert name in current_user(s, live_server)
        assert urlsplit(s.get(f"{live_server.url}/").url).path != "/login"
    with live_server.app.app_context():
        for sub, _name, _role, city in DEMO_USERS:
            user = users.find(issuer(live_server), sub)
            assert user.last_login_at is not None and user.email == f"{sub}@example.org"
            assert user.city_code == city and user.status == "active"  # the grant's city: no claim carries one
    logins = [e for e in audit(live_server) if e.action == "login"]
    assert len(logins) == len(DEMO_USERS) and all(e.details["provider"] == "dev" and e.details["ip"] == "127.0.0.1" for e in logins)


def test_login_page_lists_the_provider_and_carries_next(live_server) -> None:
    page = requests.get(f"{live_server.url}/login", params={"next": "/projects/iam"})
    assert "Log in with Development provider" in page.text
    assert "/auth/login/dev?next=/projects/iam\"" in page.text
    assert "/auth/login/dev\"" in requests.get(f"{live_server.url}/login").text


def test_unknown_person_gets_a_pending_account_and_no_session(live_server) -> None:
    s, answer = log_in(live_server, other_sub="newcomer-42")
    assert answer.status_code == 403 and "awaits approval by the project lead" in answer.text
    assert current_user(s, live_server) is None
    with live_server.app.app_context():
        user = users.find(issuer(live_server), "newcomer-42")
        assert user.status == "pending" and user.roles == set() and user.city_code is None
        assert user.name == "newcomer-42"
    # Logging in again changes nothing: still pending, still one row.
    _, again = log_in(live_server, other_sub="newcomer-42")
    assert again.status_code == 403
    with live_server.app.app_context():
        assert db.session.execute(select(User).where(User.sub == "newcomer-42")).scalars().all().__len__() == 1


def test_email_never_links_accounts(live_server) -> None:
    """A stranger whose provider says the same email as a demo user is still a stranger."""
    grant_demo_users(live_server)
    _, answer = log_in(live_server, other_sub="accountant-lookalike")
    assert answer.status_code == 403
    with live_server.app.app_context():
        assert users.find(issuer(live_server), "accountant-lookalike").status == "pending"


def test_disabled_user_is_refused(live_server) -> None:
    grant_demo_users(live_server)
    with live_server.app.app_context():
        users.find(issuer(live_server), "accountant").status = "disabled"
        db.session.commit()
    s, answer = log_in(live_server, sub="accountant")
    assert answer.status_code == 403 and "disabled" in answer.text
    assert current_user(s, live_server) is None
    assert audit(live_server)[-1].action == "login-failed"


def test_disabling_ends_an_existing_session(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="porvoo-contact")
    assert current_user(s, live_server)
    with live_server.app.app_context():
        users.find(issuer(live_server), "porvoo-contact").status = "disabled"
        db.session.commit()
    assert current_user(s, live_server) is None


def test_cancel_on_the_provider_is_a_clear_failure(live_server) -> None:
    s = requests.Session()
    page = s.get(f"{live_server.url}/auth/login/dev")
    answer = choose(s, page, cancel=True)
    assert answer.status_code == 400 and "access_denied" in answer.text
    assert current_user(s, live_server) is None
    assert audit(live_server)[-1].action == "login-failed"


def test_tampered_state_is_refused_and_audited(live_server) -> None:
    grant_demo_users(live_server)
    s = requests.Session()
    page = s.get(f"{live_server.url}/auth/login/dev")
    back = choose(s, page, sub="hameenlinna-lead", follow=False)
    parts = urlsplit(back.headers["Location"])
    query = parse_qs(parts.query)
    code = query["code"][0]
    query["state"] = ["forged-" + query["state"][0]]
    answer = s.get(urlunsplit(parts._replace(query=urlencode(query, doseq=True))))
    assert answer.status_code == 400 and "Login failed" in answer.text
    assert current_user(s, live_server) is None
    failed = audit(live_server)[-1]
    assert failed.action == "login-failed" and "state" in failed.details["reason"]
    assert failed.actor == issuer(live_server) and failed.details["provider"] == "dev"
    assert code not in failed.details_json


def test_callback_without_a_login_in_progress_is_refused(live_server) -> None:
    answer = requests.get(f"{live_server.url}/auth/callback/dev", params={"code": "x" * 48, "state": "y" * 30})
    assert answer.status_code == 400
    assert requests.get(f"{live_server.url}/auth/callback/nope").status_code == 404
    assert requests.get(f"{live_server.url}/auth/login/nope").status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_next_must_be_a_local_path(live_server, target: str) -> None:
    grant_demo_users(live_server)
    _, landed = log_in(live_server, sub="accountant", next=target)
    assert landed.history[-1].headers["Location"] == "/"
    assert urlsplit(landed.url).netloc == urlsplit(live_server.url).netloc


def test_next_brings_the_user_back(live_server) -> None:
    grant_demo_users(live_server)
    _, landed = log_in(live_server, sub="accountant", next="/projects/iam?tab=history")
    assert landed.history[-1].headers["Location"] == "/projects/iam?tab=history"


def test_safe_next() -> None:
    assert safe_next("/projects/iam") == "/projects/iam"
    for bad in [None, "", "projects", "//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example",
                "/ok\\..\\x", "/a\nb"]:
        assert safe_next(bad) is None, bad


def test_logout_needs_post_with_csrf_and_ends_the_session(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="porvoo-contact")
    assert s.get(f"{live_server.url}/auth/logout").status_code == 405
    assert s.post(f"{live_server.url}/auth/logout").status_code == 400  # no CSRF token
    assert current_user(s, live_server)
    page = s.get(f"{live_server.url}/login")
    token = hidden(next(f for f in forms(page.text).values() if f["action"].endswith("/auth/logout")))["csrf_token"]
    out = s.post(f"{live_server.url}/auth/logout", data={"csrf_token": token})
    assert urlsplit(out.url).path == "/login" and "logged out" in out.text
    assert current_user(s, live_server) is None


def test_unauthenticated_requests(app) -> None:
    from flask_login import login_required

    app.add_url_rule("/api/_probe", "api_probe", login_required(lambda: "ok"))
    app.add_url_rule("/_probe", "probe", login_required(lambda: "ok"))
    client = app.test_client()
    api = client.get("/api/_probe")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    assert api.get_json()["detail"] == "log in first"
    page = client.get("/_probe?x=1")
    location = urlsplit(page.headers["Location"])
    assert page.status_code == 302 and location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/_probe?x=1"]}


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
    verifier, challenge = pkce()
    code = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    wrong = token_request(live_server, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    verifier, challenge = pkce()
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


def test_audit_log_never_holds_a_code_or_token(live_server) -> None:
    grant_demo_users(live_server)
    s = requests.Session()
    page = s.get(f"{live_server.url}/auth/login/dev")
    back = choose(s, page, sub="hameenlinna-lead", follow=False)
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    s.get(back.headers["Location"])
    assert current_user(s, live_server)
    verifier, challenge = pkce()
    code2 = get_code(live_server, "accountant", authorize_params(live_server, challenge))
    body = token_request(live_server, code2, verifier).json()
    log_in(live_server, other_sub="stranger")
    text = " ".join(f"{e.actor} {e.details_json}" for e in audit(live_server))
    for secret in (code, code2, body["id_token"], body["access_token"], devidp.client_credentials(live_server.app)[1]):
        assert secret not in text


def test_request_log_hides_the_code(live_server) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    werkzeug_log, handler = logging.getLogger("werkzeug"), Keep()
    was_disabled, werkzeug_log.disabled = werkzeug_log.disabled, False  # Alembic's fileConfig disables it
    werkzeug_log.addHandler(handler)
    try:
        grant_demo_users(live_server)
        s = requests.Session()
        back = choose(s, s.get(f"{live_server.url}/auth/login/dev"), sub="accountant", follow=False)
        code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
        s.get(back.headers["Location"])
    finally:
        werkzeug_log.removeHandler(handler)
        werkzeug_log.disabled = was_disabled
    assert current_user(s, live_server)
    assert any("/auth/callback/dev?code=[redacted]&state=[redacted]" in r for r in records), records
    assert not any(code in r for r in records)


def test_login_from_another_loopback_name_moves_to_the_registered_one(live_server) -> None:
    start = live_server.url.replace("127.0.0.1", "localhost") + "/auth/login/dev?next=/x"
    answer = requests.get(start, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == f"{live_server.url}/auth/login/dev?next=/x"


def test_login_audit_names_issuer_subject_city_and_address(live_server) -> None:
    """Every login is audited with who, from where and for which city (and never a token)."""
    from portal.audit import AuditEvent as Event

    issuer = live_server.app.config["DEV_IDP_ISSUER"]
    with live_server.app.app_context():
        users.grant(issuer=issuer, sub="porvoo-contact", role="contact", city="638", name="Pia", actor="test")
    log_in(live_server, sub="porvoo-contact")
    with live_server.app.app_context():
        event = db.session.execute(select(Event).where(Event.action == "login").order_by(Event.id.desc())).scalars().first()
        assert event.details["issuer"] == issuer and event.details["sub"] == "porvoo-contact"
        assert event.details["city"] == "638" and event.details["ip"] == "127.0.0.1" and event.at is not None
