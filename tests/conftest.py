"""Fixtures after Flask's tutorial: ``app``, ``client``, ``runner``; plus a live server.

``app`` runs on SQLite and, when ``PORTAL_TEST_DATABASE_URL`` is set, on that PostgreSQL
database as well (each test starts from an empty schema, migrated by Alembic: see
``tests/common/apps.py`` for how that is made fast, and for the database of each xdist worker).

The suite runs as it is (``pytest``) or in parallel with pytest-xdist (``pytest -n auto``): each
worker has its own SQLite files, PostgreSQL database, live-server ports and browser.
Helpers shared by several test modules are in ``tests/common``; test modules never import each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

from tests.common.apps import LiveServer, dispose, free_port, make_app, migrated_database

# Timing limits belong in the benchmarks, never in the tests: no per-example deadline, and no
# "too slow" health check, whatever else runs on the machine (tests' own @settings still set their sizes).
settings.register_profile("portal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("portal")

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_app(migrated_database(backend, tmp_path), tmp_path)
    yield application
    dispose(application)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The portal (with its development OpenID provider) served on a free loopback port, SQLite."""
    port = free_port()
    application = make_app(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path, DEV_IDP_ISSUER=f"http://127.0.0.1:{port}/dev-idp")
    server = LiveServer(application, port).start()
    yield server
    server.stop()
    dispose(application)
