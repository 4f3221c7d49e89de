"""Fixtures shared by the portal tests: the demo consortium, logged-in clients, a project made by the CLI."""

from __future__ import annotations

import pytest
import requests

from portal import demo
from tests.common.cli import CREATE
from tests.common.web import login


@pytest.fixture(autouse=True)
def english_requests(monkeypatch):
    """Requests' sessions (the live-server tests) ask for English, as the test client does (EnglishClient):
    the portal speaks Finnish to a browser that names no language, and these tests assert the English texts."""
    plain = requests.utils.default_headers

    def english():
        headers = plain()
        headers["Accept-Language"] = "en"
        return headers

    monkeypatch.setattr(requests.sessions, "default_headers", english)


@pytest.fixture
def loaded(app):
    """The app with the demo consortium loaded (project ``iam``, 17 members, equal rule)."""
    with app.app_context():
        demo.load()
    return app


@pytest.fixture
def in_demo(app):
    """The demo consortium loaded, inside the app's context (for tests of the services)."""
    with app.app_context():
        demo.load()
        yield app


def _logged_in(client, app, **user):
    login(client, app, **user)
    return client


@pytest.fixture
def as_contact(client, loaded):
    """Porvoo's city contact."""
    return _logged_in(client, loaded, sub="porvoo", role="contact", city="638")


@pytest.fixture
def as_lead(client, loaded):
    return _logged_in(client, loaded, sub="lead", role="lead", city="109")


@pytest.fixture
def as_accountant(client, loaded):
    return _logged_in(client, loaded, sub="acc", role="accountant", city="109")


@pytest.fixture
def created(runner):
    """``runner`` after creating the project ``iam`` from the command line, with three members from 2025-01-01."""
    result = runner.invoke(args=CREATE)
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["member", "add", "iam", "--city", "638", "--city", "286", "--city", "109", "--joined", "2025-01-01", "--decision", "agreement"])
    assert result.exit_code == 0, result.output
    return runner
