"""``make bench``: what a change costs on a big project, on SQLite and on PostgreSQL, and the ratios.

The project has 300 members and 100,000 historical ledger entries (payments, imported 1,000 a
posting through ``post_entries``); a twin has the same members and no history. Printed, for each
database, with the targets of issue 9:

- one membership change, warm, median (target ≤ 50 ms), and until its shares can be read;
- a second worker sees it (its shares, caught up): median (target ≤ 100 ms);
- the same change through the CLI (a fresh process) on the big project and on the twin (target
  ratio ≤ 1.5);
- a cold start of a worker (a new app until its first shares) against Fava loading the exported
  file and beancount's ``loader.load_file``, each in a fresh process of its own (target: at least
  3× faster than Fava); and, for the record, a cold load of the in-memory journal that queries
  and exports use.

Timing limits live here, never in the tests; ``--quick`` (small sizes) is what the suite's smoke
test runs, and it checks only that this runs and prints. Usage::

    python bench/bench.py [--quick] [--entries N] [--members N] [--database-url URL ...]

PostgreSQL: ``PORTAL_BENCH_DATABASE_URL`` (or ``--database-url``) names a scratch database; its
``public`` schema is dropped and made again. Without one only SQLite is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from beancount.core import data  # noqa: E402
from beancount.core.amount import Amount  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from ledger import entries as E  # noqa: E402
from ledger import municipalities as M  # noqa: E402
from ledger.money import to_decimal  # noqa: E402
from portal import create_app  # noqa: E402
from portal.accounting import services as accounting  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.projects import services as changes  # noqa: E402

T = TypeVar("T")
PER_POSTING = 1000
START, END = dt.date(2020, 1, 1), dt.date(2029, 12, 31)
TARGETS = {"change": 0.050, "seen": 0.100, "cli_ratio": 1.5, "fava_ratio": 3.0}


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def cpu_timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    """Wall-clock seconds, and this process's CPU seconds (what is not waiting for the database or the machine)."""
    cpu = time.process_time()
    wall, result = timed(fn)
    return wall, time.process_time() - cpu, result


def make_app(url: str, instance: Path) -> Flask:
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "DEV_IDP": False, "PORTAL_REDIS_URL": ""})


def fresh_schema(url: str) -> None:
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()


def payments(codes: list[str], first: int, count: int) -> list[data.Directive]:
    """``count`` payments by the members in turn: ``Assets:Bank`` against each member's receivable."""
    made: list[data.Directive] = []
    for n in range(first, first + count):
        code = codes[n % len(codes)]
        date = START + dt.timedelta(days=1 + n // 60)
        account = E.member_account(code, M.lookup(code).name)
        postings = [data.Posting("Assets:Bank", Amount(to_decimal(1000), "EUR"), None, None, None, None),
                    data.Posting(account, Amount(to_decimal(-1000), "EUR"), None, None, None, None)]
        made.append(data.Transaction({}, date, "*", M.lookup(code).name, f"Payment {n}", frozenset(), frozenset(), postings))
    return made


def seed(app: Flask, slug: str, codes: list[str], entries: int) -> None:
    """A project of ``codes`` from 2020 to 2029 (population rule), with ``entries`` payments after it."""
    with app.app_context():
        changes.create_project(slug, name=f"Benchmark {slug}", budget=52_000_000, start=START, end=END, rule="population",
                               population_year=2025, actor="bench")
        changes.add_members(slug, codes, joined=START, decision="", actor="bench")
        made = 0
        while made < entries:
            batch = payments(codes, made, min(PER_POSTING, entries - made))
            if made == 0:
                batch.insert(0, E.open_entry(START, "Assets:Bank", {}))

            def build(project: Any, journal: Any, batch: list[data.Directive] = batch) -> tuple[Any, list[Any], dict[str, Any]]:
                op = changes.make_op("ledger-imported", START, "bench", f"{len(batch)} payments", filename="bench")
                return op, batch, {"transactions": len(batch)}

            changes.post_entries(slug, build)
            made += PER_POSTING
        db.session.remove()


def outsiders(codes: list[str], members: int) -> list[str]:
    return [c for c in codes if c not in set(codes[:members])]


class Moves:
    """Membership changes that can go on for ever: an outsider joins, next time it withdraws, then rejoins…"""

    def __init__(self, pool: list[str], first: dt.date) -> None:
        self.pool, self.day, self.turn = pool, first, 0
        self.inside: set[tuple[str, str]] = set()

    def next(self, slug: str) -> tuple[str, str, dt.date]:
        """(``add`` or ``withdraw``, the city, the date) of the next change of ``slug``."""
        code = self.pool[self.turn % len(self.pool)]
        self.turn += 1
        self.day += dt.timedelta(days=2)
        verb = "withdraw" if (slug, code) in self.inside else "add"
        self.inside ^= {(slug, code)}
        return verb, code, self.day

    @staticmethod
    def run(slug: str, verb: str, code: str, day: dt.date) -> Any:
        if verb == "add":
            return changes.add_members(slug, [code], joined=day, decision="", actor="bench")
        return changes.withdraw_member(slug, code, left=day, decision="", actor="bench")


def warm_changes(a: Flask, b: Flask, slug: str, moves: Moves, rounds: int) -> dict[str, float]:
    """Changes on worker A, each seen by worker B: medians of the change, change + shares, B's catch-up."""
    alone: list[float] = []
    cpu: list[float] = []
    with_shares: list[float] = []
    seen: list[float] = []
    for i in range(rounds + 1):
        verb, code, day = moves.next(slug)
        with a.app_context():
            t_change, t_cpu, _ = cpu_timed(functools.partial(Moves.run, slug, verb, code, day))
            t_shares, lines = timed(lambda: changes.shares(changes.get_project(slug)))
            assert sum(line.share for line in lines) == 52_000_000
            db.session.remove()
        with b.app_context():
            t_seen, lines = timed(lambda: changes.shares(changes.get_project(slug)))
            assert any(line.code == code and line.withdrawn == (verb == "withdraw") for line in lines), (verb, code)
            db.session.remove()
        if i:  # the first round warms both workers up
            alone.append(t_change)
            cpu.append(t_cpu)
            with_shares.append(t_change + t_shares)
            seen.append(t_seen)
    quartiles = statistics.quantiles(alone, n=4) if len(alone) > 1 else [alone[0]] * 3
    return {"change": statistics.median(alone), "change_q1": quartiles[0], "change_q3": quartiles[2], "change_max": max(alone),
            "change_cpu": statistics.median(cpu), "change+shares": statistics.median(with_shares), "seen": statistics.median(seen)}


def cli_change(url: str, instance: Path, slug: str, move: tuple[str, str, dt.date]) -> float:
    """``portal member add|withdraw`` in a fresh process: Python, the app, the project's state, the change."""
    verb, code, day = move
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT),
           "PORTAL_REDIS_URL": ""}
    args = [sys.executable, "-m", "portal.cli.main", "member", verb, slug, "--city", code,
            "--joined" if verb == "add" else "--left", day.isoformat(), "--decision", "bench"]
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the CLI change failed: {done.stderr.strip()}")
    return elapsed


