"""The projects' JSON API: shapes, decimal strings (never floats), problem documents, 401 without a session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.common.demo import shares_now
from tests.common.web import login, strict_json


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
    assert all(row.keys() == {"city", "name", "share", "charged", "total", "years", "withdrawn", "joined", "left"} for row in body)
    assert all(isinstance(row[k], str) for row in body for k in ("city", "name", "share", "joined"))
    for row in body:  # a contact sees its own city's direct charges only (portal.projects.privacy)
        seen = role != "contact" or row["city"] == city
        assert all(isinstance(row[k], str) if seen else row[k] is None for k in ("charged", "total")), row
    assert all(row["withdrawn"] is False and row["left"] is None for row in body)
    assert all(isinstance(v, str) for row in body for v in row["years"].values())
    porvoo = next(row for row in body if row["city"] == "638")
    assert porvoo["name"] == "Porvoo" and porvoo["share"] in ("30588.23", "30588.24")
    assert sum(Decimal(row["share"]) for row in body) == Decimal("520000.00")
    assert {row["city"]: int(Decimal(row["share"]) * 100) for row in body} == shares_now(loaded)


def test_a_withdrawn_member_stays_listed_with_its_dates_so_the_shares_add_up(client, loaded) -> None:
    with loaded.app_context():
        from portal.projects import services

        services.withdraw_member("iam", "638", left=dt.date(2026, 12, 31), decision="KV 2026 § 3", actor="test")
    login(client, loaded, sub="contact", role="contact", city="753")
    body = strict_json(client.get("/api/v1/projects/iam/shares"))
    porvoo = next(row for row in body if row["city"] == "638")
    assert porvoo["withdrawn"] is True and porvoo["left"] == "2026-12-31" and porvoo["joined"] == "2025-01-01"
    assert {y for y, v in porvoo["years"].items() if Decimal(v)} == {"2025", "2026"} and Decimal(porvoo["share"]) > 0
    assert sum(Decimal(row["share"]) for row in body) == Decimal("520000.00") and len(body) == 17


def test_unknown_project_is_a_404_problem(client, loaded) -> None:
    login(client, loaded, sub="lead", role="lead", city="109")
    response = client.get("/api/v1/projects/nope/shares")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    body = strict_json(response)
    assert body["status"] == 404 and body["title"] == "NotFound" and "nope" in body["detail"]
    assert client.get("/api/v1/nothing-here").status_code == 404
