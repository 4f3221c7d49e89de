"""``portal ledger export|import|imports|query``: the accountant's tools from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ledger.query import MAX_QUERY_LENGTH
from portal.accounting import services as accounting
from portal.cli import ID, SLUG, BadInput, File, Text, actor, refusing
from portal.clock import fi_datetime
from portal.projects import services as projects


@click.group("ledger", help="Export, import and query a project's ledger.")
def ledger_group() -> None:
    pass


@ledger_group.command("export")
@click.argument("slug", type=SLUG)
@click.option("-o", "--output", required=True, type=File(output=True), help="File to write ('-' for standard output).")
@with_appcontext
@refusing
def ledger_export_command(slug, output) -> None:
    text = accounting.export(projects.get_project(slug))
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:  # no such folder, no permission, a full disk: nothing else was changed
        raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}")


@ledger_group.command("import", help="Import a .beancount file of payments (all or nothing), or undo an import with --revert N.")
@click.argument("slug", type=SLUG)
@click.argument("file", required=False, type=File())
@click.option("--revert", "number", type=ID, default=None, metavar="N", help="Undo import N by reversing entries.")
@click.option("--reason", default="", type=Text(500, "the reason"), help="Why import N is reverted (with --revert).")
@with_appcontext
@refusing
def ledger_import_command(slug, file, number, reason) -> None:
    """Runs here, not in the queue (a command is no web request), with the same result as the job."""
    if (file is None) == (number is None):
        raise BadInput("give either a FILE to import or --revert N")
    if number is not None:
        if not reason.strip():
            raise BadInput("say why with --reason")
        result = accounting.revert(slug, number, actor=actor(), reason=reason)
    else:
        path = Path(file)
        result = accounting.import_file(slug, path.read_bytes(), filename=path.name, actor=actor())
    click.echo(result.summary)


@ledger_group.command("imports", help="List a project's imports: number, file, when, who, transactions, reverted.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def ledger_imports_command(slug) -> None:
    rows = accounting.imports_of(projects.get_project(slug))
    if not rows:
        click.echo("no imports")
        return
    for row in rows:
        reverted = f"reverted {fi_datetime(row.reverted_at)} by {row.reverted_by} (posting {row.reverted_seq})" if row.reverted else ""
        click.echo("\t".join([str(row.number), row.filename, fi_datetime(row.created_at), row.actor, str(row.transactions), reverted]))


@ledger_group.command("query")
@click.argument("slug", type=SLUG)
@click.argument("query", type=Text(MAX_QUERY_LENGTH, "the query"))
@click.option("--format", "fmt_", type=click.Choice(["table", "csv"]), default="table")
@with_appcontext
@refusing
def ledger_query_command(slug, query, fmt_) -> None:
    result = accounting.query(slug, query)
    click.echo(result.to_csv() if fmt_ == "csv" else result.to_text(), nl=False)


COMMANDS = (ledger_group,)
