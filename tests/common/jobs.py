"""The job queue as the tests drive it: a real Redis (database 5), RQ's SimpleWorker in burst mode,
the in-process fallback, and waiting for a job to finish."""

from __future__ import annotations

import os
import signal
import time
import uuid

from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select

from ledger.errors import ImportRejected
from portal.extensions import db
from portal.jobs import services as jobs
from portal.jobs.models import Job

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def rq_config() -> dict[str, str]:
    """An app's settings for RQ on the tests' Redis, on a queue of its own (xdist workers share the database)."""
    return {"PORTAL_JOBS_REDIS_URL": REDIS_URL, "PORTAL_JOB_QUEUE": f"portal-test-{uuid.uuid4().hex}"}


def work(app: Flask) -> None:
    """Run what the app's RQ queue holds, in this process, as ``portal worker --burst`` does."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            connection = jobs.redis_connection(blocking=True)
            SimpleWorker([jobs.queue(connection)], connection=connection).work(burst=True, logging_level="WARNING")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def drop_queue(app: Flask) -> None:
    """The test's queue and RQ's registries of it, gone (each test has a queue of its own)."""
    with app.app_context():
        queue = jobs.queue()
        queue.delete(delete_jobs=True)
        for key in queue.connection.scan_iter(match=f"rq:*{queue.name}*"):
            queue.connection.delete(key)


def wait(app: Flask, job_id: int, timeout: float = 60.0) -> dict:
    """The job (as its JSON says) once it has finished (the in-process runner works in a thread of its own)."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            job = db.session.get(Job, job_id, populate_existing=True)
            assert job is not None
            found = job.to_json()
            db.session.commit()
            if found["status"] in ("done", "failed"):
                return found
            assert time.monotonic() < deadline, f"job {job_id} is still {found['status']} ({found['stage']})"
            time.sleep(0.02)


# -- job kinds of the tests' own ----------------------------------------------------------------
def counting(context: jobs.JobContext) -> dict:
    """A job kind that reports progress and reads it back, as a page would, while it runs."""
    total = int(context.params["total"])
    context.progress("counting", total // 2, total)
    with db.engine.connect() as conn:  # another connection: what a page sees meanwhile
        seen = conn.execute(select(Job.status, Job.stage, Job.done, Job.total).where(Job.id == context.id)).one()
    return {"summary": f"counted to {total}", "seen": list(seen), "actor": context.actor}


def refusing(context: jobs.JobContext) -> dict:
    raise ImportRejected("the import was refused; nothing was added", details=["line 3: not today"])


def crashing(context: jobs.JobContext) -> dict:
    raise RuntimeError("disk on fire")


KINDS = {"test-count": counting, "test-refuse": refusing, "test-crash": crashing}


def enqueue(app: Flask, kind: str, **params) -> int:
    with app.app_context():
        return jobs.enqueue(kind, params, "tester", title=f"a {kind} job").id


def rows(app: Flask) -> list[tuple[int, str]]:
    with app.app_context():
        return [(j.id, j.status) for j in db.session.execute(select(Job).order_by(Job.id)).scalars()]
