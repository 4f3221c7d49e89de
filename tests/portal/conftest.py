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
