"""Security headers on every answer: CSP without framing, no sniffing, a referrer policy; HSTS over HTTPS only."""

from __future__ import annotations

import pytest


def csp(response) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in response.headers["Content-Security-Policy"].split(";"))
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts if p[0]}


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/api/projects", "/static/portal.css"])
def test_every_answer_carries_the_headers(client, path: str) -> None:
    answer = client.get(path)
    policy = csp(answer)
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in answer.headers  # plain http: HSTS would be ignored, and wrong


def test_hsts_over_https(client) -> None:
    answer = client.get("/login", base_url="https://localhost")
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/", "/p/iam/", "/p/iam/charges", "/p/iam/cities/638", "/api/v1/projects/iam/shares",
                                  "/api/v1/projects/iam/costs", "/api/v1/me", "/p/iam/no-such-page"])
def test_authenticated_pages_and_the_api_are_not_stored(as_contact, path: str) -> None:
    answer = as_contact.get(path)
    assert answer.status_code in (200, 404) and answer.headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching_and_pages_around_the_login_are_not_stored(client) -> None:
    static = client.get("/static/portal.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"  # 401, as a problem document
