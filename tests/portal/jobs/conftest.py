"""The job tests' apps: the demo project with its queue on the tests' Redis, or with the in-process fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from portal import demo
from portal.jobs import services as jobs
from tests.common.apps import dispose, make_app, migrated_database
from tests.common.jobs import KINDS, drop_queue, rq_config


@pytest.fixture
def rq_app(backend: str, tmp_path: Path):
    """The portal with the demo project, its job queue on the tests' Redis (database 5)."""
    application = make_app(migrated_database(backend, tmp_path), tmp_path, **rq_config())
    jobs.register(application, KINDS)
    with application.app_context():
        demo.load()
    yield application
    drop_queue(application)
    dispose(application)


@pytest.fixture
def thread_app(loaded: Flask) -> Flask:
    jobs.register(loaded, KINDS)
    return loaded
