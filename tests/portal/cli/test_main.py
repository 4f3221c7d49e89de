"""The installed ``portal`` console script (``portal.cli.main``), run as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.common.cli import CREATE


def test_the_console_script_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """The installed ``portal`` script, in a fresh process, on a fresh SQLite database."""
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    env.pop("PORTAL_SECRET_KEY", None)
    script = str(Path(sys.executable).parent / "portal")
    upgrade = subprocess.run([script, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    ok = subprocess.run([script, *CREATE], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([script, "member", "add", "iam", "--city", "1234", "--joined", "2025-01-01"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "not a municipality code" in bad.stderr and "Traceback" not in bad.stderr
