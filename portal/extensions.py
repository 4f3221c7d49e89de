"""Flask extensions, created unbound and attached in the app factory with ``init_app``; and how the
portal uses its database connections: checked before use, and waiting a bounded time for a lock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Result, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# SQLSTATE 55P03 lock_not_available (PostgreSQL's lock_timeout); SQLite's SQLITE_BUSY and SQLITE_LOCKED.
_PG_LOCK_NOT_AVAILABLE = "55P03"
_SQLITE_BUSY = (5, 6)
_SQLITE_CANTOPEN = 14
CONNECT_SECONDS = 10  # how long a new PostgreSQL connection may take before the database counts as unreachable


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (``Session.execute`` types its result loosely)."""
    return result.rowcount if isinstance(result, CursorResult) else 0


def engine_options(url: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options for the portal's database.

    ``pool_pre_ping``: a pooled connection is tested (a cheap round trip) before each checkout and
    replaced when the server has dropped it (a restart, a failover, ``pg_terminate_backend``), so the
    next request works instead of failing on a dead socket. SQLite waits for the one writer's lock
    at most ``PORTAL_LOCK_SECONDS`` (its busy timeout); a PostgreSQL connection is given up after
    :data:`CONNECT_SECONDS`.
    """
    if url.startswith("sqlite"):
        return {"pool_pre_ping": True, "connect_args": {"timeout": float(config.get("PORTAL_LOCK_SECONDS", 5))}}
    if url.startswith("postgresql"):
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_SECONDS}}
    return {"pool_pre_ping": True}


def lock_timeout(seconds: float) -> None:
    """The rest of the transaction waits at most ``seconds`` for a lock on PostgreSQL (``SET LOCAL lock_timeout``).

    For the whole transaction, not only the statement that takes the project's lock: nothing else
    a change writes is waited for in practice, and nothing should be waited for longer. SQLite
    needs nothing here: its busy timeout, set on every connection (:func:`engine_options`), is the same bound.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'"))


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error says a lock was not had in time (PostgreSQL's lock_timeout, SQLite busy)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return getattr(orig, "sqlite_errorcode", None) in _SQLITE_BUSY


def is_connection_lost(exc: BaseException) -> bool:
    """Whether a database error is a lost or refused connection, not a refusal of the statement.

    SQLAlchemy marks a connection it found dead (``connection_invalidated``); PostgreSQL's own
    connection exceptions are SQLSTATE class 08 and operator intervention (a terminated backend, a
    shutdown) class 57P; a connection that failed before the server answered has no SQLSTATE at
    all; SQLite's is a file it cannot open (SQLITE_CANTOPEN).
    """
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if hasattr(orig, "sqlstate"):  # psycopg's errors
        state = getattr(orig, "sqlstate", None)
        return state is None or str(state).startswith(("08", "57P"))
    return getattr(orig, "sqlite_errorcode", None) == _SQLITE_CANTOPEN


def column_length(attribute: Any) -> int:
    """The length of a string column (``Project.name``: 200), so a form or an option refuses what it cannot hold.

    SQLite stores a longer text anyway; PostgreSQL refuses it with an error, which must never be
    how a person learns that a name is too long.
    """
    length = attribute.property.columns[0].type.length
    if not isinstance(length, int):
        raise TypeError(f"{attribute} has no length")
    return length
