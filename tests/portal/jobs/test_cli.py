"""``portal worker``: RQ's worker in the app when Redis is configured, else the jobs table itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from portal import demo
from portal.accounting import services as accounting
from portal.extensions import db
from portal.jobs.models import Job
from tests.common.apps import dispose, make_app, migrated_database
from tests.common.jobs import drop_queue, enqueue, rq_config, wait

ROOT = Path(__file__).resolve().parents[3]


def test_portal_worker_burst_runs_the_queue(rq_app: Flask) -> None:
    job_id = enqueue(rq_app, "test-count", total=4)
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert wait(rq_app, job_id, timeout=5)["status"] == "done"


def test_portal_worker_without_redis_runs_what_the_table_holds(thread_app: Flask) -> None:
    with thread_app.app_context():
        job = Job(kind="test-count", title="left over", status="queued", actor="tester")
        job.params = {"total": 3}
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    result = thread_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0 and "1 jobs run from the database" in result.output, result.output
    assert wait(thread_app, job_id)["status"] == "done"


@pytest.fixture
def sqlite_rq_app(tmp_path: Path):
    """One backend is enough to show the process boundary (a child process costs seconds)."""
    application = make_app(migrated_database("sqlite", tmp_path), tmp_path, **rq_config())
    with application.app_context():
        demo.load()
    yield application
    drop_queue(application)
    dispose(application)


def test_a_worker_in_another_process_runs_an_import_from_the_database(sqlite_rq_app: Flask, tmp_path: Path) -> None:
    """Nothing but the database and the queue connect the web process and the worker."""
    rq_app = sqlite_rq_app
    content = b'2026-02-01 open Assets:Bank EUR\n\n2026-02-15 * "Porvoo" "Payment"\n  Assets:Bank  10.00 EUR\n' \
              b'  Assets:Receivable:Members:Porvoo-638  -10.00 EUR\n'
    with rq_app.app_context():
        job_id = accounting.enqueue_import("iam", content, filename="feb.beancount", actor="acc", user_id=None).id
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PORTAL_INSTANCE_PATH": str(tmp_path / "worker"), "PORTAL_ENV": "development",
           "PORTAL_DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"], "PORTAL_REDIS_URL": "",
           "PORTAL_JOBS_REDIS_URL": rq_app.config["PORTAL_JOBS_REDIS_URL"], "PORTAL_JOB_QUEUE": rq_app.config["PORTAL_JOB_QUEUE"]}
    worker = subprocess.run([sys.executable, "-c", "from portal.cli.main import main; main()", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    job = wait(rq_app, job_id, timeout=5)
    assert job["status"] == "done" and job["result"]["summary"] == "Imported 1 transactions from feb.beancount as import 1 (posting 5)"
