"""``make bench`` still runs: ``bench/bench.py --quick`` (small sizes, SQLite) prints every figure and
every target of issue 9 with its verdict, and ``bench/bench_imports.py`` runs an import and its
reversal as jobs.

Only that it runs and prints: its timings are the bench's business, never a test's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ["one membership change, warm, median", "a second worker sees it", "the same change through the CLI",
           "on the twin without history", "cold start of a worker", "Fava loading the export", "loader.load_file",
           "the journal's cold load"]
TARGETS = ["target ≤ 50 ms: ", "target ≤ 100 ms: ", "(target ≤ 1.5: ", "(target ≥ 3: "]


def bench_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path), "PORTAL_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PORTAL_BENCH_DATABASE_URL", None)
    return env


def test_the_bench_runs_and_prints_every_figure(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "bench/bench.py", "--quick"], cwd=ROOT, env=bench_env(tmp_path), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for figure in FIGURES:
        assert figure in done.stdout, (figure, done.stdout)
    for target in TARGETS:  # each printed with its verdict, whatever the verdict of so small a run
        assert done.stdout.count(target + "ok") + done.stdout.count(target + "MISSED") == 1, (target, done.stdout)
    assert "ratio" in done.stdout and "Traceback" not in done.stderr


def test_the_import_bench_runs_an_import_and_its_reversal_as_jobs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "bench/bench_imports.py", "--transactions", "50"], cwd=ROOT, env=bench_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "import: done — Imported 50 transactions" in done.stdout and "reversal: done — Reverted import 1" in done.stdout, done.stdout
    assert "peak memory" in done.stdout and "Traceback" not in done.stderr
