"""``make bench`` still runs: ``bench/bench.py --quick`` (small sizes, SQLite) prints every figure.

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


def test_the_bench_runs_and_prints_every_figure(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path), "PORTAL_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PORTAL_BENCH_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "bench/bench.py", "--quick"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for figure in FIGURES:
        assert figure in done.stdout, (figure, done.stdout)
    assert "ratio" in done.stdout and "Traceback" not in done.stderr
