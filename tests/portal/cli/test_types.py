"""The types of the ``portal`` commands' values (``portal.cli``): each calls the core's parser, so the
crashers measured in issue 9 now exit 2 with a clear message, before anything runs, and change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from portal.cli import File, Parsed
from tests.common.fuzz import counts

ROOT = Path(__file__).resolve().parents[3]
NOT_OURS = {"db"}  # Flask-Migrate's commands


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if not path and name in NOT_OURS:
            continue
        found += commands(command, (*path, name)) if isinstance(command, click.Group) else [((*path, name), command)]
    return found


def test_every_value_of_every_command_has_a_checked_type(app) -> None:
    """No option or argument takes plain text or Click's lenient int (which reads ``１２`` and ``1_000``)."""
    unchecked = [f"portal {' '.join(path)} {param.name}" for path, command in commands(app.cli) for param in command.params
                 if not (isinstance(param.type, (Parsed, File, click.Choice)) or (isinstance(param, click.Option) and param.is_flag))]
    assert unchecked == []


CRASHERS = [  # (args, what the message says); each gave a traceback or was accepted before
    (["budget", "set", "iam", "--amount", "1e1000000"], "the budget '1e1000000' is not a number (write it like 520000.00"),
    (["budget", "set", "iam", "--year", "2026", "--amount", "1_000"], "the budget '1_000' is not a number"),
    (["budget", "set", "iam", "--year", "2026", "--amount", "١٠٠"], "the budget '١٠٠' is not a number"),
    (["budget", "set", "iam", "--year", "²⁰²⁶", "--amount", "100"], "'²⁰²⁶' is not a year (write it like 2025)"),
    (["year", "close", "iam", "٢٠٢٦"], "is not a year"),
    (["rule", "set", "iam", "--kind", "hybrid", "--base-percent", "1e5000", "--population-year", "2025"],
     "the base percentage '1e5000' is not a number (write it like 40 or 33.5)"),
    (["charge", "add", "iam", "--city", "638", "--amount", "1", "--date", "2026-03-01", "--text", "a\udcffb"],
     "the charge's text is not valid text: character 2 is not UTF-8"),
    (["charge", "add", "iam", "--city", "638", "--amount", "1", "--date", "2026-03-01", "--text", "a\x00b"],
     "the charge's text holds a control character ('\\x00') at character 2"),
    (["charge", "cancel", "iam", "99999999999999999999", "--reason", "x"], "the number must be from 1 to 2147483647"),
    (["ledger", "export", "iam", "-o", "/nonexistent/x"], "cannot write /nonexistent/x: No such file or directory"),
    (["ledger", "import", "iam", "a\x00b"], "the file name holds a control character"),
    (["sessions", "purge", "--days", "999999999"], "the number of days must be from 0 to 36525 (got '999999999')"),
    (["project", "create", "big", "--name", "x" * 201, "--budget", "1", "--start", "2025-01-01", "--end", "2025-12-31",
      "--rule", "equal"], "the project's name is longer than 200 characters (201 given)"),
    (["users", "grant", "--issuer", "x" * 501, "--sub", "s", "--role", "contact", "--city", "638"],
     "the issuer is longer than 500 characters"),
    (["users", "invite", "--email", "x" * 321, "--city", "638", "--role", "contact"], "the email address is longer than 320"),
    (["populations", "import", "2030", "/dev/null", "--source", "x" * 501], "the source is longer than 500 characters"),
    (["shares", "iam", "--what-if", "+\x00"], "the scenario holds a control character"),
]


@pytest.mark.parametrize("args, message", CRASHERS)
def test_the_measured_crashers_exit_2_with_one_clear_message(loaded, args: list[str], message: str) -> None:
    before = counts(loaded)
    result = loaded.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert message in result.output and "Traceback" not in result.output
    assert counts(loaded) == before


def test_a_value_refused_by_its_type_reads_as_clicks_usage_errors_and_a_refusal_as_one_line(loaded) -> None:
    """What the README promises: Click's usage-error shape for a value, one line for a refusal of the ledger."""
    typed = loaded.test_cli_runner().invoke(args=["budget", "set", "iam", "--amount", "1e6"])
    assert typed.output.splitlines()[0].startswith("Usage: ")
    assert typed.output.splitlines()[-1] == ("Error: Invalid value for '--amount': the budget '1e6' is not a number "
                                             "(write it like 520000.00 or 520 000,00)")
    refused = loaded.test_cli_runner().invoke(args=["member", "withdraw", "iam", "--city", "853", "--left", "2026-12-31"])
    assert refused.exit_code == 2 and len(refused.output.splitlines()) == 1 and refused.output.startswith("Error: ")


def test_plausible_values_still_read(loaded) -> None:
    runner = loaded.test_cli_runner()
    result = runner.invoke(args=["budget", "set", "iam", "--year", "2027", "--amount", "120 000,00"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["charge", "add", "iam", "--city", "638", "--amount", "1\u00a0234,50 €", "--date", "2026-03-01",
                                 "--text", "20 tablets é€"])
    assert result.exit_code == 0 and "1234.50" in result.output, result.output


def test_bytes_that_are_not_utf_8_on_a_real_command_line_exit_2(tmp_path: Path) -> None:
    """The console script in its own process, with an argument of raw bytes (Python reads it with surrogateescape)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PORTAL_INSTANCE_PATH": str(tmp_path),
           "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "LC_ALL": "C.UTF-8"}
    args = [sys.executable, "-m", "portal.cli.main", "charge", "add", "iam", "--city", "638", "--amount", "1",
            "--date", "2026-03-01", b"--text=caf\xe9"]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, stderr
    assert "the charge's text is not valid text: character 4 is not UTF-8" in stderr and "Traceback" not in stderr
