"""``portal document add|list|withdraw`` and ``portal agreement sign|status``.

Bad input (a file that is not a PDF or is too large, an unknown change, an unknown city, a city
that is not a member or has signed already, a date out of reason) exits with status 2 and the
service's message; nothing is stored then.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.cli import CITY, DATE, DECISION, ID, SLUG, File, Text, actor, refusing
from portal.clock import fi_date
from portal.documents import services as documents
from portal.documents.files import size_text
from portal.documents.models import KINDS, SIGNER_LENGTH, TEXT_LENGTH, TITLE_LENGTH
from portal.projects import services as projects


@click.group("document", help="A project's documents: the agreement and council decisions as PDF.")
def document_group() -> None:
    pass


@document_group.command("add", help="Attach a PDF to the project, or with --change N to its change number N.")
@click.argument("slug", type=SLUG)
@click.argument("file", type=File())
@click.option("--title", required=True, type=Text(TITLE_LENGTH, "the title"), help="What the document is, e.g. \"Consortium agreement\".")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--change", type=ID, default=None, help="The number of the change it belongs to.")
@with_appcontext
@refusing
def document_add(slug: str, file: str, title: str, kind: str, change: int | None) -> None:
    path = Path(file)
    document = documents.attach(slug, path.read_bytes(), filename=path.name, title=title, kind=kind, actor=actor(), change=change)
    where = f" to change {change}" if change else ""
    click.echo(f"attached document {document.id} “{document.title}” ({document.kind}, {size_text(document.size)}){where}")
    click.echo(f"  sha256 {document.sha256}")


@document_group.command("list", help="Every document of the project, withdrawn ones marked.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def document_list(slug: str) -> None:
    project = projects.get_project(slug)
    rows = documents.documents_of(project)
    changes = documents.attached_changes(project, rows)
    if not rows:
        click.echo(f"{project.name} has no documents")
    for d in rows:
        where = f"change {changes[d.change_id][0]}" if d.change_id in changes else "project"
        click.echo(f"{d.id:>4}  {d.kind:<9}  {d.title}  ({size_text(d.size)}, {where}, attached {fi_date(d.attached_at)} "
                   f"by {d.attached_by})")
        click.echo(f"      sha256 {d.sha256}")
        if d.withdrawn_at:
            click.echo(f"      WITHDRAWN {fi_date(d.withdrawn_at)} by {d.withdrawn_by}: {d.withdrawn_reason}")


@document_group.command("withdraw", help="Withdraw a document (it stays stored and listed, marked as withdrawn).")
@click.argument("slug", type=SLUG)
@click.argument("document_id", type=ID)
@click.option("--reason", required=True, type=Text(TEXT_LENGTH, "the reason"))
@with_appcontext
@refusing
def document_withdraw(slug: str, document_id: int, reason: str) -> None:
    document = documents.withdraw(slug, document_id, reason=reason, actor=actor())
    click.echo(f"withdrew document {document.id} “{document.title}”: {reason}")


@click.group("agreement", help="The members' signatures of the consortium agreement, and whether it is in force.")
def agreement_group() -> None:
    pass


@agreement_group.command("sign", help="Record a member city's signature of the agreement (or of its accession to it).")
@click.argument("slug", type=SLUG)
@click.option("--city", required=True, type=CITY, help="Municipality code of the member city.")
@click.option("--signer", required=True, type=Text(SIGNER_LENGTH, "the signer"), help="Who signed for the city: name and title.")
@click.option("--date", "signed_on", required=True, type=DATE, help="The date of the signature, YYYY-MM-DD.")
@click.option("--decision", default="", type=DECISION, help="The decision that authorised the signature.")
@click.option("--document", "document_id", type=ID, default=None, help="The decision as an attached document's number.")
@with_appcontext
@refusing
def agreement_sign(slug: str, city: str, signer: str, signed_on, decision: str, document_id: int | None) -> None:
    row = documents.sign(slug, city, signer=signer, signed_on=signed_on, decision=decision, document_id=document_id,
                         actor=actor())
    click.echo(f"recorded the signature of {row.city_code} on {fi_date(row.signed_on)} ({row.signer})")
    click.echo(documents.agreement_of(projects.get_project(slug)).sentence)


@agreement_group.command("status", help="Whether the agreement is in force, who has signed and who has not.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def agreement_status(slug: str) -> None:
    found = documents.agreement_of(projects.get_project(slug))
    click.echo(found.sentence)
    for line in found.signatures:
        kind = "accession" if line.accession else "agreement"
        note = "" if line.party else "  (no longer a party)"
        click.echo(f"  signed   {line.row.city_code} {line.name:<20} {fi_date(line.row.signed_on):>10}  {kind:<9}  {line.row.signer}"
                   + (f"; {line.row.decision}" if line.row.decision else "") + note)
    for code in (*found.status.missing, *found.status.upcoming):
        click.echo(f"  unsigned {code} {found.names.get(code, code)}")


COMMANDS = (document_group, agreement_group)
