"""Login and callback are rate-limited per address; with Redis the counters are shared by all workers;
a Redis that is down or never answers holds no login up: the limits are counted in memory meanwhile."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from portal.extensions import db
from tests.common.apps import make_app

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


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


class Records(logging.Handler):
    """What a logger logged (caplog cannot be used: migrating reconfigures the root logger's handlers)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.getMessage()}")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on a loopback port that accepts every connection and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)  # kept open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_redis_that_never_answers_holds_no_login_up_and_the_log_says_the_limit_is_not_shared(tmp_path, silent_server) -> None:
    app = make_app(f"sqlite:///{tmp_path / 's.sqlite3'}", tmp_path, PORTAL_REDIS_URL=f"redis://127.0.0.1:{silent_server}/0",
                   PORTAL_REDIS_TIMEOUT=0.2, PORTAL_LOGIN_RATE_LIMIT="3 per minute")
    log = Records(app.logger)
    client = app.test_client()
    statuses: list[int] = []
    # In a thread only so that a login that blocks (no timeouts) fails the test instead of hanging it.
    logins = threading.Thread(target=lambda: statuses.extend(client.get("/auth/login/dev").status_code for _ in range(4)))
    logins.start()
    logins.join(timeout=120)
    assert not logins.is_alive(), "a login is still waiting for Redis"
    assert statuses == [302, 302, 302, 429]  # counted in memory meanwhile: still limited, never a 500
    assert any(m.startswith("WARNING") and "not shared" in m and str(silent_server) in m for m in log.messages), log.messages


def test_the_redis_client_has_timeouts_and_no_retries_and_the_real_redis_gives_no_warning(tmp_path) -> None:
    prefix = f"portal-test-{secrets.token_hex(6)}"
    app = make_app(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, PORTAL_REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                   PORTAL_REDIS_TIMEOUT=0.3, PORTAL_LOGIN_RATE_LIMIT="2 per minute")
    limiter = next(iter(app.extensions["limiter"]))
    kwargs = limiter.storage.storage.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.3
    assert kwargs["retry"].get_retries() == 0
    store = redis.Redis.from_url(REDIS_URL)
    log = Records(app.logger)
    try:
        client = app.test_client()
        assert [client.get("/auth/login/dev").status_code for _ in range(3)] == [302, 302, 429]
        assert store.keys(f"*{prefix}*")
        assert not [m for m in log.messages if "not shared" in m]
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()
