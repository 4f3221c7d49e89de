"""Rate limits on login and its callback, so nobody can hammer the provider round trip through us.

Counters live in Redis when ``PORTAL_REDIS_URL`` is set (shared by every worker), else in process
memory (one process: development). The auth module's views are wrapped here, so it need not know.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

LIMITED_VIEWS = ("auth.login_provider", "auth.callback")


def init_app(app: Flask) -> Limiter:
    """A limiter per app (tests run several apps in one process); call after the auth blueprint is registered."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # If Redis goes away, count in process memory meanwhile rather than refusing every login.
    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config.get("PORTAL_REDIS_URL") or "memory://",
                      key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "portal",
                      in_memory_fallback_enabled=True, swallow_errors=True)
    rate = app.config.get("PORTAL_LOGIN_RATE_LIMIT") or "10 per minute; 100 per hour"
    for endpoint in LIMITED_VIEWS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(rate)(app.view_functions[endpoint])  # type: ignore[assignment]
    app.register_error_handler(429, _too_many)
    return limiter


def _too_many(error: RateLimitExceeded) -> tuple[str, int]:
    limit = getattr(error, "limit", None)
    return render_template("errors/429.html", limit=str(limit.limit) if limit else "too many requests"), 429