def cli_changes(url: str, instance: Path, moves: Moves, rounds: int) -> dict[str, float]:
    """The same changes through the CLI on the big project and on its twin without history."""
    big, small = [], []
    for _ in range(rounds):
        move = moves.next("big")
        big.append(cli_change(url, instance, "big", move))
        small.append(cli_change(url, instance, "small", move))
    return {"cli_big": statistics.median(big), "cli_small": statistics.median(small)}


def cold_start(url: str, instance: Path) -> dict[str, float]:
    """A new worker until its first shares; and its journal's first load (what queries and exports read)."""
    t_app, app = timed(lambda: make_app(url, instance / "shares"))
    with app.app_context():
        t_shares, _ = timed(lambda: changes.shares(changes.get_project("big")))
        db.session.remove()
        db.engine.dispose()
    other = make_app(url, instance / "journal")
    with other.app_context():
        t_journal, journal = timed(lambda: changes.journal_for(changes.get_project("big")))
        entries = len(journal)
        db.session.remove()
        db.engine.dispose()
    return {"cold": t_app + t_shares, "journal": t_journal, "entries": entries}


# Fava and beancount's loader, each timed in a child process of its own with its imports done
# first: Fava's ledger outlives its loading (its watcher's threads, and its query shell, which puts
# itself on its class and on ``warnings.showwarning``), and would carry 100,000 entries into what
# is measured after it, here or in the next database's phase.
_LOAD = """
import json, sys, time
from beancount import loader
from fava.core import FavaLedger
start = time.perf_counter()
errors = [] if sys.argv[2] == "fava" else loader.load_file(sys.argv[1])[1]
if sys.argv[2] == "fava":
    FavaLedger(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "errors": [str(e.message) for e in errors[:3]]}))
"""


