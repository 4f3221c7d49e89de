"""Fixtures after Flask's tutorial: ``app``, ``client``, ``runner``; plus a live server.

``app`` runs on SQLite and, when ``PORTAL_TEST_DATABASE_URL`` is set, on that PostgreSQL
database as well (each test starts from an empty schema, migrated by Alembic).
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        if not PG_URL:
            pytest.skip("PORTAL_TEST_DATABASE_URL is not set")
        _reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


def make_app(url: str, tmp_path: Path, **extra) -> Flask:
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path / "instance")
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DEVELOPMENT": True,
        "PORTAL_ENV": "development",
        "SESSION_COOKIE_SECURE": False,
        "PREFERRED_URL_SCHEME": "http",
        "DEV_IDP": True,
        "DEV_IDP_ISSUER": "http://127.0.0.1:5000/dev-idp",
        # What the machine's environment says must not leak into the tests (a shared Redis counter).
        "PORTAL_REDIS_URL": "",
        "PORTAL_LOGIN_RATE_LIMIT": "10 per minute; 100 per hour",
        "PORTAL_TRUSTED_PROXIES": 0,
        **extra,
    }
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_app(database_url(backend, tmp_path), tmp_path)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, app: Flask, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The portal (with its development OpenID provider) served on a free loopback port, SQLite."""
    port = free_port()
    application = make_app(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path, DEV_IDP_ISSUER=f"http://127.0.0.1:{port}/dev-idp")
    server = LiveServer(application, port).start()
    yield server
    server.stop()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def login_as(client, app: Flask, *, sub: str, role: str, city: str | None = None, issuer: str = "https://idp.test") -> None:
    """Log ``client`` in as a user with ``role`` without an OpenID round trip (for view tests)."""
    from portal.accounts import services as users

    with app.app_context():
        user = users.grant(issuer=issuer, sub=sub, role=role, city=city, name=sub, actor="test")
        user_id = user.id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
