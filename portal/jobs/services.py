"""The kept job queue: enqueue work, run it once, record its progress and its result.

A job is a row of ``jobs`` (:class:`portal.jobs.models.Job`), committed before anything runs it.
Who runs it:

- **RQ** on the Redis of ``PORTAL_JOBS_REDIS_URL`` (default: ``PORTAL_REDIS_URL``) when one is
  configured: :func:`enqueue` puts the job's id on the queue ``PORTAL_JOB_QUEUE`` and
  ``portal worker`` (an RQ ``SimpleWorker`` inside the app) calls :func:`perform`;
- else, or when that Redis cannot be reached (a warning in the log), a background thread of the
  process that enqueued it (:class:`Runner`): the embedded default of ``make demo``.

Either way :func:`run` first *claims* the row (``queued`` → ``running`` in one ``UPDATE``), so a
job runs once even if two executors see it. A job's kind is a function registered by a domain
(:func:`register`, from the app factory); it reads its input from the database
(:class:`JobContext`), reports progress, and returns its result as JSON-ready data. A refusal
(``ledger.errors``, ``portal.errors.Forbidden``) fails the job with its message and details, as a
form would show them; anything else fails it with a short message, and the log has the traceback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import InvalidInput, NotFound, Phrase, Word
from ledger.errors import worded as english_of
from portal.clock import utcnow
from portal.errors import REFUSALS
from portal.extensions import db, rowcount
from portal.jobs.models import Job, JobFile

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 0.5        # progress is written at most this often (and at every new stage)
MAX_ID = 2**31 - 1            # ids beyond a database integer do not exist (and must not reach SQL)
FAILURE_TTL = 24 * 3600       # RQ keeps a failed job (a worker that died) this long; a result not at all: ours is the row


class JobContext:
    """What a running job sees: its parameters, who asked, its file, and a way to report progress."""

    def __init__(self, job: Job) -> None:
        self.id = job.id
        self.kind = job.kind
        self.params = job.params
        self.actor = job.actor
        self._stage = ""
        self._written = 0.0

    def file(self) -> JobFile:
        found: JobFile | None = db.session.execute(select(JobFile).where(JobFile.job_id == self.id)).scalar_one_or_none()
        if found is None:
            raise NotFound("job %(id)s has no file", id=self.id)
        return found

    def progress(self, stage: str, done: int, total: int) -> None:
        """Record how far the job is, on a connection of its own, so pages see it while the job runs.

        Never call it while holding a write lock of the job's own transaction (SQLite has one writer).
        """
        moment = time.monotonic()
        if stage == self._stage and moment - self._written < PROGRESS_SECONDS:
            return
        self._stage, self._written = stage, moment
        try:
            with db.engine.begin() as conn:
                conn.execute(update(Job).where(Job.id == self.id).values(stage=stage[:50], done=done, total=total))
        except SQLAlchemyError as exc:  # progress is for the page only: the job goes on without it
            log.warning("job %s: its progress could not be recorded (%s)", self.id, exc)


Kind = Callable[[JobContext], dict[str, Any]]


# -- what a job says, as data ----------------------------------------------------------------------
def N_(template: str) -> str:
    """A literal template marked for the catalogs (Babel extracts ``N_``) and kept as it is: a job's
    result is stored in English and worded again where a page shows it (``portal.jobs.views``)."""
    return template


def stored(template: str, **params: Any) -> dict[str, Any]:
    """A job's summary or error as the result keeps it: its ``%(name)s`` template, its values, and
    which values are :class:`~ledger.errors.Word` (translated as well), a :class:`~ledger.errors.Phrase`
    value stored the same way, so that a Finnish or Swedish page can word it again; JSON cannot tell a
    ``Word`` or a ``Phrase`` from another string."""
    return {"template": template, "params": {k: {"phrase": stored(v.template, **v.params)} if isinstance(v, Phrase) else v
                                             for k, v in params.items()},
            "words": sorted(k for k, v in params.items() if isinstance(v, Word))}


def text_of(worded: Mapping[str, Any]) -> str:
    """The English text of :func:`stored`, as the command line prints it and the result records it."""
    return english_of(str(worded["template"]), dict(worded.get("params") or {}))


def register(app: Flask, kinds: Mapping[str, Kind]) -> None:
    """Make job kinds known to ``app`` (the app factory registers every domain's)."""
    app.extensions.setdefault("portal.jobs", {}).update(kinds)


def kinds() -> dict[str, Kind]:
    found: dict[str, Kind] = current_app.extensions.get("portal.jobs", {})
    return found


def enqueue(kind: str, params: Mapping[str, Any], actor: str, *, title: str | Mapping[str, Any] = "", user_id: int | None = None,
            file: tuple[str, bytes] | None = None) -> Job:
    """Record a job (and its file) and hand it to an executor; it runs after this returns.

    ``title`` is English text, or a :func:`stored` template and values: then the row's title is its
    English text and the template is kept in the parameters (``title_worded``) for the job's page."""
    if not isinstance(title, str):
        params, title = {**params, "title_worded": dict(title)}, text_of(title)
    if kind not in kinds():
        raise InvalidInput("unknown job kind %(kind)s", kind=repr(kind))
    try:
        job = Job(kind=kind, title=title[:300], status="queued", actor=actor[:500], user_id=user_id)
        job.params = dict(params)
        db.session.add(job)
        db.session.flush()
        if file is not None:
            db.session.add(JobFile(job_id=job.id, filename=file[0][:255], content=file[1]))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    dispatch(job.id)
    return job


def redis_connection(*, blocking: bool = False) -> Redis:
    """The queue's Redis; a request never waits long for it (a worker's blocking read has no read timeout)."""
    url = str(current_app.config.get("PORTAL_JOBS_REDIS_URL") or "")
    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=None if blocking else 5)


