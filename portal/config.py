"""Configuration from environment variables (``PORTAL_*``); see the README for the list."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The portal cannot start with this configuration; the message says what to set."""


def _instance_secret(instance: Path) -> str:
    """A development-only secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "dev-secret-key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _count(env, key: str, default: int) -> int:
    raw = env.get(key, "")
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{key} must be a whole number (0 or more), not {raw!r}")
    return int(raw)


def from_environment(instance: Path, environ: os._Environ | dict | None = None) -> dict:
    env = os.environ if environ is None else environ
    mode = env.get("PORTAL_ENV", "production")
    if mode not in ("production", "development"):
        raise ConfigError(f"PORTAL_ENV must be 'production' or 'development', not {mode!r}")
    development = mode == "development"
    database = env.get("PORTAL_DATABASE_URL") or f"sqlite:///{instance / 'portal.sqlite3'}"
    secret = env.get("PORTAL_SECRET_KEY") or (_instance_secret(instance) if development else None)
    return {
        "PORTAL_ENV": mode,
        "DEVELOPMENT": development,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database,
        "DEV_IDP": env.get("PORTAL_DEV_IDP", "") == "1",
        # The bundled development provider's issuer: the portal's own address + /dev-idp.
        "DEV_IDP_ISSUER": env.get("PORTAL_DEV_IDP_ISSUER", "http://127.0.0.1:5000/dev-idp"),
        "PROVIDERS_FILE": env.get("PORTAL_PROVIDERS_FILE") or None,  # TOML, see docs/providers.example.toml
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "PREFERRED_URL_SCHEME": "http" if development else "https",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # Server-side sessions (portal.sessions) and login rate limits (portal.ratelimit).
        "PORTAL_SESSION_IDLE_MINUTES": _positive(env, "PORTAL_SESSION_IDLE_MINUTES", 30),
        "PORTAL_SESSION_MAX_HOURS": _positive(env, "PORTAL_SESSION_MAX_HOURS", 10),
        "PORTAL_REDIS_URL": env.get("PORTAL_REDIS_URL", ""),
        # The job queue (portal.jobs): RQ on this Redis, else a thread of the web process.
        "PORTAL_JOBS_REDIS_URL": env.get("PORTAL_JOBS_REDIS_URL") or env.get("PORTAL_REDIS_URL", ""),
        "PORTAL_JOB_QUEUE": env.get("PORTAL_JOB_QUEUE") or "portal",
        "PORTAL_JOB_TIMEOUT": _positive(env, "PORTAL_JOB_TIMEOUT", 3600),
        # How many reverse proxies in front of the portal set X-Forwarded-For/-Proto/-Host (0: none).
        # Without it, behind a TLS-terminating proxy, HSTS is never sent and every user shares the
        # proxy's address for the login rate limit.
        "PORTAL_TRUSTED_PROXIES": _count(env, "PORTAL_TRUSTED_PROXIES", 0),
        "PORTAL_LOGIN_RATE_LIMIT": env.get("PORTAL_LOGIN_RATE_LIMIT", "10 per minute; 100 per hour"),
        # Documents (portal.documents): the largest PDF accepted, in MB (MAX_CONTENT_LENGTH is raised to admit it).
        "PORTAL_MAX_DOCUMENT_MB": _positive(env, "PORTAL_MAX_DOCUMENT_MB", 10),
        # Where the accessibility statement sends feedback (saavutettavuuspalaute).
        "PORTAL_ACCESSIBILITY_EMAIL": _email(env, "PORTAL_ACCESSIBILITY_EMAIL"),
        **limit_settings(env),
        **server_settings(env),
        **mail_settings(env),
    }


def limit_settings(env: os._Environ | dict) -> dict:
    """How long the portal waits for what it does not control (Redis, locks, queries), and how much a query may use."""
    return {
        # How long a Redis command of the rate limiter may take (connect, and each answer) before the
        # limits are counted in process memory instead: a Redis that never answers must not hold up logins.
        "PORTAL_REDIS_TIMEOUT": _seconds(env, "PORTAL_REDIS_TIMEOUT", 0.5),
        # How long a change waits for another change of the same project (its row lock; SQLite's busy
        # timeout for any write) before it is refused as busy, "try again", with nothing changed.
        "PORTAL_LOCK_SECONDS": _seconds(env, "PORTAL_LOCK_SECONDS", 5),
        # A BQL query runs in a child process that is ended after this many seconds, or when it
        # needs more memory than this (ledger.sandbox); keep the seconds below gunicorn's timeout.
        "PORTAL_QUERY_SECONDS": _seconds(env, "PORTAL_QUERY_SECONDS", 10.0),
        "PORTAL_QUERY_MEMORY_MB": _positive(env, "PORTAL_QUERY_MEMORY_MB", 1024),
    }


def mail_settings(env: os._Environ | dict) -> dict:
    """The SMTP server of notifications (Flask-Mail's ``MAIL_*``); without a server, emails go to the instance folder."""
    server = env.get("PORTAL_MAIL_SERVER", "").strip()
    tls = env.get("PORTAL_MAIL_USE_TLS", "")
    if tls not in ("", "0", "1"):
        raise ConfigError(f"PORTAL_MAIL_USE_TLS must be 1 or 0, not {tls!r}")
    return {
        "MAIL_SERVER": server,
        "MAIL_PORT": _positive(env, "PORTAL_MAIL_PORT", 587 if tls != "0" else 25),
        "MAIL_USE_TLS": bool(server) and tls != "0",
        "MAIL_USE_SSL": False,
        # From the environment only, never a file in the repository.
        "MAIL_USERNAME": env.get("PORTAL_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("PORTAL_MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": _email(env, "PORTAL_MAIL_SENDER") or "portal@localhost",
        # The portal's address as its users reach it, for the links in emails (sent outside any request).
        "PORTAL_BASE_URL": env.get("PORTAL_BASE_URL", "").strip() or "http://127.0.0.1:5000",
        # A user's events wait until the newest is this many minutes old, then go as one digest.
        "PORTAL_NOTIFY_DIGEST_MINUTES": _count(env, "PORTAL_NOTIFY_DIGEST_MINUTES", 10),
    }


def server_settings(environ: os._Environ | dict | None = None) -> dict:
    """gunicorn's processes, threads in each, and timeouts (``portal run``, ``portal.gunicorn_conf``)."""
    env = os.environ if environ is None else environ
    return {
        "PORTAL_WORKERS": _positive(env, "PORTAL_WORKERS", 2),
        "PORTAL_THREADS": _positive(env, "PORTAL_THREADS", 4),
        "PORTAL_WORKER_TIMEOUT": _positive(env, "PORTAL_WORKER_TIMEOUT", 60),
        "PORTAL_GRACEFUL_TIMEOUT": _positive(env, "PORTAL_GRACEFUL_TIMEOUT", 30),
    }


def _positive(env: os._Environ | dict, name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def _email(env: os._Environ | dict, name: str) -> str:
    """An address for people to write to, or ``""`` when unset; only its shape is checked."""
    value = env.get(name, "").strip()
    if value and (value.count("@") != 1 or any(c.isspace() for c in value) or value.startswith("@") or value.endswith("@")):
        raise ConfigError(f"{name} must be an email address, not {value!r}")
    return value


def gunicorn_settings(config: dict) -> dict:
    """gunicorn's settings from the portal's configuration; why each value: ``portal.gunicorn_conf``."""
    return {"worker_class": "gthread", "workers": int(config["PORTAL_WORKERS"]), "threads": int(config["PORTAL_THREADS"]),
            "timeout": int(config["PORTAL_WORKER_TIMEOUT"]), "graceful_timeout": int(config["PORTAL_GRACEFUL_TIMEOUT"]),
            "keepalive": 5}


_SECONDS = re.compile(r"^[0-9]{1,4}(\.[0-9]{1,3})?$")


def _seconds(env: os._Environ | dict, name: str, default: float) -> float:
    """A positive number of seconds, at most 9999 (``5``, ``0.5``)."""
    value = env.get(name) or str(default)
    if not _SECONDS.match(value) or float(value) <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds (like 5 or 0.5), not {value!r}")
    return float(value)
