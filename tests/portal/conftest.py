"""Fixtures shared by the portal tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def loaded(app):
    """The app with the demo consortium loaded (project ``iam``, 17 members, equal rule)."""
    from portal import demo

    with app.app_context():
        demo.load()
    return app


def _logged_in(client, app, **user):
    from tests.portal.test_views_projects import login

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
