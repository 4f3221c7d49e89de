"""The portal as the tests run it: ``make_app``, a database for each backend, a live server.

SQLite: every app gets a file of its own, a copy of a template migrated by Alembic once per
process (copying is three times faster than migrating; ``make_app`` still runs ``upgrade()``,
which finds nothing to do).

PostgreSQL (when ``PORTAL_TEST_DATABASE_URL`` is set): each pytest-xdist worker has a database of
its own, named after the URL's and the worker's (``test`` → ``test_gw0``, ``test_gw1``) and created
through the server's ``postgres`` database when missing; without xdist the URL is used as it is.
Every test starts from a schema at the head revision with empty tables: emptied by ``TRUNCATE``
when the schema is exactly the head's, else dropped and migrated again.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from portal import MIGRATIONS, create_app
from portal.extensions import db

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
SECRET_KEY = "test-secret-key-not-for-production"
# A connection a test left open inside a transaction would make the next reset wait for ever: fail instead.
LOCK_TIMEOUT = "SET LOCAL lock_timeout = '30s'"


# -- PostgreSQL ------------------------------------------------------------------------------------
def worker_url(url: str, worker: str | None = None) -> str:
    """``url`` with the xdist worker's name appended to its database (unchanged outside xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER") if worker is None else worker
    if not url or not worker:
        return url
    parsed = sa.make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


@functools.cache
def postgres_url() -> str:
    """This process's PostgreSQL database (created when missing); skips the test when none is configured."""
    if not PG_URL:
        pytest.skip("PORTAL_TEST_DATABASE_URL is not set")
    url = worker_url(PG_URL)
    if url != PG_URL:
        create_database(url)
    return url


def create_database(url: str) -> None:
    """``CREATE DATABASE`` for ``url``'s database unless it exists, through the server's ``postgres`` database."""
    parsed = sa.make_url(url)
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
    try:
        with engine.connect() as conn:
            if conn.scalar(exists, {"name": parsed.database}) is None:
                name = conn.dialect.identifier_preparer.quote(parsed.database)
                try:
                    conn.execute(sa.text(f"CREATE DATABASE {name}"))
                except sa.exc.DBAPIError:  # created meanwhile by another run
                    if conn.scalar(exists, {"name": parsed.database}) is None:
                        raise
    finally:
        engine.dispose()


def reset_postgres(url: str) -> None:
    """An empty ``public`` schema: no tables, no revision."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(LOCK_TIMEOUT))
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@functools.cache
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def empty_postgres(url: str) -> bool:
    """Empty every table if the schema is exactly the head revision's; False (nothing done) otherwise."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = set(conn.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
            if tables != {*db.metadata.tables, "alembic_version"}:
                return False
            if conn.scalars(sa.text("SELECT version_num FROM alembic_version")).all() != [head_revision()]:
                return False
            quote = conn.dialect.identifier_preparer.quote
            names = ", ".join(quote(t) for t in sorted(db.metadata.tables))
            conn.execute(sa.text(LOCK_TIMEOUT))
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return True
    finally:
        engine.dispose()


# -- SQLite ----------------------------------------------------------------------------------------
@functools.cache
def sqlite_template() -> Path:
    """A SQLite file migrated to the head revision, once per process; removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="portal-tests-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.sqlite3"
    app = _migrated(f"sqlite:///{path}", folder)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as conn:  # everything in the main file, nothing left in a -wal file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


# -- the app ---------------------------------------------------------------------------------------
def database_url(backend: str, tmp_path: Path) -> str:
    """An empty database of ``backend``: no schema yet (for tests of the migrations themselves)."""
    if backend == "postgres":
        url = postgres_url()
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


def migrated_database(backend: str, tmp_path: Path) -> str:
    """A database of ``backend`` at the head revision with empty tables, as ``app`` starts from."""
    if backend == "postgres":
        url = postgres_url()
        if not empty_postgres(url):
            reset_postgres(url)  # make_app migrates it again
        return url
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(sqlite_template(), path)
    return f"sqlite:///{path}"


def app_config(url: str, **extra: Any) -> dict[str, Any]:
    """The configuration every test app starts from; ``extra`` overrides it."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "DEVELOPMENT": True,
        "PORTAL_ENV": "development",
        "SESSION_COOKIE_SECURE": False,
        "PREFERRED_URL_SCHEME": "http",
        "DEV_IDP": True,
        "DEV_IDP_ISSUER": "http://127.0.0.1:5000/dev-idp",
        # What the machine's environment says must not leak into the tests (a shared Redis counter).
        "PORTAL_REDIS_URL": "",
        "PORTAL_JOBS_REDIS_URL": "",
        "PORTAL_LOGIN_RATE_LIMIT": "10 per minute; 100 per hour",
        "PORTAL_TRUSTED_PROXIES": 0,
        **extra,
    }


class EnglishClient(FlaskClient):
    """A test client whose browser asks for English (``Accept-Language: en``), unless a test says otherwise.

    The portal speaks Finnish to a browser that names no language; the tests written before the
    translations assert the English texts, and tests/portal/test_i18n.py asks for each language itself.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


def _migrated(url: str, tmp_path: Path, **extra: Any) -> Flask:
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app(app_config(url, **extra))
    app.test_client_class = EnglishClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def make_app(url: str, tmp_path: Path, **extra: Any) -> Flask:
    """The portal on ``url``, migrated by Alembic; a new SQLite file starts as a copy of the template."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        shutil.copyfile(sqlite_template(), path)
    return _migrated(url, tmp_path, **extra)


def dispose(app: Flask) -> None:
    """Close the app's database connections (a PostgreSQL schema cannot be dropped while they are open)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# -- a live server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``app`` served by werkzeug on a loopback port, in a thread.

    The serving loop looks for a shutdown every 20 ms (werkzeug's default is 0.5 s, which every
    stop would wait for in full: half a second per server, per test).
    """

    POLL_SECONDS = 0.02

    def __init__(self, app: Flask, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": self.POLL_SECONDS},
                                        daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