def queue(connection: Redis | None = None) -> Queue:
    return Queue(str(current_app.config.get("PORTAL_JOB_QUEUE") or "portal"), connection=connection or redis_connection())


def dispatch(job_id: int) -> None:
    """RQ when configured and reachable; else this process's background thread."""
    if current_app.config.get("PORTAL_JOBS_REDIS_URL"):
        try:
            queue().enqueue(perform, job_id, job_timeout=int(current_app.config.get("PORTAL_JOB_TIMEOUT") or 3600),
                            result_ttl=0, failure_ttl=FAILURE_TTL, description=f"portal job {job_id}")
            return
        except RedisError as exc:
            log.warning("the job queue's Redis cannot be reached (%s): job %s runs in this process instead", exc, job_id)
    runner(current_app._get_current_object()).kick()  # type: ignore[attr-defined]  # the app, not its proxy


def get(job_id: int) -> Job:
    job: Job | None = db.session.get(Job, job_id) if 0 < job_id <= MAX_ID else None
    if job is None:
        raise NotFound("no job %(id)s", id=job_id)
    return job


# -- running ---------------------------------------------------------------------------------------
def _claim(job_id: int) -> bool:
    """``queued`` → ``running`` in one statement: only one executor wins a job."""
    try:
        result = db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                                    .values(status="running", started_at=utcnow(), stage="started"))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return rowcount(result) == 1


def _finish(job_id: int, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job is not None
    job.status, job.error, job.finished_at = status, error, utcnow()
    job.result_json = json.dumps(result or {}, ensure_ascii=False, default=str)
    if status == "done":
        job.stage, job.done = "done", max(job.done, job.total)
    db.session.commit()


def run(job_id: int) -> Job | None:
    """Run one queued job to its end and record how it ended; None if it was not queued (run already)."""
    if not _claim(job_id):
        return None
    job = get(job_id)
    kind = kinds().get(job.kind)
    context = JobContext(job)
    try:
        if kind is None:
            raise InvalidInput("unknown job kind %(kind)s", kind=repr(job.kind))
        result = kind(context)
    except REFUSALS as exc:
        db.session.rollback()
        lines = [stored(d.template, **d.params) if isinstance(d, Phrase) else None for d in exc.details]
        _finish(job_id, "failed", result={"errors": exc.details, "worded_error": stored(exc.template, **exc.params),
                                          **({"worded_errors": lines} if any(lines) else {})}, error=exc.message)
    except Exception as exc:  # a job's failure must be recorded, whatever it was; the log has the traceback
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        failure = stored(N_("the job failed unexpectedly (%(error)s); nothing was changed"), error=type(exc).__name__)
        _finish(job_id, "failed", result={"worded_error": failure}, error=text_of(failure))
    else:
        _finish(job_id, "done", result=result)
    return get(job_id)


def perform(job_id: int) -> str:
    """What RQ calls (``portal worker``): run the job inside the worker's app; its status."""
    try:
        job = run(job_id)
        return job.status if job else "not queued"
    finally:
        db.session.remove()


def run_queued(limit: int | None = None) -> int:
    """Run queued jobs, oldest first, until none is left (or ``limit``); how many ran here."""
    count = 0
    while limit is None or count < limit:
        job_id = db.session.scalar(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1))
        db.session.commit()
        if job_id is None:
            break
        if run(job_id) is not None:
            count += 1
    return count


class Runner:
    """The in-process fallback: one background thread per app that runs queued jobs, then stops.

    A web process without Redis runs its jobs here, so the embedded demo works; several processes
    may each have one, since :func:`run` claims every job before running it.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wanted = False

    def kick(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None:  # set back to None, under this lock, only as the thread stops
                self._thread = threading.Thread(target=self._loop, name="portal-jobs", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            with self.app.app_context():
                try:
                    run_queued()
                except Exception:  # the thread must survive a broken database; the jobs stay queued
                    log.exception("the in-process job runner failed")
                finally:
                    db.session.remove()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread has nothing left to do (for tests and an orderly shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def runner(app: Flask) -> Runner:
    found: Runner = app.extensions.setdefault("portal.jobs.runner", Runner(app))
    return found
