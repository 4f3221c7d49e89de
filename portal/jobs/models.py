"""The queue of record: one row per job, with its input, progress and result; its files beside it.

The table is the queue: a job is queued here first and RQ (or the in-process fallback) only says
which row to run next, so a job's state never lives in Redis alone, and a worker on another
machine reads everything it needs (its parameters, an uploaded file) from the database.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db

STATUSES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")


class Job(db.Model):  # type: ignore[name-defined]
    """One piece of work: its kind and parameters, who asked, its status, progress and result."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300), default="")
    params_json: Mapped[str] = mapped_column("params", Text, default="{}")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(50), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_json: Mapped[str | None] = mapped_column("result", Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def params(self) -> dict[str, Any]:
        return dict(json.loads(self.params_json or "{}"))

    @params.setter
    def params(self, value: dict[str, Any]) -> None:
        self.params_json = json.dumps(value, sort_keys=True, ensure_ascii=False)

    @property
    def result(self) -> dict[str, Any]:
        return dict(json.loads(self.result_json)) if self.result_json else {}

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def to_json(self) -> dict[str, Any]:
        """What the job's JSON endpoint says (times in UTC, ISO 8601)."""
        def iso(at: dt.datetime | None) -> str | None:
            return at.isoformat() + "Z" if at else None

        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status, "stage": self.stage,
                "done": self.done, "total": self.total, "result": self.result, "error": self.error,
                "created": iso(self.created_at), "started": iso(self.started_at), "finished": iso(self.finished_at)}


class JobFile(db.Model):  # type: ignore[name-defined]
    """A file a job reads (an uploaded import), kept in the database so any worker can run the job."""

    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class JobSlot(db.Model):  # type: ignore[name-defined]
    """The latest slot each periodic kind was queued for (``2026-12-02T01:39Z`` or ``2026-12-02``)."""

    __tablename__ = "job_schedule"

    kind: Mapped[str] = mapped_column(String(50), primary_key=True)
    slot: Mapped[str] = mapped_column(String(20))
