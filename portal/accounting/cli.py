"""``portal ledger export|import|query``: the accountant's tools from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.accounting import services as accounting
from portal.cli import BadInput, actor, refusing
from portal.projects import services as projects


@click.group("ledger", help="Export, import and query a project's ledger.")
def ledger_group() -> None:
    pass


@ledger_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write ('-' for standard output).")
@with_appcontext
@refusing
def ledger_export_command(slug, output) -> None:
    text = accounting.export(projects.get_project(slug))
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


@ledger_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_appcontext
@refusing
def ledger_import_command(slug, file) -> None:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{file} is not UTF-8 text") from None
    outcome = accounting.import_ledger(slug, text, filename=Path(file).name, actor=actor())
    click.echo(outcome.event.details["summary"])


@ledger_group.command("query")
@click.argument("slug")
@click.argument("query")
@click.option("--format", "fmt_", type=click.Choice(["table", "csv"]), default="table")
@with_appcontext
@refusing
def ledger_query_command(slug, query, fmt_) -> None:
    result = accounting.query(slug, query)
    click.echo(result.to_csv() if fmt_ == "csv" else result.to_text(), nl=False)


COMMANDS = (ledger_group,)
