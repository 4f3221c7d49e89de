"""``portal payment import|add|list|allocate``, ``portal statement`` and ``portal invoice aging``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ledger.money import fmt
from portal.billing import letters, statements
from portal.billing import payments as pay
from portal.cli import CITY, DATE, ID, SLUG, YEAR, Amount, BadInput, File, Text, actor, refusing
from portal.projects import services as projects

MAX_BANK_FILE = 50 * 1024 * 1024


def write(output: str, body: bytes) -> None:
    """Write a document to ``output`` ('-': standard output); a file that cannot be written is bad input."""
    if output == "-":
        sys.stdout.buffer.write(body)
        return
    try:
        Path(output).write_bytes(body)
    except OSError as exc:
        raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


@click.group("payment", help="Payments received: import bank files (camt.054/053), add one by hand, list, allocate.")
def payment_group() -> None:
    pass


def _echo_rows(rows: list[pay.Row]) -> None:
    for r in rows:
        where = f"invoice {r.invoice}" if r.invoice else (f"credit of {r.code}" if r.code else "unallocated")
        credit = f", {fmt(r.credit)} to credit" if r.credit and r.invoice else ""
        ident = f"{r.id:>5}  " if r.id is not None else ""
        click.echo(f"  {ident}{r.status:<16} {r.date} {fmt(r.cents):>12}  {r.bank_reference:<28} {r.reference or '-':<22}"
                   f" {where}{credit}")


@payment_group.command("import", help="Import a camt.054 or camt.053 file's credits; a repeated file or payment changes nothing.")
@click.argument("slug", type=SLUG)
@click.argument("file", type=File())
@click.option("--format", "fmt_", type=click.Choice(["table", "json"]), default="table")
@with_appcontext
@refusing
def import_command(slug, file, fmt_) -> None:
    path = Path(file)
    if path.stat().st_size > MAX_BANK_FILE:
        raise BadInput(f"{file} is larger than {MAX_BANK_FILE // (1024 * 1024)} MB")
    result = pay.import_file(slug, path.read_bytes(), actor=actor())
    if fmt_ == "json":
        click.echo(json.dumps({**result.summary(), "repeated_file": result.repeated_file, "seq": result.seq,
                               "rows": [r.to_json() for r in result.rows]}, ensure_ascii=False, indent=2))
        return
    counts = result.summary()
    if result.seq is None:
        click.echo("nothing imported: " + ("this file was imported before" if result.repeated_file else
                                           "every payment in it was imported before"))
    click.echo(f"{counts['matched']} matched ({counts['partial']} partial, {counts['over']} over), {counts['unallocated']} unallocated,"
               f" {counts['already_imported']} already imported" + (f", {counts['skipped']} skipped (not EUR)" if counts["skipped"] else ""))
    _echo_rows(result.rows)


@payment_group.command("add", help="Add a payment by hand: to the referenced invoice, else to the city's oldest open invoices.")
@click.argument("slug", type=SLUG)
@click.option("--city", required=True, type=CITY, help="Municipality code of the payer.")
@click.option("--amount", required=True, type=Amount("the amount"), help="EUR, e.g. 1200.50.")
@click.option("--date", required=True, type=DATE, help="The payment date.")
@click.option("--reference", default=None, type=Text(40, "the reference"), help="The invoice's reference (national or RF).")
@click.option("--text", default=None, type=Text(500, "the text"), help="What the payment is (kept with it).")
@with_appcontext
@refusing
def add_command(slug, city, amount, date, reference, text) -> None:
    row = pay.add_payment(slug, city=city, cents=amount, date=date, reference=reference, text=text, actor=actor())
    click.echo(f"payment {row.id} added: {row.status}")
    _echo_rows([row])


@payment_group.command("list", help="The project's payments and where each went.")
@click.argument("slug", type=SLUG)
@click.option("--unallocated", is_flag=True, help="Only the payments waiting to be allocated.")
@click.option("--city", default=None, type=CITY)
@click.option("--format", "fmt_", type=click.Choice(["table", "json"]), default="table")
@with_appcontext
@refusing
def list_command(slug, unallocated, city, fmt_) -> None:
    rows = pay.payments(projects.get_project(slug), unallocated=unallocated, city=city)
    if fmt_ == "json":
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return
    _echo_rows(rows)
    click.echo(f"  {len(rows)} payment(s), total {fmt(sum(r.cents for r in rows))} EUR")


@payment_group.command("allocate", help="Allocate an unallocated payment to an invoice or a city (a new ledger entry).")
@click.argument("slug", type=SLUG)
@click.argument("payment", type=ID)
@click.option("--invoice", default=None, type=ID, help="The invoice's number.")
@click.option("--city", default=None, type=CITY, help="The city: its open invoices oldest first, the rest to its credit.")
@with_appcontext
@refusing
def allocate_command(slug, payment, invoice, city) -> None:
    row = pay.allocate(slug, payment, invoice_number=invoice, city=city, actor=actor())
    click.echo(f"payment {row.id} allocated: {row.status}")
    _echo_rows([row])


@click.command("statement", help="A city's statement: invoices, credit notes, payments and the balance, by year.")
@click.argument("slug", type=SLUG)
@click.option("--city", required=True, type=CITY)
@click.option("--format", "fmt_", type=click.Choice(["table", "json"]), default="table")
@click.option("--confirmation", default=None, type=YEAR, help="Write the year-end confirmation of balance (saldovahvistus) PDF.")
@click.option("-o", "--output", default=None, type=File(output=True), help="The confirmation's file ('-': standard output).")
@with_appcontext
@refusing
def statement_command(slug, city, fmt_, confirmation, output) -> None:
    project = projects.get_project(slug)
    if confirmation is not None:
        if output is None:
            raise BadInput("give -o FILE for the confirmation PDF")
        write(output, letters.confirmation_pdf(project, city, confirmation))
        return
    found = statements.statement(project, city)
    if fmt_ == "json":
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"statement of {found.name} ({found.code}) in {project.name}")
    for year in found.years:
        click.echo(f"  {year.year}: invoiced {fmt(year.invoiced)}, paid {fmt(year.paid)}, balance {fmt(year.balance)} EUR")
        for line in year.lines:
            click.echo(f"    {line.date} {line.kind:<13} {line.number:<28} {fmt(line.cents):>12} {fmt(line.balance):>12}")
    click.echo(f"  balance {fmt(found.balance)} EUR")


@click.command("aging", help="The open invoices by age: not due, 1–30, 31–60 and over 60 days late.")
@click.argument("slug", type=SLUG)
@click.option("--on", "on", default=None, type=DATE, help="The day to age on (default today).")
@click.option("--overdue", is_flag=True, help="Only the invoices past their due date.")
@click.option("--format", "fmt_", type=click.Choice(["table", "json"]), default="table")
@with_appcontext
@refusing
def aging_command(slug, on, overdue, fmt_) -> None:
    project = projects.get_project(slug)
    rows = statements.overdue(project, on=on) if overdue else statements.aging(project, on=on)
    totals = statements.totals(rows)
    if fmt_ == "json":
        click.echo(json.dumps({"totals": {k: fmt(v) for k, v in totals.items()}, "invoices": [r.to_json() for r in rows]},
                              ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"  {r.number:>6}  {r.code} {r.name:<24} due {r.due} {fmt(r.outstanding):>12}  {r.days_late:>4} days  {r.bucket}")
    click.echo("  " + ", ".join(f"{k} {fmt(v)}" for k, v in totals.items()) + " EUR")


@click.command("remind", help="Issue a payment reminder of an overdue invoice (recorded; no fee unless --fee, "
                              "which is posted as a direct charge to the city and billed by the year's next invoicing).")
@click.argument("slug", type=SLUG)
@click.argument("number", type=ID)
@click.option("--fee", default=None, type=Amount("the fee"), help="A reminder fee in EUR (default none).")
@click.option("--date", default=None, type=DATE, help="The reminder's date (default today).")
@click.option("-o", "--output", default=None, type=File(output=True), help="Also write its PDF here ('-': standard output).")
@with_appcontext
@refusing
def remind_command(slug, number, fee, date, output) -> None:
    reminder = letters.issue_reminder(slug, number, actor=actor(), fee_cents=fee or 0, on=date)
    fee_text = f"; a fee of {fmt(reminder.fee_cents)} EUR charged to the city" if reminder.fee_cents else ""
    click.echo(f"reminder {reminder.id} of invoice {number} issued: {fmt(reminder.outstanding_cents)} EUR open{fee_text}", err=output == "-")
    if output is not None:
        write(output, letters.reminder_pdf(projects.get_project(slug), reminder.id))


COMMANDS = (payment_group, statement_command)
