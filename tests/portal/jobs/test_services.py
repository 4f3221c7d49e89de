"""The kept job queue: through RQ on a real Redis and through the in-process fallback, with progress,
results and failures recorded in the jobs table."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask

from ledger.errors import InvalidInput, NotFound
from portal.accounting import services as accounting
from portal.jobs import services as jobs
from tests.common.apps import dispose, make_app
from tests.common.jobs import KINDS, enqueue, rows, wait, work

PAYMENTS = """2026-02-01 open Assets:Bank EUR
{payments}"""


def payments(count: int) -> bytes:
    body = "".join(f'\n2026-03-{1 + i % 28:02d} * "Porvoo" "Payment {i}"\n  bank-ref: "R{i}"\n  Assets:Bank  1.00 EUR\n'
                   f'  Assets:Receivable:Members:Porvoo-638  -1.00 EUR\n' for i in range(count))
    return PAYMENTS.format(payments=body).encode()


# -- through RQ ------------------------------------------------------------------------------------
def test_rq_runs_a_queued_job_and_records_progress_and_result(rq_app: Flask) -> None:
    job_id = enqueue(rq_app, "test-count", total=10)
    assert rows(rq_app) == [(job_id, "queued")]
    with rq_app.app_context():
        assert jobs.queue().count == 1
    work(rq_app)
    job = wait(rq_app, job_id, timeout=5)
    assert job["status"] == "done" and job["done"] == job["total"] == 10 and job["stage"] == "done"
    assert job["result"] == {"summary": "counted to 10", "seen": ["running", "counting", 5, 10], "actor": "tester"}
    assert job["started"] and job["finished"] and job["error"] is None


def test_rq_records_a_refusal_and_a_crash(rq_app: Flask, caplog) -> None:
    refused, crashed = enqueue(rq_app, "test-refuse"), enqueue(rq_app, "test-crash")
    logger = logging.getLogger("portal.jobs.services")
    logger.addHandler(caplog.handler)  # the migration's logging setup has replaced the root's handlers
    try:
        with caplog.at_level(logging.ERROR, logger="portal.jobs.services"):
            work(rq_app)
    finally:
        logger.removeHandler(caplog.handler)
    assert wait(rq_app, refused)["error"] == "the import was refused; nothing was added"
    assert wait(rq_app, refused)["result"] == {"errors": ["line 3: not today"], "worded_error": {
        "template": "the import was refused; nothing was added", "params": {}, "words": []}}
    crash = wait(rq_app, crashed)
    assert crash["status"] == "failed" and crash["error"] == "the job failed unexpectedly (RuntimeError); nothing was changed"
    assert crash["result"]["worded_error"] == {"template": "the job failed unexpectedly (%(error)s); nothing was changed",
                                               "params": {"error": "RuntimeError"}, "words": []}
    assert "disk on fire" in caplog.text  # the traceback is in the log, not on the page


def test_an_import_through_rq_reads_its_file_from_the_database(rq_app: Flask) -> None:
    with rq_app.app_context():
        job_id = accounting.enqueue_import("iam", payments(3000), filename="march.beancount", actor="acc", user_id=None).id
    work(rq_app)
    job = wait(rq_app, job_id)
    assert job["status"] == "done", job
    assert job["result"]["summary"] == "Imported 3000 transactions from march.beancount as import 1 (posting 5)"
    assert job["total"] == 3000 and job["done"] == 3000
    with rq_app.app_context():
        assert [r.transactions for r in accounting.imports_of(accounting.get_project("iam"))] == [3000]


def test_a_job_runs_once(rq_app: Flask) -> None:
    job_id = enqueue(rq_app, "test-count", total=2)
    with rq_app.app_context():
        assert jobs.run(job_id) is not None
        assert jobs.run(job_id) is None  # claimed already: RQ's own delivery of it does nothing
    work(rq_app)
    assert wait(rq_app, job_id)["status"] == "done"


# -- without Redis ---------------------------------------------------------------------------------
def test_without_redis_a_thread_of_the_web_process_runs_the_job(thread_app: Flask) -> None:
    job_id = enqueue(thread_app, "test-count", total=6)
    job = wait(thread_app, job_id)
    assert job["status"] == "done" and job["result"]["seen"] == ["running", "counting", 3, 6]
    failed = wait(thread_app, enqueue(thread_app, "test-refuse"))
    assert failed["status"] == "failed" and failed["result"]["errors"] == ["line 3: not today"]


def test_an_unreachable_redis_falls_back_to_the_thread_with_a_warning(tmp_path: Path, caplog) -> None:
    application = make_app(f"sqlite:///{tmp_path / 'j.sqlite3'}", tmp_path, PORTAL_JOBS_REDIS_URL="redis://127.0.0.1:1/0")
    jobs.register(application, KINDS)
    logger = logging.getLogger("portal.jobs.services")
    logger.addHandler(caplog.handler)  # the migration's logging setup has replaced the root's handlers
    try:
        with caplog.at_level(logging.WARNING, logger="portal.jobs.services"):
            job_id = enqueue(application, "test-count", total=2)
        assert "the job queue's Redis cannot be reached" in caplog.text
        assert wait(application, job_id)["status"] == "done"
    finally:
        logger.removeHandler(caplog.handler)
        dispose(application)


def test_unknown_kinds_and_jobs(thread_app: Flask) -> None:
    with thread_app.app_context():
        with pytest.raises(InvalidInput, match="unknown job kind 'nope'"):
            jobs.enqueue("nope", {}, "tester")
        for job_id in (0, -1, 999, 2**40):
            with pytest.raises(NotFound, match=f"no job {job_id}"):
                jobs.get(job_id)
