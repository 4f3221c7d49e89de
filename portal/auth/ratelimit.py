"""Rate limits on login and its callback, so nobody can hammer the provider round trip through us.

Counters live in Redis when ``PORTAL_REDIS_URL`` is set (shared by every worker), else in process
memory (one process: development). The auth module's views are wrapped here, so it need not know.

A Redis that is down, or that accepts connections and never answers, must not hold up logins:
every Redis command has a connect and a read timeout (``PORTAL_REDIS_TIMEOUT``) and is not
retried, and then Flask-Limiter counts in process memory (its in-memory fallback) until Redis
answers again. The log says so with a warning, because the limit is then per worker, not shared.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import make_url

LIMITED_VIEWS = ("auth.login_provider", "auth.callback")


class _LimiterLog(logging.LoggerAdapter):
    """Flask-Limiter's own log, plus the portal's warning when the shared counters are not in force."""

    def __init__(self, app: Flask, where: str) -> None:
        super().__init__(logging.getLogger("flask-limiter"), {})
        self.app_logger, self.where = app.logger, where

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        text = str(msg)
        if "falling back to in-memory" in text:
            self.app_logger.warning("login rate limits are not shared: Redis at %s does not answer; each worker counts "
                                    "in its own memory until it does", self.where)
        elif "storage recovered" in text:
            self.app_logger.warning("login rate limits are shared again: Redis at %s answers", self.where)
        super().log(level, msg, *args, **kwargs)


def storage_options(app: Flask) -> dict[str, Any]:
    """What the Redis client is given: timeouts, and no retries (a Redis that does not answer is not asked again at once)."""
    seconds = float(app.config.get("PORTAL_REDIS_TIMEOUT") or 0.5)
    return {"socket_connect_timeout": seconds, "socket_timeout": seconds, "retry": Retry(NoBackoff(), 0)}


def init_app(app: Flask) -> Limiter:
    """A limiter per app (tests run several apps in one process); call after the auth blueprint is registered."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    url = app.config.get("PORTAL_REDIS_URL") or ""
    limiter = Limiter(get_remote_address, app=app, storage_uri=url or "memory://",
                      storage_options=storage_options(app) if url else {},
                      key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "portal",
                      in_memory_fallback_enabled=True, swallow_errors=True)
    if url:
        limiter.logger = _LimiterLog(app, make_url(url).render_as_string(hide_password=True))  # type: ignore[assignment]
    rate = app.config.get("PORTAL_LOGIN_RATE_LIMIT") or "10 per minute; 100 per hour"
    for endpoint in LIMITED_VIEWS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(rate)(app.view_functions[endpoint])  # type: ignore[assignment]
    app.register_error_handler(429, _too_many)
    return limiter


def _too_many(error: RateLimitExceeded) -> tuple[str, int]:
    limit = getattr(error, "limit", None)
    return render_template("errors/429.html", limit=str(limit.limit) if limit else "too many requests"), 429
