"""The words of an invoice in the member's language (fi, sv, en), and its amounts and dates.

Plain strings per language for now: the PDF, the invoice lines and the CSV list for a city's
own accounting are the only texts a member city reads in its own language. Flask-Babel will take
these over with the rest of the portal's pages (the keys become message ids).

Amounts are written the Finnish and Swedish way (``30 588,24``, a non-breaking space between
thousands) or the English way (``30,588.24``); dates ``1.12.2026`` in every language, as Finnish
invoices print them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledger.errors import InvalidInput
from ledger.money import fmt_human
from ledger.rules import RuleVersion

LANGUAGES = ("fi", "sv", "en")
MAX_LINE = 100  # an invoice row's text (Finvoice ArticleName)

_WORDS: dict[str, dict[str, str]] = {
    "fi": {
        "invoice": "Lasku", "supplementary": "Lisälasku", "credit-note": "Hyvityslasku",
        "share": "Osuus vuoden {year} kustannuksista ({rule}, {members} jäsentä)",
        "instalment": ", erä {i}/{n}", "correction": "Oikaisu: {text}", "fee": "Liittymismaksu ({year})",
        "equal": "tasajako", "population": "asukasluvun mukaan ({year})",
        "hybrid": "{base} % tasan, {rest} % asukasluvun mukaan ({year})", "fixed": "sovitut prosenttiosuudet",
        "no_vat": "Ei arvonlisäveroa: jäsenkuntien välinen kustannustenjako",
        "number": "Laskun numero", "date": "Laskun päivämäärä", "due": "Eräpäivä", "terms": "Maksuehto",
        "terms_days": "{days} päivää netto", "reference": "Viitenumero", "rf": "RF-viite", "buyer_reference": "Viitteenne",
        "corrects": "Oikaistava lasku", "seller": "Laskuttaja", "buyer": "Laskutettava", "business_id": "Y-tunnus",
        "einvoice": "Verkkolaskuosoite", "operator": "Välittäjä", "contact": "Yhteyshenkilö", "text": "Selite",
        "amount": "Summa", "net": "Veroton yhteensä", "vat": "Arvonlisävero {rate} %", "total": "Yhteensä",
        "to_pay": "Maksettava", "credit": "Hyvitetään", "iban": "Saajan tilinumero", "bic": "BIC",
        "barcode": "Virtuaaliviivakoodi", "year": "Vuosi", "city": "Kunta", "kind": "Laji", "page": "Sivu",
        "paid": "Maksettu", "outstanding": "Avoinna", "status": "Tila", "no_credit_payment": "Hyvitys ei vaadi maksua.",
    },
    "sv": {
        "invoice": "Faktura", "supplementary": "Tilläggsfaktura", "credit-note": "Kreditnota",
        "share": "Andel av kostnaderna för {year} ({rule}, {members} medlemmar)",
        "instalment": ", rat {i}/{n}", "correction": "Rättelse: {text}", "fee": "Anslutningsavgift ({year})",
        "equal": "lika delar", "population": "enligt invånarantal ({year})",
        "hybrid": "{base} % lika, {rest} % enligt invånarantal ({year})", "fixed": "avtalade procentandelar",
        "no_vat": "Ingen moms: kostnadsfördelning mellan medlemskommunerna",
        "number": "Fakturanummer", "date": "Fakturadatum", "due": "Förfallodag", "terms": "Betalningsvillkor",
        "terms_days": "{days} dagar netto", "reference": "Referensnummer", "rf": "RF-referens", "buyer_reference": "Er referens",
        "corrects": "Rättad faktura", "seller": "Fakturerare", "buyer": "Faktureras", "business_id": "FO-nummer",
        "einvoice": "E-fakturaadress", "operator": "Förmedlare", "contact": "Kontaktperson", "text": "Beskrivning",
        "amount": "Belopp", "net": "Totalt utan moms", "vat": "Moms {rate} %", "total": "Totalt",
        "to_pay": "Att betala", "credit": "Krediteras", "iban": "Mottagarens kontonummer", "bic": "BIC",
        "barcode": "Virtuell streckkod", "year": "År", "city": "Kommun", "kind": "Typ", "page": "Sida",
        "paid": "Betalt", "outstanding": "Öppet", "status": "Status", "no_credit_payment": "Krediteringen kräver ingen betalning.",
    },
    "en": {
        "invoice": "Invoice", "supplementary": "Supplementary invoice", "credit-note": "Credit note",
        "share": "Share of the costs of {year} ({rule}, {members} members)",
        "instalment": ", instalment {i}/{n}", "correction": "Correction: {text}", "fee": "Joining fee ({year})",
        "equal": "equal shares", "population": "by population ({year})",
        "hybrid": "{base} % equal, {rest} % by population ({year})", "fixed": "agreed percentages",
        "no_vat": "No VAT: cost sharing between the member municipalities",
        "number": "Invoice number", "date": "Invoice date", "due": "Due date", "terms": "Payment terms",
        "terms_days": "{days} days net", "reference": "Reference number", "rf": "RF reference", "buyer_reference": "Your reference",
        "corrects": "Corrected invoice", "seller": "Seller", "buyer": "Bill to", "business_id": "Business ID",
        "einvoice": "E-invoice address", "operator": "Operator", "contact": "Contact", "text": "Description",
        "amount": "Amount", "net": "Total excluding VAT", "vat": "VAT {rate} %", "total": "Total",
        "to_pay": "To pay", "credit": "Credited", "iban": "Payee's account", "bic": "BIC",
        "barcode": "Virtual bank barcode", "year": "Year", "city": "Municipality", "kind": "Kind", "page": "Page",
        "paid": "Paid", "outstanding": "Outstanding", "status": "Status", "no_credit_payment": "A credit note asks for no payment.",
    },
}


def check_language(value: object) -> str:
    """An invoice language: fi, sv or en."""
    text = str(value or "").strip().lower()
    if text not in LANGUAGES:
        raise InvalidInput("invoice language %(value)s must be one of %(languages)s", value=repr(value), languages=", ".join(LANGUAGES))
    return text


def word(language: str, key: str, **values: object) -> str:
    """A text of the invoice in ``language``, with ``values`` filled in."""
    return _WORDS[language][key].format(**values)


def fit(text: str) -> str:
    """A line's text cut to what an invoice row holds."""
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


def percent(value: Decimal, language: str) -> str:
    """``25,5`` (fi, sv) or ``25.5`` (en), without trailing zeros."""
    plain = format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
    return plain if language == "en" else plain.replace(".", ",")


def rule(version: RuleVersion, language: str) -> str:
    """How a year's share was assessed, in a few words: ``tasajako``, ``by population (2025)``."""
    if version.kind == "hybrid":
        base = Decimal(version.base_percent.numerator) / Decimal(version.base_percent.denominator) if version.base_percent else Decimal(0)
        return word(language, "hybrid", base=percent(base, language), rest=percent(100 - base, language),
                    year=version.population_year)
    return word(language, version.kind, year=version.population_year)


def amount(cents: int, language: str) -> str:
    """``30 588,24`` (fi, sv) or ``30,588.24`` (en)."""
    if language == "en":
        sign = "-" if cents < 0 else ""
        whole, rest = divmod(abs(cents), 100)
        return f"{sign}{whole:,}.{rest:02d}"
    return fmt_human(cents)


def day(value: dt.date) -> str:
    """``1.12.2026``: how Finnish invoices print a date, in every language."""
    return f"{value.day}.{value.month}.{value.year}"
