"""Login end to end against the bundled development OpenID provider: real HTTP, no mocks.

The portal is served on a loopback port (``live_server``); ``requests`` plays the browser.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import select

from portal.accounts import services as users
from portal.accounts.models import User
from portal.auth.devidp import server as devidp
from portal.auth.services import safe_next
from portal.demo import DEMO_USERS
from portal.extensions import db
from tests.common.devidp import (
    audit,
    authorize_params,
    choose,
    current_user,
    forms,
    get_code,
    grant_demo_users,
    hidden,
    issuer,
    log_in,
    pkce,
    token_request,
)

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
