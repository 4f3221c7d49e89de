"""Server-side sessions end to end: cookie flags, two workers, a new session at login, timeouts, revocation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from flask import session
from sqlalchemy import func, select

from portal.accounts import services as users
from portal.auth import sessions
from portal.auth.models import WebSession
from portal.clock import utcnow
from portal.config import ConfigError
from portal.extensions import db
from tests.common.apps import LiveServer, free_port, make_app
from tests.common.devidp import choose, current_user, grant_demo_users, issuer, log_in


def row(server, cookie: str) -> WebSession | None:
    with server.app.app_context():
        found = db.session.get(WebSession, sessions.digest(cookie))
        db.session.expunge_all()
        return found


def move(server, cookie: str, **delta: dt.timedelta) -> None:
    """Pretend time went by: shift the row's timestamps back (no sleeping)."""
    with server.app.app_context():
        found = db.session.get(WebSession, sessions.digest(cookie))
        for name, by in delta.items():
            setattr(found, name, getattr(found, name) - by)
        db.session.commit()


def count(server) -> int:
    with server.app.app_context():
        return db.session.execute(select(func.count()).select_from(WebSession)).scalar_one()


def set_cookie_header(response: requests.Response | object) -> str:
    headers = response.headers
    values = headers.getlist("Set-Cookie") if hasattr(headers, "getlist") else [headers.get("Set-Cookie", "")]
    [value] = [v for v in values if v.startswith("session=")]
    return value


def test_cookie_is_httponly_and_lax_and_holds_only_a_token(live_server) -> None:
    grant_demo_users(live_server)
    s = requests.Session()
    started = s.get(f"{live_server.url}/auth/login/dev", allow_redirects=False)
    header = set_cookie_header(started)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header  # development
    token = s.cookies["session"]
    assert len(token) >= 43 and "." not in token  # a random token, not signed data
    stored = row(live_server, token)
    assert stored is not None and stored.id != token and "_state_dev_" in stored.data_json


def test_secure_cookie_outside_development(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, PORTAL_ENV="production", DEVELOPMENT=False,
                   DEV_IDP=False, SESSION_COOKIE_SECURE=True)
    app.add_url_rule("/_write", "write", lambda: session.__setitem__("x", 1) or "ok")
    answer = app.test_client().get("/_write", base_url="https://localhost")
    header = set_cookie_header(answer)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    with pytest.raises(ConfigError, match="Secure"):
        make_app(f"sqlite:///{tmp_path / 'q.sqlite3'}", tmp_path, PORTAL_ENV="production", DEVELOPMENT=False,
                 DEV_IDP=False, SESSION_COOKIE_SECURE=False)
    with pytest.raises(ConfigError, match="HttpOnly"):
        make_app(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path, SESSION_COOKIE_SAMESITE="None")


def test_anonymous_visitors_and_static_files_get_no_session(live_server) -> None:
    answer = requests.get(f"{live_server.url}/login")
    assert answer.status_code == 200 and "session" not in answer.cookies and count(live_server) == 0
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="accountant")
    token = s.cookies["session"]
    move(live_server, token, last_seen_at=dt.timedelta(minutes=5))
    before = row(live_server, token).last_seen_at
    css = s.get(f"{live_server.url}/static/portal.css")
    assert css.status_code == 200 and "Set-Cookie" not in css.headers
    assert row(live_server, token).last_seen_at == before  # static files never touch the session


