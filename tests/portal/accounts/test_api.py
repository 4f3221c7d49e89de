"""``/api/v1/me``: who the session is, for an active user, a pending one right after login, none once disabled."""

from __future__ import annotations

from portal.accounts import services as users
from tests.common.devidp import issuer, log_in
from tests.common.web import login, strict_json


# -- /api/v1/me ------------------------------------------------------------------------------------
def test_me_without_a_session_is_401(client, app) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_me_for_an_active_user(client, app) -> None:
    login(client, app, sub="porvoo", role="contact", city="638")
    assert strict_json(client.get("/api/v1/me")) == {
        "issuer": "https://idp.test", "sub": "porvoo", "name": "porvoo", "city": "638", "roles": ["contact"],
        "status": "active",
    }


def test_me_for_a_pending_user_right_after_login_and_401_once_disabled(live_server) -> None:
    s, answer = log_in(live_server, other_sub="newcomer-7")
    assert answer.status_code == 403
    me = s.get(f"{live_server.url}/api/v1/me")
    assert me.status_code == 200 and me.json() == {
        "issuer": issuer(live_server), "sub": "newcomer-7", "name": "newcomer-7", "city": None, "roles": [],
        "status": "pending",
    }
    assert s.get(f"{live_server.url}/api/v1/projects").status_code == 401  # no portal session for the pending
    with live_server.app.app_context():
        users.disable(users.find(issuer(live_server), "newcomer-7"), by=None, actor="test")
    assert s.get(f"{live_server.url}/api/v1/me").status_code == 401
