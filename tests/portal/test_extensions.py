"""How the portal uses its database connections: a dead one is replaced before use, a lost or
refused one is named as such (never "run portal db upgrade"), and a lock is waited for only so long."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import demo
from portal.cli import database_trouble
from portal.extensions import engine_options, is_connection_lost, is_lock_timeout
from tests.common.apps import dispose, make_app, migrated_database, postgres_url
from tests.common.web import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_after_postgresql_drops_every_connection_the_next_request_works(tmp_path) -> None:
    app = make_app(migrated_database("postgres", tmp_path), tmp_path)
    try:
        with app.app_context():
            demo.load()
        client = app.test_client()
        login(client, app, sub="porvoo", role="contact", city="638")
        assert client.get("/p/iam/").status_code == 200  # the pool now holds a connection
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            killed = conn.scalar(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                         " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        engine.dispose()
        assert killed >= 1
        response = client.get("/p/iam/")
        assert response.status_code == 200 and "Porvoo" in response.get_data(as_text=True)
    finally:
        dispose(app)


def test_every_engine_checks_its_connections_before_use_and_sqlite_waits_the_lock_seconds() -> None:
    config = {"PORTAL_LOCK_SECONDS": 2.5}
    assert engine_options("sqlite:///x.sqlite3", config) == {"pool_pre_ping": True, "connect_args": {"timeout": 2.5}}
    assert engine_options("postgresql+psycopg://db/portal", config)["pool_pre_ping"] is True


def cli(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """This worktree's ``portal`` command in a fresh process."""
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "portal.cli.main", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_a_refused_connection_is_named_as_such_by_the_command_line(tmp_path) -> None:
    with socket_closed() as port:
        result = cli(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{port}/portal", "shares", "iam")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the database connection was lost or refused" in result.stderr and "portal db upgrade" not in result.stderr
    # (an unmigrated database is still told to upgrade: tests/portal/test_config.py)


def test_a_connection_postgresql_terminated_mid_command_is_named_lost_not_unmigrated() -> None:
    """A backend ended under a command (an administrator, a failover): the command line says the
    connection was lost, not that the schema needs ``portal db upgrade``."""
    url = postgres_url()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    killer = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with killer.connect() as other:
                assert other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            with pytest.raises(sa.exc.OperationalError) as lost:
                conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
        killer.dispose()
    assert is_connection_lost(lost.value) and not is_lock_timeout(lost.value)
    message = database_trouble(lost.value).message
    assert "the database connection was lost or refused" in message and "portal db upgrade" not in message


def test_lock_timeouts_and_lost_connections_are_told_apart_from_other_errors(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}", connect_args={"timeout": 0.1})
    other = sa.create_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}", connect_args={"timeout": 0.1})
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as holder, other.connect() as waiter:
        holder.begin()
        holder.execute(sa.text("INSERT INTO t VALUES (1)"))
        with pytest.raises(sa.exc.OperationalError) as locked:
            waiter.execute(sa.text("INSERT INTO t VALUES (2)"))
        with pytest.raises(sa.exc.OperationalError) as missing:
            waiter.execute(sa.text("SELECT * FROM nowhere"))
    assert is_lock_timeout(locked.value) and not is_connection_lost(locked.value)
    assert not is_lock_timeout(missing.value) and not is_connection_lost(missing.value)
    engine.dispose()
    other.dispose()


def test_a_lock_not_had_in_time_anywhere_in_a_request_is_a_503_problem_not_a_500(tmp_path) -> None:
    """Outside a change too (on SQLite any write waits for the one writer): the edge answers busy."""
    from flask import Flask

    from portal.errors import register

    app = Flask(__name__)
    app.config["PORTAL_LOCK_SECONDS"] = 0.1
    register(app)
    path = tmp_path / "b.sqlite3"
    holder_engine = sa.create_engine(f"sqlite:///{path}")
    with holder_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))

    @app.post("/api/v1/write")
    def write() -> str:
        engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO t VALUES (2)"))
        finally:
            engine.dispose()
        return "written"

    with holder_engine.connect() as holder:
        holder.begin()
        holder.execute(sa.text("INSERT INTO t VALUES (1)"))
        response = app.test_client().post("/api/v1/write")
    holder_engine.dispose()
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "1" and "busy" in response.get_json()["detail"]


class socket_closed:
    """A loopback port nobody listens on (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None