def test_a_session_survives_across_two_workers(live_server, tmp_path: Path) -> None:
    grant_demo_users(live_server)
    port = free_port()
    other = make_app(live_server.app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                     DEV_IDP_ISSUER=live_server.app.config["DEV_IDP_ISSUER"])
    second = LiveServer(other, port).start()
    try:
        s, _ = log_in(live_server, sub="porvoo-contact")
        assert current_user(s, second) == current_user(s, live_server) is not None
        with other.app_context():
            sessions.end_for_user(users.find(issuer(live_server), "porvoo-contact").id)
        assert current_user(s, live_server) is None and current_user(s, second) is None
    finally:
        second.stop()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_login_starts_a_new_session_and_ends_the_old_one(live_server) -> None:
    grant_demo_users(live_server)
    s = requests.Session()
    page = s.get(f"{live_server.url}/auth/login/dev")
    before = s.cookies["session"]
    choose(s, page, sub="hameenlinna-lead")
    after = s.cookies["session"]
    assert after != before
    assert row(live_server, before).revoked_at is not None
    new = row(live_server, after)
    assert new.revoked_at is None and new.provider == "dev" and new.sub == "hameenlinna-lead"
    assert new.issuer == issuer(live_server) and new.sid and new.id_token and new.user_id
    assert new.expires_at - new.created_at == dt.timedelta(hours=10)
    assert "_state_dev_" not in new.data_json  # nothing from before the login carries over
    s.cookies.set("session", before, domain="127.0.0.1")
    assert current_user(s, live_server) is None  # the pre-login token is worthless


def test_idle_timeout(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="accountant")
    token = s.cookies["session"]
    move(live_server, token, last_seen_at=dt.timedelta(minutes=29))
    assert current_user(s, live_server)  # still within 30 minutes: and the visit counts as activity
    assert utcnow() - row(live_server, token).last_seen_at < dt.timedelta(minutes=1)
    seen = row(live_server, token).last_seen_at
    assert current_user(s, live_server) and row(live_server, token).last_seen_at == seen  # not written every time
    move(live_server, token, last_seen_at=dt.timedelta(minutes=31))
    assert current_user(s, live_server) is None
    assert "session" not in s.cookies  # the dead cookie is dropped


def test_absolute_timeout(live_server) -> None:
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="accountant")
    move(live_server, s.cookies["session"], expires_at=dt.timedelta(hours=10))
    assert current_user(s, live_server) is None


def test_timeouts_are_configurable(tmp_path: Path) -> None:
    port = free_port()
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path, DEV_IDP_ISSUER=f"http://127.0.0.1:{port}/dev-idp",
                   PORTAL_SESSION_IDLE_MINUTES=2, PORTAL_SESSION_MAX_HOURS=1)
    server = LiveServer(app, port).start()
    try:
        grant_demo_users(server)
        s, _ = log_in(server, sub="accountant")
        token = s.cookies["session"]
        stored = row(server, token)
        assert stored.expires_at - stored.created_at == dt.timedelta(hours=1)
        move(server, token, last_seen_at=dt.timedelta(minutes=3))
        assert current_user(s, server) is None
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_end_for_user_ends_every_session_of_that_user(live_server) -> None:
    grant_demo_users(live_server)
    first, _ = log_in(live_server, sub="porvoo-contact")
    second, _ = log_in(live_server, sub="porvoo-contact")
    bystander, _ = log_in(live_server, sub="accountant")
    with live_server.app.app_context():
        ended = sessions.end_for_user(users.find(issuer(live_server), "porvoo-contact").id)
    assert ended == 2
    for s in (first, second):
        answer = s.get(f"{live_server.url}/", allow_redirects=False)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert current_user(bystander, live_server)
    with live_server.app.app_context():
        live = db.session.execute(select(func.count()).select_from(WebSession).where(
            WebSession.revoked_at.is_(None), WebSession.user_id.is_not(None))).scalar_one()
    assert live == 1



def test_purge_deletes_long_ended_rows_only(live_server) -> None:
    grant_demo_users(live_server)
    gone, _ = log_in(live_server, sub="accountant")
    kept, _ = log_in(live_server, sub="accountant")
    move(live_server, gone.cookies["session"], expires_at=dt.timedelta(days=30))
    before = count(live_server)
    with live_server.app.app_context():
        assert sessions.purge() == 1  # pre-login rows were revoked just now: they stay for a while
    assert row(live_server, gone.cookies["session"]) is None and row(live_server, kept.cookies["session"]) is not None
    assert count(live_server) == before - 1
