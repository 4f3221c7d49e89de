"""``portal billing seller|member|settings|show`` and ``portal invoice issue|list|show|finvoice|pdf``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ledger.money import fmt
from portal.billing import documents, issuing, paycli, pdf, texts
from portal.billing import services as billing
from portal.billing.services import REFERENCE_KINDS
from portal.cli import CITY, DATE, ID, SLUG, YEAR, BadInput, File, Number, Percent, Text, actor, refusing
from portal.projects import services as projects


# -- parties -------------------------------------------------------------------------------------
@click.group("billing", help="The parties of a project's invoices: its seller, the members' billing details, the settings.")
def billing_group() -> None:
    pass


@billing_group.command("seller", help="Set the project's seller (the lead city); identifiers are checked by their check digits.")
@click.argument("slug", type=SLUG)
@click.option("--name", required=True, type=Text(210, "the name"), help="The seller's official name, e.g. Hämeenlinnan kaupunki.")
@click.option("--business-id", required=True, type=Text(40, "the business ID"), help="Y-tunnus, e.g. 0139797-8.")
@click.option("--iban", required=True, type=Text(60, "the IBAN"), help="The Finnish account the members pay to.")
@click.option("--bic", required=True, type=Text(20, "the BIC"))
@click.option("--einvoice-address", default=None, type=Text(80, "the e-invoice address"), help="OVT code (0037…) or Peppol ID (0216:0037…).")
@click.option("--operator", default=None, type=Text(40, "the operator"), help="The e-invoice operator: an OVT-style ID or a BIC.")
@click.option("--address", default=None, type=Text(200, "the address"), help="Street, post code and town: 'Raatihuone, Wetterhoffinkatu 2, 13100 Hämeenlinna'.")
@click.option("--contact", default=None, type=Text(200, "the contact"), help="Who answers questions about the invoices.")
@with_appcontext
@refusing
def seller_command(slug, name, business_id, iban, bic, einvoice_address, operator, address, contact) -> None:
    seller = billing.set_seller(slug, name=name, business_id=business_id, iban=iban, bic=bic, einvoice_address=einvoice_address,
                                operator=operator, address=address, contact=contact, actor=actor())
    click.echo(f"seller of {slug}: {seller.name} ({seller.business_id}), {seller.iban} {seller.bic}")


@billing_group.command("member", help="Set some of a member's billing details ('' clears one).")
@click.argument("slug", type=SLUG)
@click.option("--city", required=True, type=CITY, help="Municipality code.")
@click.option("--name", default=None, type=Text(210, "the name"), help="The official name on the invoice, e.g. Porvoon kaupunki.")
@click.option("--business-id", default=None, type=Text(40, "the business ID"))
@click.option("--einvoice-address", default=None, type=Text(80, "the e-invoice address"))
@click.option("--operator", default=None, type=Text(40, "the operator"))
@click.option("--buyer-reference", default=None, type=Text(70, "the buyer's reference"), help="The buyer's reference or cost centre the city asks for.")
@click.option("--email", default=None, type=Text(320, "the email address"), help="Where the city wants its PDF invoices.")
@click.option("--language", default=None, type=click.Choice(texts.LANGUAGES), help="The invoice language.")
@click.option("--address", default=None, type=Text(200, "the address"), help="Street, post code and town.")
@with_appcontext
@refusing
def member_command(slug, city, **given) -> None:
    row = billing.set_member(slug, city=city, actor=actor(), **given)
    click.echo(f"billing details of {row.code} in {slug} set: " + _describe(billing.details(projects.get_project(slug), row.code)))


def _describe(member: billing.MemberDetails) -> str:
    shown = {k: v for k, v in member.to_json().items() if v and k != "code"}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items())


@billing_group.command("settings", help="How the project invoices: instalments, payment terms, VAT, the reference on the barcode.")
@click.argument("slug", type=SLUG)
@click.option("--instalments", type=Number("the instalments", minimum=1, maximum=12), default=None, help="Invoices a year for the year's share (1 to 12).")
@click.option("--terms", type=Number("the payment terms", maximum=365), default=None, help="Payment terms in days (default 21).")
@click.option("--vat-rate", default=None, type=Percent("the VAT rate"), help="VAT percentage, e.g. 25.5; 0 for none (the default).")
@click.option("--vat-reason", default=None, type=Text(70, "the VAT reason"), help="Why there is no VAT, printed on 0 % invoices.")
@click.option("--reference", "reference_kind", type=click.Choice(REFERENCE_KINDS), default=None,
              help="Which reference the barcode and the e-invoice's payment details carry (both are printed).")
@click.option("--reference-prefix", type=Number("the reference prefix", minimum=1, maximum=99_999_999_999), default=None, help="The digits before the invoice number in each reference.")
@with_appcontext
@refusing
def settings_command(slug, instalments, terms, vat_rate, vat_reason, reference_kind, reference_prefix) -> None:
    seller = billing.set_settings(slug, instalments=instalments, terms_days=terms, vat=vat_rate, vat_reason=vat_reason,
                                  reference_kind=reference_kind, reference_prefix=reference_prefix, actor=actor())
    click.echo(f"{slug} invoices in {seller.instalments} instalment(s) a year, {seller.terms_days} days net,"
               f" VAT {seller.vat_rate} %, {seller.reference_kind} reference (prefix {seller.reference_prefix})")


@billing_group.command("show", help="The seller, the settings and every member's billing details.")
@click.argument("slug", type=SLUG)
@click.option("--format", "fmt_", type=click.Choice(["table", "json"]), default="table")
@with_appcontext
@refusing
def show_command(slug, fmt_) -> None:
    project, seller = billing.get_seller_or_none(slug)
    members = billing.members(project)
    fields = (*billing.SELLER_FIELDS, *billing.SETTING_FIELDS)
    seller_data = {k: getattr(seller, k) for k in fields} if seller else None
    if fmt_ == "json":
        click.echo(json.dumps({"seller": seller_data, "members": [m.to_json() for m in members]}, ensure_ascii=False, indent=2))
        return
    click.echo(f"seller: {', '.join(f'{k} {v}' for k, v in seller_data.items() if v not in (None, ''))}" if seller_data else
               "seller: not set (portal billing seller …)")
    for member in members:
        click.echo(f"  {member.code}  {_describe(member)}")


# -- invoices ------------------------------------------------------------------------------------
@click.group("invoice", help="Issue a year's invoices, list them, and write their Finvoice messages and PDFs.")
def invoice_group() -> None:
    pass


def _print_run(run: issuing.Run, *, preview: bool) -> None:
    count = len(run.invoices)
    if preview:
        click.echo(f"preview of {count} invoice(s) for {run.year} (nothing issued; the numbers are provisional):")
    else:
        click.echo(f"issued {count} invoice(s) for {run.year} (posting {run.seq}):")
    for item in run.invoices:
        i = item.invoice
        corrects = f"  corrects {i.corrects}" if i.corrects else ""
        click.echo(f"  {i.number:>6}  {i.code}  {i.buyer['name']:<24} {i.kind:<13} {fmt(i.total_cents):>12}  due {i.due_date}{corrects}")
        for line in item.lines:
            click.echo(f"          {fmt(line.cents):>12}  {line.text}")
    click.echo(f"  total {fmt(run.total)} EUR, dated {run.dates.date}, due {run.dates.due}")


@invoice_group.command("issue", help="Issue the year's invoices: one per member with something to invoice.")
@click.argument("slug", type=SLUG)
@click.option("--year", required=True, type=YEAR, help="The budget year to invoice.")
@click.option("--date", type=DATE, default=None, help="The invoice date (default today).")
@click.option("--due", type=DATE, default=None, help="The due date (or give --terms).")
@click.option("--terms", type=Number("the payment terms", maximum=365), default=None, help="Payment terms in days (default: the project's setting).")
@click.option("--dry-run", is_flag=True, help="Show every invoice that would be issued; issue nothing.")
@with_appcontext
@refusing
def issue_command(slug, year, date, due, terms, dry_run) -> None:
    kwargs = {"year": year, "date": date, "due": due, "terms": terms}
    preview = issuing.preview(slug, **kwargs)
    if not preview.invoices:
        click.echo(f"nothing to invoice for {year}: every member's invoices already match what the ledger holds")
    elif dry_run:
        _print_run(preview, preview=True)
    else:
        _print_run(issuing.issue(slug, actor=actor(), **kwargs), preview=False)


@invoice_group.command("list", help="The project's invoices with what is paid and open.")
@click.argument("slug", type=SLUG)
@click.option("--year", type=YEAR, default=None)
@click.option("--city", default=None, type=CITY)
@click.option("--format", "fmt_", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--language", type=click.Choice(texts.LANGUAGES), default=None,
              help="CSV conventions (fi and sv: semicolons, decimal commas); default: the city's invoice language, else fi.")
@with_appcontext
@refusing
def list_command(slug, year, city, fmt_, language) -> None:
    project = projects.get_project(slug)
    rows = documents.listing(project, year=year, city=city)
    if fmt_ == "json":
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
    elif fmt_ == "csv":
        chosen = language or (billing.details(project, rows[0].invoice.code).language if city and rows else "fi")
        sys.stdout.write(documents.to_csv(rows, chosen))
    else:
        click.echo(f"  {'number':>6}  {'city':<28} {'year':4} {'kind':<13} {'date':10} {'due':10} {'amount':>12} {'outstanding':>12}  status")
        for r in rows:
            i = r.invoice
            click.echo(f"  {i.number:>6}  {i.code} {i.buyer['name']:<24} {i.year} {i.kind:<13} {i.invoice_date} {i.due_date}"
                       f" {fmt(i.total_cents):>12} {fmt(r.outstanding):>12}  {r.status}")
        click.echo(f"  {len(rows)} invoice(s), total {fmt(sum(r.invoice.total_cents for r in rows))} EUR")


def _write(output: str, body: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(body)
        return
    try:
        Path(output).write_bytes(body)
    except OSError as exc:  # no such folder, no permission, a full disk: nothing else was changed
        raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


@invoice_group.command("finvoice", help="Write an invoice's Finvoice 3.0 message.")
@click.argument("slug", type=SLUG)
@click.argument("number", type=ID)
@click.option("-o", "--output", required=True, type=File(output=True), help="File to write ('-' for standard output).")
@with_appcontext
@refusing
def finvoice_command(slug, number, output) -> None:
    project = projects.get_project(slug)
    _write(output, documents.finvoice(project, billing.find_invoice(project, number)))


@invoice_group.command("pdf", help="Write an invoice as a PDF in the member's language.")
@click.argument("slug", type=SLUG)
@click.argument("number", type=ID)
@click.option("-o", "--output", required=True, type=File(output=True), help="File to write ('-' for standard output).")
@with_appcontext
@refusing
def pdf_command(slug, number, output) -> None:
    project = projects.get_project(slug)
    _write(output, pdf.pdf(project, billing.find_invoice(project, number)))


invoice_group.add_command(paycli.aging_command)
invoice_group.add_command(paycli.remind_command)
COMMANDS = (billing_group, invoice_group, *paycli.COMMANDS)
