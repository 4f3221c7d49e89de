"""Benchmark: a 100,000-transaction import as a job, run by ``portal worker --burst`` in a process of its own.

Prints the time in the job (the job row's started → finished), the stages it went through, the
worker process's peak memory (its maximum resident set), and the same for the reversal of the
import. The demo project is the ledger (17 members, 2025–2029). Figures only: timing limits
belong here, never in the tests. Usage:
    python bench/bench_imports.py [--transactions 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from portal import create_app, demo  # noqa: E402
from portal.accounting import services as accounting  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.jobs.models import Job  # noqa: E402

MEMBERS = ["Porvoo-638", "Kouvola-286", "Kotka-285", "Vaasa-905", "Pori-609"]


def payments(count: int) -> bytes:
    """``count`` payments over 2026, each with its bank reference, as a bank's export would hold them."""
    lines = ["2026-01-01 open Assets:Bank EUR", ""]
    start = dt.date(2026, 1, 1)
    for i in range(count):
        day = start + dt.timedelta(days=i % 365)
        cents = 100 + i % 99_900
        lines.append(f'{day} * "{MEMBERS[i % 5].split("-")[0]}" "Payment {i}"\n  bank-ref: "B{i:08d}"\n'
                     f'  Assets:Bank  {cents // 100}.{cents % 100:02d} EUR\n'
                     f'  Assets:Receivable:Members:{MEMBERS[i % 5]}  -{cents // 100}.{cents % 100:02d} EUR\n')
    return "\n".join(lines).encode()


CHILD = """
import resource, sys
from portal.cli.main import main
try:
    main()
finally:
    print(f"peak-kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def worker(env: dict[str, str]) -> tuple[float, int]:
    """Run ``portal worker --burst`` (this tree's) in a child process: wall seconds, its peak RSS in kB."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "worker", "--burst"], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(done.stderr)
    peak = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak-kb ")]
    return wall, peak[-1] if peak else 0


def report(app, job_id: int, wall: float, peak_kb: int, what: str) -> None:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        in_job = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else float("nan")
        print(f"{what}: {job.status} — {job.result.get('summary') or job.error}")
        print(f"  time in the job: {in_job:.1f} s; worker process {wall:.1f} s (with its start); peak memory {peak_kb / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PORTAL_INSTANCE_PATH": str(folder), "PORTAL_ENV": "development",
           "PORTAL_DATABASE_URL": url, "PORTAL_REDIS_URL": "", "PORTAL_JOBS_REDIS_URL": ""}
    os.environ["PORTAL_INSTANCE_PATH"] = str(folder)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "DEV_IDP": False, "PORTAL_JOBS_REDIS_URL": ""})
    content = payments(args.transactions)
    with app.app_context():
        upgrade()
        demo.load()
        # Queued straight in the table: the worker (the database executor of ``portal worker``) runs it.
        job = Job(kind="ledger-import", title="bench", status="queued", actor="bench")
        job.params = {"slug": "iam"}
        db.session.add(job)
        db.session.flush()
        from portal.jobs.models import JobFile

        db.session.add(JobFile(job_id=job.id, filename="bench.beancount", content=content))
        db.session.commit()
        job_id = job.id
    print(f"import of {args.transactions:,} transactions ({len(content) / 1e6:.1f} MB) into the demo project ({url.split(':')[0]})")
    wall, peak = worker(env)
    report(app, job_id, wall, peak, "import")
    with app.app_context():
        revert = Job(kind="ledger-import-revert", title="bench", status="queued", actor="bench")
        revert.params = {"slug": "iam", "number": 1, "reason": "bench"}
        db.session.add(revert)
        db.session.commit()
        revert_id = revert.id
        assert accounting.imports_of(accounting.get_project("iam"))
    wall, peak = worker(env)
    report(app, revert_id, wall, peak, "reversal")


if __name__ == "__main__":
    main()
