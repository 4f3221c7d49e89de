"""Server-side sessions: the cookie holds a random token, the ``web_sessions`` table its SHA-256 and the data.

Every worker reads the same table, so a session can be ended from anywhere (logout, a disabled
user, the provider's back-channel logout) and is gone for all workers at once. Idle and absolute
timeouts are checked on every request, and every login starts a new session (no fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import Flask, Request, session
from flask.sessions import SecureCookieSession, SessionInterface, session_json_serializer
from sqlalchemy import delete, insert, select, update
from werkzeug.wrappers import Response

from portal.auth.models import WebSession
from portal.clock import utcnow
from portal.config import ConfigError
from portal.extensions import db, rowcount

TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often when nothing else changed
LOGIN_FIELDS = ("provider", "issuer", "sub", "sid", "id_token")


class ServerSession(SecureCookieSession):
    """The session's data plus what saving it needs; ``token`` is None until a row exists."""

    def __init__(self, initial: dict[str, Any] | None = None, *, token: str | None = None, stored: str = "",
                 last_seen: dt.datetime | None = None, stale: bool = False, static: bool = False) -> None:
        super().__init__(initial)
        self.token, self.stored, self.last_seen = token, stored, last_seen
        self.stale = stale  # the browser sent a cookie for no live session: drop it unless a new one starts
        self.static = static
        self.rotate = False
        self.login: dict[str, Any] | None = None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSessionInterface(SessionInterface):
    serializer = session_json_serializer  # Flask's tagged JSON: tuples, bytes and dates survive

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if app.static_url_path and request.path.startswith(app.static_url_path + "/"):
            return ServerSession(static=True)
        token = request.cookies.get(self.get_cookie_name(app))
        if not token:
            return ServerSession()
        row = db.session.execute(select(WebSession.data_json, WebSession.last_seen_at, WebSession.expires_at,
                                        WebSession.revoked_at).where(WebSession.id == digest(token))).one_or_none()
        now = utcnow()
        idle = dt.timedelta(minutes=float(app.config.get("PORTAL_SESSION_IDLE_MINUTES", 30)))
        if row is None or row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + idle <= now:
            return ServerSession(stale=True)
        try:
            data = self.serializer.loads(row.data_json)
        except ValueError:
            return ServerSession(stale=True)
        return ServerSession(data, token=token, stored=row.data_json, last_seen=row.last_seen_at)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        if session.static:
            return
        if session.accessed:
            response.vary.add("Cookie")
        if session.token is None and not session:
            if session.stale:  # anonymous and nothing to keep: no row, and no dead cookie either
                self._drop_cookie(app, response)
            return
        # Whatever the view left uncommitted is rolled back at teardown anyway; never commit it here.
        db.session.rollback()
        now = utcnow()
        data = self.serializer.dumps(dict(session))
        if session.token is not None and (session.rotate or not session):
            _revoke(WebSession.id == digest(session.token), now)
            session.token = None
            if not session:
                db.session.commit()
                self._drop_cookie(app, response)
                return
        if session.token is None:
            token = secrets.token_urlsafe(32)
            max_age = dt.timedelta(hours=float(app.config.get("PORTAL_SESSION_MAX_HOURS", 10)))
            db.session.execute(insert(WebSession).values(
                id=digest(token), user_id=_user_id(session), data_json=data, created_at=now, last_seen_at=now,
                expires_at=now + max_age, **(session.login or {})))
            db.session.commit()
            response.set_cookie(self.get_cookie_name(app), token, httponly=True, secure=self.get_cookie_secure(app),
                                samesite=self.get_cookie_samesite(app), domain=self.get_cookie_domain(app),
                                path=self.get_cookie_path(app))
            response.vary.add("Cookie")
            return
        changed = data != session.stored or session.login is not None
        if not changed and session.last_seen is not None and now - session.last_seen < TOUCH_EVERY:
            return
        values: dict[str, Any] = {"last_seen_at": now}
        if changed:
            values |= {"data_json": data, "user_id": _user_id(session), **(session.login or {})}
        done = db.session.execute(update(WebSession).where(WebSession.id == digest(session.token),
                                                           WebSession.revoked_at.is_(None)).values(values))
        db.session.commit()
        if rowcount(done) == 0:  # ended by another request meanwhile: it stays ended
            self._drop_cookie(app, response)

    def _drop_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                               path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
                               samesite=self.get_cookie_samesite(app), httponly=True)
        response.vary.add("Cookie")


def init_app(app: Flask) -> None:
    """Refuse cookie settings that would weaken the session; install the server-side interface."""
    if not app.config.get("SESSION_COOKIE_HTTPONLY") or app.config.get("SESSION_COOKIE_SAMESITE") != "Lax":
        raise ConfigError("the session cookie must be HttpOnly with SameSite=Lax")
    if not app.config.get("SESSION_COOKIE_SECURE") and app.config.get("PORTAL_ENV") != "development":
        raise ConfigError("the session cookie must be Secure (https) unless PORTAL_ENV=development")
    app.session_interface = ServerSessionInterface()


def rotate() -> None:
    """Start a new session (at every login), so nothing from before the login carries over."""
    session.clear()
    if isinstance(session, ServerSession):
        session.rotate = True


def remember_login(*, provider: str, issuer: str, sub: str, sid: str | None, id_token: str | None) -> None:
    """Record what logout needs later (id_token_hint, the provider's sid for back-channel logout)."""
    if isinstance(session, ServerSession):
        session.login = {"provider": provider, "issuer": issuer, "sub": sub, "sid": sid, "id_token": id_token}


def end_current() -> dict[str, Any] | None:
    """End this request's session now; returns its login record (provider, id_token…) if it had one."""
    found = None
    if isinstance(session, ServerSession) and session.token is not None:
        key = WebSession.id == digest(session.token)
        row = db.session.execute(select(*(getattr(WebSession, f) for f in LOGIN_FIELDS)).where(key)).one_or_none()
        found = row._asdict() if row is not None and row.provider else None
        _revoke(key, utcnow())
        db.session.commit()
        session.token, session.stale, session.login = None, True, None
    session.clear()
    return found


def end_for_user(user_id: int) -> int:
    """End every session of a user (when disabled); returns how many were ended.

    Commits, together with whatever the caller has pending (e.g. the disabling itself).
    """
    ended = _revoke(WebSession.user_id == user_id, utcnow())
    db.session.commit()
    return ended


def end_by_logout_token(*, provider: str, issuer: str, sub: str | None, sid: str | None) -> int:
    """End the sessions a validated back-channel logout token names: by sid, by sub, or both must match."""
    if not sub and not sid:
        return 0
    condition = (WebSession.provider == provider) & (WebSession.issuer == issuer)
    if sid:
        condition &= WebSession.sid == sid
    if sub:
        condition &= WebSession.sub == sub
    ended = _revoke(condition, utcnow())
    db.session.commit()
    return ended


def purge(keep: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Delete rows ended (revoked or past their absolute timeout) longer than ``keep`` ago; for a periodic job."""
    cutoff = utcnow() - keep
    result = db.session.execute(delete(WebSession).where(
        (WebSession.expires_at < cutoff) | (WebSession.revoked_at < cutoff)))
    db.session.commit()
    return rowcount(result)


def _revoke(condition: Any, now: dt.datetime) -> int:
    result = db.session.execute(update(WebSession).where(condition, WebSession.revoked_at.is_(None))
                                .values(revoked_at=now))
    return rowcount(result)


def _user_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["_user_id"])
    except (KeyError, TypeError, ValueError):
        return None
