"""Jobs by the clock: each periodic kind queued once per slot, however many workers tick at once."""

from __future__ import annotations

import datetime as dt
import threading

from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import schedule
from portal.jobs import services as jobs
from portal.jobs.models import Job
from tests.common.apps import dispose, make_app, migrated_database

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def queued(app: Flask, kind: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == kind)) or 0


def test_slots_are_minutes_in_utc_and_days_from_a_helsinki_hour() -> None:
    assert schedule.Every(1).slot(at("2026-12-02T01:39:59")) == "2026-12-02T01:39Z"
    assert schedule.Every(15).slot(at("2026-12-02T01:39:59")) == "2026-12-02T01:30Z"
    # 7 o'clock in Helsinki is 05:00 UTC in winter, 04:00 UTC in summer.
    assert schedule.Daily(7).slot(at("2026-12-02T04:59:00")) == "2026-12-01"
    assert schedule.Daily(7).slot(at("2026-12-02T05:00:00")) == "2026-12-02"
    assert schedule.Daily(7).slot(at("2026-06-02T04:00:00")) == "2026-06-02"


def test_each_periodic_job_is_queued_once_per_slot(app: Flask) -> None:
    with app.app_context():
        assert schedule.periodic().keys() == {"notify-digest", "notify-overdue"}
        assert schedule.tick(at("2026-12-02T06:00:10")) == ["notify-digest", "notify-overdue"]
        assert schedule.tick(at("2026-12-02T06:00:50")) == []
        assert schedule.tick(at("2026-12-02T06:01:00")) == ["notify-digest"]
        assert schedule.tick(at("2026-12-02T05:59:00")) == []  # a clock that went back queues nothing twice
        assert schedule.tick(at("2026-12-03T05:00:00")) == ["notify-digest", "notify-overdue"]
    assert queued(app, "notify-digest") == 3 and queued(app, "notify-overdue") == 2


def test_workers_ticking_at_the_same_moment_queue_the_job_once(backend: str, tmp_path) -> None:
    url = migrated_database(backend, tmp_path)
    apps = [make_app(url, tmp_path / str(i)) for i in range(4)]
    results: list[list[str]] = []
    start = threading.Barrier(len(apps))

    def worker(app: Flask) -> None:
        with app.app_context():
            start.wait()
            results.append(schedule.tick(at("2026-12-02T06:00:00")))

    threads = [threading.Thread(target=worker, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert sorted(k for r in results for k in r) == ["notify-digest", "notify-overdue"]
        assert queued(apps[0], "notify-digest") == 1 and queued(apps[0], "notify-overdue") == 1
    finally:
        for a in apps:
            dispose(a)


def test_the_ticker_runs_in_the_background_and_stops(app: Flask) -> None:
    ticker = schedule.Ticker(app, seconds=0.05).start()
    try:
        for _ in range(200):
            if queued(app, "notify-digest"):
                break
            threading.Event().wait(0.05)
    finally:
        ticker.stop()
    assert queued(app, "notify-digest") >= 1


def test_done_scheduled_jobs_are_pruned_after_a_week(app: Flask) -> None:
    with app.app_context():
        schedule.tick(at("2026-11-20T06:00:00"))
        jobs.runner(app).join(30)  # the in-process runner has run them: their rows are final
        for job in db.session.execute(select(Job)).scalars():
            job.status, job.finished_at = "done", dt.datetime(2026, 11, 20, 6, 0, 5)
        db.session.commit()
        schedule.tick(at("2026-11-26T06:00:10"))  # six days later: still kept
        assert queued(app, "notify-overdue") == 2
        schedule.tick(at("2026-11-28T06:00:10"))  # eight days later: the first day's rows are gone
    assert queued(app, "notify-overdue") == 2 and queued(app, "notify-digest") == 2
