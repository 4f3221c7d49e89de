"""Every ``portal`` command, driven with hostile values: exit status 2 (or 0 for a valid accident),
never a traceback, and nothing changed when the command refused.

The commands and their options and arguments are read from the ``portal`` group itself
(``app.cli``, where ``portal.cli.commands.register`` puts every domain's commands), so a new
command is fuzzed without editing this test; only commands that are not input handling are left
out, each with its reason (:data:`NOT_FUZZED`). A value is drawn by the option's type (a choice,
a file to read or to write) and otherwise by its name (``tests.common.fuzz``): mostly plausible,
so the fuzzer reaches the services, the core and the database, and otherwise hostile.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from portal.cli import File
from portal.costs import services as costs
from tests.common.fuzz import HOSTILE, counts, fuzz_settings, value

NOT_FUZZED = {
    "db": "Flask-Migrate's commands: migrations, not portal input (and `db downgrade` would drop the tables)",
    "run": "serves the portal until stopped",
    "demo": "loads the demo and serves it until stopped",
    "worker": "runs the job queue until stopped",
}
PAYMENT = """2026-02-01 open Assets:Bank EUR

2026-02-15 * "Porvoo" "Payment"
  Assets:Bank                            100.00 EUR
  Assets:Receivable:Members:Porvoo-638  -100.00 EUR
"""


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group`` with the words that name it (``("charge", "add")``)."""
    found = []
    for name, command in sorted(group.commands.items()):
        if not path and name in NOT_FUZZED:
            continue
        if isinstance(command, click.Group):
            found.extend(leaves(command, (*path, name)))
        else:
            found.append(((*path, name), command))
    return found


def files(folder: Path) -> tuple[list[str], list[str]]:
    """Files to read (good, bad, missing) and places to write (good and impossible)."""
    inputs = {
        "payments.beancount": PAYMENT.encode(), "hours.csv": b"person,date,task,hours\nAino,2026-03-02,dev,7.5\n",
        "populations.csv": b"code,population\n638,50000\n", "latin1.csv": "code,population\n638,5ö\n".encode("latin-1"),
        "nul.beancount": b"2026-01-01 open Assets:Bank EUR\x00\n", "empty.csv": b"",
    }
    for name, content in inputs.items():
        (folder / name).write_bytes(content)
    reading = [str(folder / name) for name in inputs] + ["/nonexistent/x", str(folder), "a\x00b", "\udcff"]
    writing = ["-", str(folder / "out.beancount"), "/nonexistent/x", str(folder), "a\x00b", "\udcff.beancount", ""]
    return reading, writing


def parameter_value(param: click.Parameter, reading: list[str], writing: list[str], hostile: bool) -> st.SearchStrategy[str]:
    if isinstance(param.type, click.Choice):
        choices = st.sampled_from([str(c) for c in param.type.choices])
        return st.one_of(st.sampled_from(HOSTILE), choices) if hostile else choices
    if isinstance(param.type, File):
        places = writing if param.type.writable else reading
        return st.sampled_from(places if hostile else places[:2])
    return value((param.name or "").rstrip("_"), hostile=hostile)


@st.composite
def invocation(draw: st.DrawFn, commands: list[tuple[tuple[str, ...], click.Command]], reading: list[str],
               writing: list[str]) -> list[str]:
    """One command line: the command's words, some of its options (``--name=value``), ``--``, its arguments.

    One value (or, now and then, every value) is hostile; the others are plausible.
    """
    path, command = draw(st.sampled_from(commands))
    everything = draw(st.integers(0, 9)) == 0
    target = draw(st.integers(0, max(len(command.params) - 1, 0)))
    options: list[str] = []
    arguments: list[str] = []
    for i, param in enumerate(command.params):
        hostile = everything or i == target
        if isinstance(param, click.Option):
            name = max(param.opts, key=len)
            if param.is_flag:
                options += [name] if draw(st.booleans()) else []
            elif param.required or hostile or draw(st.integers(0, 2)) == 0:
                for _ in range(draw(st.integers(1, 3)) if param.multiple else 1):
                    options.append(f"{name}={draw(parameter_value(param, reading, writing, hostile))}")
        elif isinstance(param, click.Argument) and (param.required or hostile or draw(st.booleans())):
            arguments.append(draw(parameter_value(param, reading, writing, hostile)))
    if draw(st.integers(0, 15)) == 0:
        options.append(draw(st.sampled_from(["--no-such-option", "--help", "--format"])))
    return [*path, *options, "--", *arguments]


@pytest.fixture
def fuzzed(loaded, tmp_path: Path):
    """The demo project with a subsidy and a direct charge, and files to read and write."""
    with loaded.app_context():
        costs.set_subsidy("iam", key="state", rate=4500, text="state subsidy", actor="test")
        costs.add_charge("iam", city="638", amount=120000, date=costs.dt.date(2026, 3, 1), text="tablets", actor="test")
    reading, writing = files(tmp_path)
    commands = leaves(loaded.cli)
    assert {("charge", "add"), ("ledger", "query"), ("sessions", "purge"), ("users", "grant")} <= {p for p, _ in commands}
    return loaded, commands, reading, writing


@fuzz_settings(250)
@given(data=st.data())
def test_every_command_exits_2_or_0_and_a_refusal_changes_nothing(fuzzed, data) -> None:
    app, commands, reading, writing = fuzzed
    args = data.draw(invocation(commands, reading, writing), label="portal")
    before = counts(app)
    result = app.test_cli_runner().invoke(args=args)
    shown = f"portal {' '.join(map(repr, args))}\n{result.output[-2000:]}"
    event(f"{args[0]}: exit {result.exit_code}")
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{shown}\n{result.exception!r}"
    assert result.exit_code in (0, 2), shown
    assert "Traceback" not in result.output, shown
    if result.exit_code != 0:
        assert counts(app) == before, f"refused, yet something changed: {shown}"
