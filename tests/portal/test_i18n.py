"""The page's language: the user's choice (remembered), else the browser's Accept-Language, else Finnish."""

from __future__ import annotations

import re


def lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', page)
    assert match, page[:200]
    return match.group(1)


def test_finnish_when_the_browser_names_no_language(client) -> None:
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    page = client.get("/login").get_data(as_text=True)
    assert lang(page) == "fi" and "Kirjaudu sisään" in page


def test_the_browsers_language_when_the_portal_has_it(client) -> None:
    assert lang(client.get("/login", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).get_data(as_text=True)) == "sv"
    assert lang(client.get("/login", headers={"Accept-Language": "de, en;q=0.5"}).get_data(as_text=True)) == "en"
    assert lang(client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "fi"


def test_the_users_choice_is_remembered_and_wins(client) -> None:
    answer = client.get("/language/sv?next=/accessibility")
    assert answer.status_code == 303 and answer.headers["Location"] == "/accessibility"
    assert "Max-Age=31536000" in answer.headers["Set-Cookie"]
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang(page) == "sv" and "Logga in" in page
    assert 'href="/language/fi?next=/login" lang="fi"' in page


def test_the_switch_goes_back_to_this_site_only_and_ignores_unknown_languages(client) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.get("/language/fi", query_string={"next": target})
        assert answer.headers["Location"] == "/", target
    assert "Set-Cookie" not in client.get("/language/de?next=/").headers
