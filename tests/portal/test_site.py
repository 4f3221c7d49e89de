"""The site's own pages: /favicon.ico, and the accessibility statement linked from every page's footer."""

from __future__ import annotations

import pytest

from portal import config
from portal.site import STATEMENT_DATE
from tests.common.web import login


def test_the_favicon_answers(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert client.get("/static/favicon.ico").data == response.data


@pytest.mark.parametrize("path", ["/login", "/no-such-page"])
def test_every_page_links_the_icon_and_the_statement(client, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.ico"' in page
    assert '<a href="/accessibility" data-testid="accessibility-link">Accessibility statement</a>' in page


def test_project_pages_link_the_statement_too(as_contact) -> None:
    for path in ("/", "/p/iam/", "/p/iam/agreement"):
        assert 'data-testid="accessibility-link"' in as_contact.get(path).get_data(as_text=True), path


def test_the_statement_is_open_to_everyone_and_says_what_it_must(client) -> None:
    response = client.get("/accessibility")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "partially conformant with WCAG 2.1 level AA" in page
    assert "axe-core" in page and "Etelä-Suomen aluehallintovirasto" in page and "saavutettavuusvaatimukset.fi" in page
    assert f"This statement was made on {STATEMENT_DATE.day}.{STATEMENT_DATE.month}.{STATEMENT_DATE.year}." in page
    assert "PORTAL_ACCESSIBILITY_EMAIL" in page  # not configured in the tests: says so
    other = client.get("/saavutettavuusseloste").get_data(as_text=True)
    assert other.replace('next=/saavutettavuusseloste', 'next=/accessibility') == page  # the language links' way back


def test_the_feedback_address_is_a_setting(app, client) -> None:
    app.config["PORTAL_ACCESSIBILITY_EMAIL"] = "saavutettavuus@example.fi"
    page = client.get("/accessibility").get_data(as_text=True)
    assert '<a href="mailto:saavutettavuus@example.fi">saavutettavuus@example.fi</a>' in page and "within 14 days" in page


def test_the_settings_are_checked(tmp_path) -> None:
    env = {"PORTAL_ACCESSIBILITY_EMAIL": "palaute@kaupunki.fi", "PORTAL_MAX_DOCUMENT_MB": "25"}
    settings = config.from_environment(tmp_path, env)
    assert settings["PORTAL_ACCESSIBILITY_EMAIL"] == "palaute@kaupunki.fi" and settings["PORTAL_MAX_DOCUMENT_MB"] == 25
    assert config.from_environment(tmp_path, {})["PORTAL_MAX_DOCUMENT_MB"] == 10
    for name, value in (("PORTAL_ACCESSIBILITY_EMAIL", "not an address"), ("PORTAL_MAX_DOCUMENT_MB", "0"),
                        ("PORTAL_MAX_DOCUMENT_MB", "ten")):
        with pytest.raises(config.ConfigError, match=name):
            config.from_environment(tmp_path, {name: value})


def test_the_admin_pages_have_the_footer(client, loaded) -> None:
    login(client, loaded, sub="admin", role="admin")
    assert 'data-testid="accessibility-link"' in client.get("/admin/users").get_data(as_text=True)
