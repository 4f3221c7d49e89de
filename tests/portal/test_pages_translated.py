"""Issue 12: the main pages read in Finnish and in Swedish, with no English left of the common words.

Each area's pages are fetched with ``Accept-Language: fi`` and ``sv``; a key text of each page must be
there in the page's language, and none of a small list of English words may be left in what the page
shows (its text, not its markup). Only the parts still owned by other modules are allowed to stay
English: the names and rule labels the core gives, and the change summaries kept in the audit log.
"""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.billing import issuing
from portal.extensions import db
from tests.common.billing import D, invoices, with_seller
from tests.common.web import csrf, login

LANGUAGES = ("fi", "sv")
# Common English words of these pages (case-sensitive, whole words); a language's own identical words are skipped.
LEFTOVERS = ("Budget", "Members", "Invoices", "Invoice", "Total", "Due", "Paid", "Amount", "Share", "Year", "City",
             "Rules", "Billing", "Seller", "Preview", "Recent changes", "not shown", "Back to", "Decision", "Status",
             "Outstanding", "Reference", "withdraw", "Not in force", "Save", "Edit", "Direct charges")
SAME = {"fi": set(), "sv": {"Budget", "Status", "Total"}}  # Swedish words too ("Total budget")


def visible(page: str) -> str:
    """What a reader sees: the text without tags, scripts or styles, entities decoded, spaces collapsed."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def leftovers(text: str, language: str) -> list[str]:
    return [word for word in LEFTOVERS if word not in SAME[language] and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def client_as(app: Flask, role: str, city: str | None = "109"):
    client = app.test_client()
    login(client, app, sub=role, role=role, city=city)
    return client


def check(client, url: str, keys: dict[str, tuple[str, ...]], *, strict: bool = True) -> None:
    """``url`` in each language: every key text there, no English leftovers (unless the page is not ``strict``)."""
    for language in LANGUAGES:
        answer = client.get(url, headers={"Accept-Language": language})
        assert answer.status_code == 200, (url, answer.status_code)
        page = answer.get_data(as_text=True)
        assert f'<html lang="{language}">' in page
        text = visible(page)
        missing = [key for key in keys[language] if key not in text]
        assert not missing, f"{url} ({language}) lacks {missing}:\n{text[:3000]}"
        if strict:
            left = leftovers(text, language)
            assert not left, f"{url} ({language}) still shows English {left}:\n{text[:3000]}"


@pytest.fixture
def billed(loaded: Flask) -> Flask:
    """The demo with a seller and the year 2026 invoiced."""
    with loaded.app_context():
        with_seller()
        issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    return loaded


def test_the_project_pages_in_finnish_and_swedish(loaded: Flask) -> None:
    lead = client_as(loaded, "lead")
    check(lead, "/", {"fi": ("Hankkeet", "Jäsenet", "Budjetti", "Jakosääntö"), "sv": ("Projekt", "Medlemmar", "Fördelningsregel")})
    # The project page: its recent changes are the audit log's own summaries (English), so only its keys are checked
    # strictly there; its table and headings are checked by the leftovers on the other pages.
    check(lead, "/p/iam/", {"fi": ("Jäsenet ja osuudet", "Asukasluku", "Liittynyt", "Viimeisimmät muutokset", "Kausi 1.1.2025 – 31.12.2029",
                                   "kirjaa eroaminen", "Ei voimassa: allekirjoitus puuttuu seuraavilta:", "Yhteensä"),
                            "sv": ("Medlemmar och andelar", "Invånarantal", "Senaste ändringar", "registrera utträde",
                                   "Gäller inte: väntar på underskrifter av", "Totalt")}, strict=False)
    page = visible(lead.get("/p/iam/", headers={"Accept-Language": "fi"}).get_data(as_text=True))
    table = page[page.index("Jäsenet ja osuudet"):page.index("Viimeisimmät muutokset")]
    assert not leftovers(table, "fi"), table
    check(lead, "/p/iam/settings", {"fi": ("Budjetti ja jakosääntö", "Kokonaisbudjetti", "Budjetti vuosittain"),
                                    "sv": ("Budget och fördelningsregel", "Budget per år")}, strict=False)


def test_a_changes_page_in_finnish_and_swedish(loaded: Flask) -> None:
    with loaded.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "members-added")
                                   .order_by(AuditEvent.id.desc())).scalars().first()
        assert event is not None
        event_id = event.id
    lead = client_as(loaded, "lead")
    url = f"/p/iam/changes/{event_id}"
    check(lead, url, {"fi": (f"Muutos {event_id}", "Osuudet ennen ja jälkeen", "Ennen", "Jälkeen", "Erotus", "Yhteensä muutoksen jälkeen",
                             "Kirjanpidon vienti", "Takaisin"),
                      "sv": (f"Ändring {event_id}", "Andelar före och efter", "Före", "Efter", "Skillnad", "Totalt efter")},
          strict=False)  # its title is the change's summary from the audit log
    page = visible(lead.get(url, headers={"Accept-Language": "fi"}).get_data(as_text=True))
    assert not leftovers(page[page.index("Tekijä"):], "fi")
    assert re.search(r"\d+/\d+ osuu(s|desta) muuttui", page), page


def test_the_billing_pages_in_finnish_and_swedish(billed: Flask) -> None:
    with billed.app_context():
        number = invoices()[0].number
    accountant = client_as(billed, "accountant")
    check(accountant, "/p/iam/invoices", {"fi": ("Laskut", "Eräpäivä", "Avoinna", "lasku", "avoin", "15.1.2026", "CSV kirjanpitoon"),
                                          "sv": ("Fakturor", "Förfallodag", "faktura", "öppen", "15.1.2026")})
    # The invoice's own lines and totals are in the buyer's invoice language (as on its PDF), not the page's.
    check(accountant, f"/p/iam/invoices/{number}", {"fi": ("Ostaja", "Eräpäivä", "Viitenumero", "Tili", "(avoin)"),
                                                    "sv": ("Köpare", "Förfallodag", "Konto", "(öppen)")}, strict=False)
    check(accountant, "/p/iam/invoices/issue", {"fi": ("Laskujen laatiminen hankkeessa", "Esikatsele", "Laskun päivämäärä"),
                                                "sv": ("Utfärda fakturor i projektet", "Förhandsgranska", "Fakturadatum")})
    lead = client_as(billed, "lead")
    check(lead, "/p/iam/billing", {"fi": ("Laskutus hankkeessa", "Myyjä", "1 maksuerä vuodessa", "21 päivää netto", "Tallenna myyjä",
                                          "Jäsenten laskutustiedot", "suomi"),
                                   "sv": ("Fakturering i projektet", "Säljare", "1 rat per år", "21 dagar netto", "Spara säljaren",
                                          "Medlemmarnas faktureringsuppgifter", "svenska")})


def test_the_preview_counts_in_each_language(billed: Flask) -> None:
    accountant = client_as(billed, "accountant")
    token = csrf(accountant, "/p/iam/invoices/issue")
    for language, words in (("fi", ("Esikatselu: 17 laskua vuodelta 2025", "Vahvista: laadi 17 laskua", "(14 päivää)", "1.2.2025")),
                            ("sv", ("Förhandsgranskning: 17 fakturor för 2025", "Bekräfta: utfärda 17 fakturor", "(14 dagar)"))):
        page = accountant.post("/p/iam/invoices/issue", headers={"Accept-Language": language},
                               data={"csrf_token": token, "year": "2025", "date": "2025-02-01", "terms": "14"})
        assert page.status_code == 200
        text = visible(page.get_data(as_text=True))
        assert all(w in text for w in words), text[-3000:]
        assert not leftovers(text, language)


def test_the_accounting_and_admin_pages_in_finnish_and_swedish(loaded: Flask) -> None:
    accountant = client_as(loaded, "accountant")
    check(accountant, "/p/iam/query", {"fi": ("Kysely", "Lataa CSV"), "sv": ("Fråga", "Ladda ner CSV")})
    check(accountant, "/p/iam/import", {"fi": ("Tuonnit",), "sv": ("Importer",)})
    lead = client_as(loaded, "lead")  # the demo's users have English names ("Aino Accountant"): only the roles are checked
    check(lead, "/admin/users", {"fi": ("Käyttäjät", "hankkeen vetäjä", "kirjanpitäjä"), "sv": ("Användare", "projektledare", "bokförare")},
          strict=False)
    check(lead, "/admin/invitations", {"fi": ("Kutsut", "yhteyshenkilö"), "sv": ("Inbjudningar", "kontaktperson")})
    admin = client_as(loaded, "admin", city=None)
    check(admin, "/projects/new", {"fi": ("Uusi hanke", "tasaosuus", "koko kausi", "pitää vuotensa"),
                                   "sv": ("Nytt projekt", "lika andelar", "hela perioden", "behåller sina år")})


def test_english_stays_as_it_was(billed: Flask) -> None:
    lead = client_as(billed, "lead")
    page = visible(lead.get("/p/iam/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Members and shares" in page and "withdraw" in page and "Not in force: waiting for the signatures of" in page
    invoices_page = visible(lead.get("/p/iam/invoices", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "invoice" in invoices_page and " open " in invoices_page and "15.1.2026" in invoices_page


def test_a_withdrawn_member_reads_withdrawn_not_a_withdrawn_document(loaded: Flask) -> None:
    from portal.projects import services as projects
    with loaded.app_context():
        projects.withdraw_member("iam", "638", left=D(2026, 6, 30), decision="KV 5/2026", actor="lead")
    lead = client_as(loaded, "lead")
    for language, word in (("fi", "eronnut 30.6.2026"), ("sv", "utträtt 30.6.2026"), ("en", "withdrawn 30.6.2026")):
        page = visible(lead.get("/p/iam/", headers={"Accept-Language": language}).get_data(as_text=True))
        assert word in page, page[:3000]


@pytest.mark.parametrize(("language", "expected"), [
    ("fi", "'1e6' ei ole luku (kirjoita esimerkiksi 520000.00 tai 520 000,00)"),
    ("sv", "'1e6' är inte ett tal (skriv till exempel 520000.00 eller 520 000,00)"),
    ("en", "the year's budget '1e6' is not a number (write it like 520000.00 or 520 000,00)"),
])
def test_a_refusal_of_the_core_reads_in_the_pages_language(loaded: Flask, language: str, expected: str) -> None:
    """The core refuses the amount in English; the page shows it in its own language, and nothing is posted."""
    from portal.projects.models import Project
    lead = client_as(loaded, "lead")
    with loaded.app_context():
        before = db.session.execute(select(Project.change_seq).where(Project.slug == "iam")).scalar_one()
    token = csrf(lead, "/p/iam/budget", "year")
    answer = lead.post("/p/iam/budget/year", data={"year-year": "2027", "year-amount": "1e6", "year-csrf_token": token},
                       headers={"Accept-Language": language})
    page = visible(answer.get_data(as_text=True))
    assert answer.status_code == 400 and expected in page, page[:3000]
    if language != "en":
        assert "is not a number" not in page
    with loaded.app_context():
        assert db.session.execute(select(Project.change_seq).where(Project.slug == "iam")).scalar_one() == before
