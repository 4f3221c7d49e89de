"""Configuration: production needs a secret key; the schema matches the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigError, from_environment, gunicorn_settings, server_settings

ROOT = Path(__file__).resolve().parents[2]


def test_production_requires_a_secret_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure_and_development_ones_need_not_be(tmp_path: Path) -> None:
    prod = from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x"})
    assert prod["SESSION_COOKIE_SECURE"] and prod["SESSION_COOKIE_HTTPONLY"] and prod["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not prod["DEV_IDP"]
    dev = from_environment(tmp_path, {"PORTAL_ENV": "development"})
    assert not dev["SESSION_COOKIE_SECURE"] and dev["SECRET_KEY"]
    with pytest.raises(ConfigError):
        from_environment(tmp_path, {"PORTAL_ENV": "staging"})


def test_the_dev_provider_is_off_unless_asked_for(tmp_path: Path) -> None:
    assert from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x", "PORTAL_DEV_IDP": "yes"})["DEV_IDP"] is False
    assert from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x", "PORTAL_DEV_IDP": "1"})["DEV_IDP"] is True


def test_models_and_migrations_agree(runner) -> None:
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def portal_command(*args: str) -> list[str]:
    """This worktree's ``portal`` command (not the installed script, which may be another checkout's)."""
    return [sys.executable, "-m", "portal.cli.main", *args]


def test_cli_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run(portal_command("shares", "iam"), env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "portal db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_run_refuses_production_without_a_secret(tmp_path: Path) -> None:
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_ENV": "production", "PYTHONPATH": str(ROOT)}
    env.pop("PORTAL_SECRET_KEY", None)
    result = subprocess.run(portal_command("run"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "PORTAL_SECRET_KEY" in result.stderr


def test_behind_a_trusted_proxy_hsts_follows_the_forwarded_scheme(tmp_path: Path) -> None:
    from tests.common.apps import make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, PORTAL_TRUSTED_PROXIES=1)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert "Strict-Transport-Security" in response.headers
    plain = make_app(f"sqlite:///{tmp_path / 'q.sqlite3'}", tmp_path / "q").test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers  # without the setting, forwarded headers are not trusted


def test_a_bad_proxy_count_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXIES"):
        from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x", "PORTAL_TRUSTED_PROXIES": "two"})


# -- waiting, and serving ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["PORTAL_LOCK_SECONDS", "PORTAL_REDIS_TIMEOUT"])
def test_seconds_are_positive_numbers(tmp_path: Path, name: str) -> None:
    base = {"PORTAL_SECRET_KEY": "x"}
    assert from_environment(tmp_path, base)[name] > 0
    assert from_environment(tmp_path, base | {name: "2.5"})[name] == 2.5
    for bad in ("0", "-1", "abc", "1e3", "５", "10000", "0.0001"):
        with pytest.raises(ConfigError, match=name):
            from_environment(tmp_path, base | {name: bad})


def test_a_change_waits_a_few_seconds_for_the_lock_by_default(tmp_path: Path) -> None:
    config = from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x"})
    assert config["PORTAL_LOCK_SECONDS"] == 5 and config["PORTAL_REDIS_TIMEOUT"] == 0.5


def test_gunicorn_runs_threads_with_its_timeouts_chosen(tmp_path: Path) -> None:
    """``portal run``'s settings and the module ``gunicorn -c python:portal.gunicorn_conf`` reads are the same."""
    chosen = gunicorn_settings(from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x"}))
    assert chosen == {"worker_class": "gthread", "workers": 2, "threads": 4, "timeout": 60, "graceful_timeout": 30, "keepalive": 5}
    env = {**os.environ, "PORTAL_WORKERS": "3", "PORTAL_THREADS": "8", "PORTAL_WORKER_TIMEOUT": "90", "PYTHONPATH": str(ROOT)}
    script = ("from gunicorn.app.base import Application\nfrom gunicorn.config import Config\n"
              "app = Application.__new__(Application)\napp.cfg = Config()\n"
              "app.load_config_from_module_name_or_filename('python:portal.gunicorn_conf')\n"
              "c = app.cfg\nprint(c.worker_class_str, c.workers, c.threads, c.timeout, c.graceful_timeout)\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["gthread", "3", "8", "90", "30"], done.stderr
    with pytest.raises(ConfigError, match="PORTAL_WORKERS"):
        server_settings({"PORTAL_WORKERS": "0"})


def test_the_query_limits_are_configurable(tmp_path: Path) -> None:
    assert from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x"})["PORTAL_QUERY_SECONDS"] == 10.0
    assert from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x"})["PORTAL_QUERY_MEMORY_MB"] == 1024
    config = from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x", "PORTAL_QUERY_SECONDS": "2.5", "PORTAL_QUERY_MEMORY_MB": "256"})
    assert (config["PORTAL_QUERY_SECONDS"], config["PORTAL_QUERY_MEMORY_MB"]) == (2.5, 256)
    for bad in ("0", "-1", "1e3", "ten", "１０", "NaN"):
        with pytest.raises(ConfigError, match="PORTAL_QUERY_SECONDS must be a positive number of seconds"):
            from_environment(tmp_path, {"PORTAL_SECRET_KEY": "x", "PORTAL_QUERY_SECONDS": bad})