def load_in_child(path: Path, how: str) -> float:
    """Seconds ``how`` (``fava`` or ``load_file``) takes to load ``path``, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _LOAD, str(path), how], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{how} could not load the export: {done.stderr.strip()}")
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert not loaded["errors"], loaded["errors"]
    return float(loaded["seconds"])


def fava_loads(app: Flask, folder: Path) -> dict[str, float]:
    with app.app_context():
        path = folder / "big.beancount"
        t_export, text = timed(lambda: accounting.export(changes.get_project("big")))
        path.write_text(text, encoding="utf-8")
        db.session.remove()
    return {"export": t_export, "fava": load_in_child(path, "fava"), "load_file": load_in_child(path, "load_file"),
            "megabytes": len(text.encode()) / 1e6}


def bench(url: str, members: int, entries: int, rounds: int, cli_rounds: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if url == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    fresh_schema(url)
    a = make_app(url, workdir / "a")
    with a.app_context():
        upgrade()
    codes = sorted(M.municipalities())
    t_seed, _ = timed(lambda: (seed(a, "big", codes[:members], entries), seed(a, "small", codes[:members], 0)))
    print(f"  seeded: {members} members, {entries:,} entries in {entries // PER_POSTING or 1} postings, and a twin without them, in {t_seed:.1f} s")
    b = make_app(url, workdir / "b")
    figures: dict[str, float] = {}
    pool = outsiders(codes, members)
    figures |= warm_changes(a, b, "big", Moves(pool[: len(pool) // 2], dt.date(2026, 1, 1)), rounds) | {"rounds": rounds}
    figures |= cli_changes(url, workdir / "cli", Moves(pool[len(pool) // 2:], dt.date(2026, 1, 2)), cli_rounds)
    figures |= cold_start(url, workdir / "cold")
    figures |= fava_loads(a, workdir)
    for app in (a, b):
        with app.app_context():
            db.engine.dispose()
        app.extensions.pop("portal.ledgers", None)
    shutil.rmtree(workdir, ignore_errors=True)
    return figures


def report(name: str, f: dict[str, float]) -> None:
    ms = lambda seconds: f"{seconds * 1000:9.1f} ms"  # noqa: E731
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    cli_ratio, fava_ratio, load_ratio = f["cli_big"] / f["cli_small"], f["fava"] / f["cold"], f["load_file"] / f["cold"]
    print(f"  one membership change, warm, median:          {ms(f['change'])}   target ≤ 50 ms: {ok(f['change'] <= TARGETS['change'])}")
    print(f"  … the middle half of the {int(f['rounds'])} changes, the slowest:   {f['change_q1'] * 1000:.1f}–{f['change_q3'] * 1000:.1f} ms, "
          f"{f['change_max'] * 1000:.1f} ms")
    print(f"  … of which this process's CPU:                 {ms(f['change_cpu'])}   (the rest: waiting for the database, the machine)")
    print(f"  … until its shares can be read:                {ms(f['change+shares'])}")
    print(f"  a second worker sees it (its shares), median:  {ms(f['seen'])}   target ≤ 100 ms: {ok(f['seen'] <= TARGETS['seen'])}")
    print(f"  the same change through the CLI, big project:  {ms(f['cli_big'])}")
    print(f"  … on the twin without history:                 {ms(f['cli_small'])}   ratio {cli_ratio:.2f} (target ≤ 1.5: {ok(cli_ratio <= TARGETS['cli_ratio'])})")
    print(f"  cold start of a worker (app + first shares):   {ms(f['cold'])}")
    print(f"  Fava loading the export ({f['megabytes']:.1f} MB):            {ms(f['fava'])}   {fava_ratio:.1f}× the cold start (target ≥ 3: {ok(fava_ratio >= TARGETS['fava_ratio'])})")
    print(f"  beancount's loader.load_file of the export:    {ms(f['load_file'])}   {load_ratio:.1f}× the cold start")
    print(f"  the journal's cold load ({int(f['entries']):,} entries, for queries and exports): {ms(f['journal'])}   "
          f"Fava {f['fava'] / f['journal']:.1f}×, load_file {f['load_file'] / f['journal']:.1f}× that")
    print(f"  export to .beancount:                          {ms(f['export'])}")
    print(f"  ({name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test that the bench runs and prints")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None, help="warm changes to take the median of")
    parser.add_argument("--database-url", action="append", default=None,
                        help="'sqlite' (a file of its own) or a PostgreSQL URL; repeatable (default: sqlite and PORTAL_BENCH_DATABASE_URL)")
    args = parser.parse_args()
    members = args.members or (6 if args.quick else 300)
    entries = args.entries if args.entries is not None else (300 if args.quick else 100_000)
    rounds = args.rounds or (1 if args.quick else 15)
    cli_rounds = 1 if args.quick else max(3, rounds // 2)
    urls = args.database_url or ["sqlite", *([os.environ["PORTAL_BENCH_DATABASE_URL"]] if os.environ.get("PORTAL_BENCH_DATABASE_URL") else [])]
    if not any(u.startswith("postgresql") for u in urls):
        print("(PostgreSQL is not measured: set PORTAL_BENCH_DATABASE_URL to a scratch database; its public schema is dropped)")
    for url in urls:
        name = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        print(f"{name}:")
        report(sa.make_url(url).render_as_string(hide_password=True) if url != "sqlite" else "a SQLite file of its own",
               bench(url, members, entries, rounds, cli_rounds))
        # The next database starts from the heap this one found: its workers' journals (100,000
        # entries each, in reference cycles through the apps) freed now, not walked by its collections.
        gc.collect()


if __name__ == "__main__":
    main()
