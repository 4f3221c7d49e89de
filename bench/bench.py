"""Benchmarks: a membership change on a large project, a second worker's catch-up, a BQL query,
and beancount's own full load of the exported file for comparison.

The project has 300 members and 100,000 historical ledger entries (payments). Figures are
printed; timing limits belong here, never in the tests. Usage:
    python bench/bench.py [--entries 100000] [--members 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from beancount import loader

from ledger import entries as E
from ledger import export
from ledger import municipalities as M
from portal import changes, create_app
from portal.extensions import db
from portal.ledgers import Ledgers
from portal.models import LedgerPosting

PER_POSTING = 1000


def make_app(url: str, instance: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "DEV_IDP": False})
    return app


def seed(app, members: int, entries: int) -> list[str]:
    """A project with ``members`` cities and ``entries`` historical payment transactions."""
    from flask_migrate import upgrade

    codes = sorted(M.municipalities())
    with app.app_context():
        upgrade()
        changes.create_project("bench", name="Benchmark project", budget=52_000_000, start=dt.date(2020, 1, 1),
                               end=dt.date(2029, 12, 31), rule="population", population_year=2025, actor="bench")
        changes.add_members("bench", codes[:members], joined=dt.date(2020, 1, 1), decision="", actor="bench")
        project = changes.get_project("bench")
        names = {c: M.lookup(c).name for c in codes[:members]}
        seq = project.ledger_seq
        opening = '2020-01-01 open Assets:Bank EUR\n'
        day = dt.date(2020, 1, 2)
        made = 0
        while made < entries:
            batch = []
            for i in range(min(PER_POSTING, entries - made)):
                code = codes[(made + i) % members]
                date = day + dt.timedelta(days=(made + i) // 60)
                batch.append(
                    f'{date} * "{names[code]}" "Payment {made + i}"\n'
                    f"  Assets:Bank  10.00 EUR\n  {E.member_account(code, names[code])}  -10.00 EUR\n"
                )
            seq += 1
            text = (opening if made == 0 else "") + "\n".join(batch)
            db.session.add(LedgerPosting(project_id=project.id, seq=seq, text=text))
            made += len(batch)
        project.ledger_seq = seq
        db.session.commit()
    return codes


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    worker_a = make_app(url, workdir / "a")
    t_seed, codes = timed(lambda: seed(worker_a, args.members, args.entries))
    worker_b = make_app(url, workdir / "b")
    print(f"project: {args.members} members, {args.entries:,} historical entries ({url.split(':')[0]}); seeded in {t_seed:.1f} s")

    with worker_a.app_context():
        t_cold, journal = timed(lambda: changes.journal_for(changes.get_project("bench")))
        print(f"worker A cold start (parse every stored posting once): {t_cold * 1000:8.1f} ms, {len(journal):,} entries")
    with worker_b.app_context():
        changes.journal_for(changes.get_project("bench"))
        registry_b: Ledgers = worker_b.extensions["portal.ledgers"]

    joiners = [c for c in codes if c not in set(codes[: args.members])]
    results = []
    for i, code in enumerate(joiners[:5]):
        with worker_a.app_context():
            def change_and_query(code: str = code, i: int = i):
                changes.add_members("bench", [code], joined=dt.date(2026, 1, 1) + dt.timedelta(days=i), decision="", actor="bench")
                return changes.shares(changes.get_project("bench"))
            t_change, lines = timed(change_and_query)
            assert sum(s.share for s in lines) == 52_000_000
        with worker_b.app_context():
            before = registry_b.postings_read
            def catch_up():
                project = changes.get_project("bench")
                changes.state_for(project)  # the project's state: applies only the one new change
                return changes.journal_for(project)
            t_catch, journal_b = timed(catch_up)
            read = registry_b.postings_read - before
            assert journal_b.assessed()[code] > 0
        results.append((t_change, t_catch, read))
    print(f"one membership change until its shares can be queried (median of {len(results)}): {statistics.median(r[0] for r in results) * 1000:8.1f} ms")
    print(f"second worker sees it (reads {results[-1][2]} new posting):                   {statistics.median(r[1] for r in results) * 1000:8.1f} ms")
    with worker_a.app_context():
        changes.set_policy("bench", policy="pro-rata", actor="bench")
        t_pro, lines = timed(lambda: changes.add_members("bench", [joiners[5]], joined=dt.date(2026, 7, 1), decision="", actor="bench"))
        print(f"the same change under the pro-rata policy (10 years x {args.members + 6} members):  {t_pro * 1000:8.1f} ms")

    with worker_a.app_context():
        journal = changes.journal_for(changes.get_project("bench"))
        query = "SELECT account, sum(position) AS balance WHERE account ~ '^Assets:Receivable' GROUP BY account"
        t_query, result = timed(lambda: journal.query(query), repeat=3)
        print(f"BQL GROUP BY over the receivables ({len(result.rows)} accounts, median of 3):        {t_query * 1000:8.1f} ms")
        path = workdir / "bench.beancount"
        t_export, text = timed(lambda: export.render(journal.entries, title="Benchmark project"))
        path.write_text(text, encoding="utf-8")
        print(f"export to .beancount ({len(text) / 1e6:.1f} MB):                                  {t_export * 1000:8.1f} ms")
    t_load, (loaded, errors, _) = timed(lambda: loader.load_file(str(path)))
    assert not errors, errors[:3]
    print(f"for comparison, beancount's full load of the exported file ({len(loaded):,} entries): {t_load * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
