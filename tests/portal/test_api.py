"""The JSON API: shapes, decimal strings (never floats), problem documents, 401 without a session."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.portal.test_views_projects import login, shares_now


def strict_json(response) -> object:
    """The body parsed with floats refused: any amount sent as a JSON number fails the test."""

    def no_floats(text: str):
        raise AssertionError(f"a float in the API's JSON: {text}")

    return json.loads(response.get_data(as_text=True), parse_float=no_floats)


@pytest.mark.parametrize("url", ["/api/v1/projects", "/api/v1/projects/iam/shares", "/api/v1/projects/nope/shares"])
def test_401_problem_without_a_session(client, loaded, url) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert strict_json(response)["status"] == 401


def test_projects(client, loaded) -> None:
    login(client, loaded, sub="porvoo", role="contact", city="638")
    response = client.get("/api/v1/projects")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert strict_json(response) == [
        {"slug": "iam", "name": "Mid-sized cities' IAM project 2025–2029", "budget": "520000.00", "rule": "equal", "members": 17},
    ]


@pytest.mark.parametrize("role, city", [("contact", "638"), ("lead", "109"), ("accountant", None)])
def test_shares_are_decimal_strings_open_to_every_role(client, loaded, role, city) -> None:
    login(client, loaded, sub=role, role=role, city=city)
    body = strict_json(client.get("/api/v1/projects/iam/shares"))
    assert isinstance(body, list) and len(body) == 17
    assert all(row.keys() == {"city", "name", "share", "charged", "total", "years"} for row in body)
    assert all(isinstance(v, str) for row in body for k, v in row.items() if k != "years")
    assert all(isinstance(v, str) for row in body for v in row["years"].values())
    porvoo = next(row for row in body if row["city"] == "638")
    assert porvoo["name"] == "Porvoo" and porvoo["share"] in ("30588.23", "30588.24")
    assert sum(Decimal(row["share"]) for row in body) == Decimal("520000.00")
    assert {row["city"]: int(Decimal(row["share"]) * 100) for row in body} == shares_now(loaded)


def test_unknown_project_is_a_404_problem(client, loaded) -> None:
    login(client, loaded, sub="lead", role="lead", city="109")
    response = client.get("/api/v1/projects/nope/shares")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    body = strict_json(response)
    assert body["status"] == 404 and body["title"] == "NotFound" and "nope" in body["detail"]
    assert client.get("/api/v1/nothing-here").status_code == 404


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
    from portal.accounts import services as users
    from tests.portal.test_auth import issuer, log_in

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


def test_costs_and_yearly_shares(as_contact) -> None:
    body = strict_json(as_contact.get("/api/v1/projects/iam/costs"))
    assert body["policy"] == "whole-term" and body["total"] == "520000.00"
    assert body["budget"] == {"2025": "80000.00", "2026": "150000.00", "2027": "110000.00", "2028": "100000.00", "2029": "80000.00"}
    assert body["rules"][0]["kind"] == "equal" and body["rules"][0]["years"] == [2025, 2026, 2027, 2028, 2029]
    shares = strict_json(as_contact.get("/api/v1/projects/iam/shares"))
    porvoo = next(s for s in shares if s["city"] == "638")
    assert sum(int(v.replace(".", "")) for v in porvoo["years"].values()) == int(porvoo["share"].replace(".", ""))
    assert porvoo["charged"] == "0.00" and porvoo["total"] == porvoo["share"]
