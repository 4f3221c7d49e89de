"""Login and callback are rate-limited per address; with Redis the counters are shared by all workers."""

from __future__ import annotations

import secrets
from pathlib import Path

import redis
import requests

from portal.extensions import db
from tests.common.apps import make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_a_login_burst_gets_429(live_server) -> None:
    s = requests.Session()
    answers = [s.get(f"{live_server.url}/auth/login/dev", allow_redirects=False) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [302] * 10
    refused = answers[10]
    assert refused.status_code == 429 and "Too many login attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert requests.get(f"{live_server.url}/login").status_code == 200  # the login page itself is not limited


def test_the_callback_is_limited_too(live_server) -> None:
    codes = [requests.get(f"{live_server.url}/auth/callback/dev", params={"code": "x", "state": "y"}).status_code
             for _ in range(11)]
    assert codes == [400] * 10 + [429]


def test_with_redis_the_limit_is_shared_by_two_workers(tmp_path: Path) -> None:
    prefix = f"portal-test-{secrets.token_hex(6)}"  # our own keys: other test runs may share this Redis
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    config = {"PORTAL_REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "PORTAL_LOGIN_RATE_LIMIT": "3 per minute"}
    apps = [make_app(url, tmp_path, **config), make_app(url, tmp_path, **config)]
    store = redis.Redis.from_url(REDIS_URL)
    try:
        first, second = (app.test_client() for app in apps)
        assert [first.get("/auth/login/dev").status_code for _ in range(2)] == [302, 302]
        assert store.keys(f"*{prefix}*"), "the counter is kept in Redis"
        assert second.get("/auth/login/dev").status_code == 302
        assert second.get("/auth/login/dev").status_code == 429  # the fourth, counted across both
        assert first.get("/auth/login/dev").status_code == 429
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_without_redis_the_limit_lives_in_memory(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, PORTAL_LOGIN_RATE_LIMIT="1 per minute")
    limiter = next(iter(app.extensions["limiter"]))
    assert type(limiter.storage).__name__ == "MemoryStorage"
    client = app.test_client()
    assert [client.get("/auth/login/dev").status_code for _ in range(2)] == [302, 429]


def test_login_still_works_and_is_limited_when_redis_is_unreachable(tmp_path) -> None:
    """A Redis outage must not lock everybody out: the limiter falls back to process memory."""
    from tests.common.apps import make_app

    app = make_app(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path, PORTAL_REDIS_URL="redis://127.0.0.1:1/0",
                   PORTAL_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.get("/auth/login/dev").status_code for _ in range(5)]
    assert statuses[0] != 500 and 429 in statuses
