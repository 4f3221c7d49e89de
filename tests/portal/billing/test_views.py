"""Billing pages through the test client: parties, issuing with its preview, the list, an invoice, its files, the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.billing import issuing
from portal.billing.parties import business_id_check_digit
from portal.extensions import db
from tests.common.billing import SELLER, D, counts, invoices, with_seller
from tests.common.demo import state
from tests.common.web import csrf, strict_json


@pytest.fixture
def seller(loaded):
    with loaded.app_context():
        with_seller()
    return loaded


@pytest.fixture
def issued(seller):
    with seller.app_context():
        issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
        numbers = {i.code: i.number for i in invoices()}
    return numbers


def counted(app) -> tuple[int, ...]:
    with app.app_context():
        return counts()


# -- the parties page ----------------------------------------------------------------------------
def test_the_parties_page_sets_the_seller_with_csrf_and_refuses_a_wrong_check_digit(as_accountant, loaded) -> None:
    page = as_accountant.get("/p/iam/billing")
    assert page.status_code == 200 and 'data-testid="no-seller"' in page.get_data(as_text=True)
    actions = re.findall(r'<form method="post" action="([^"]+)"[^>]*data-testid="(\w+)-form"', page.get_data(as_text=True))
    assert "seller" in {name for _, name in actions} and all(action == f"/p/iam/billing/{name}" for action, name in actions)
    token = csrf(as_accountant, "/p/iam/billing", "seller")
    form = {f"seller-{k}": v for k, v in SELLER.items()} | {"seller-csrf_token": token}
    before = counted(loaded)
    bad = as_accountant.post("/p/iam/billing/seller", data={**form, "seller-business_id": "0139797-9"})
    assert bad.status_code == 400 and "expected 0139797-8" in bad.get_data(as_text=True) and counted(loaded) == before
    assert as_accountant.post("/p/iam/billing/seller", data={**form, "seller-csrf_token": "forged"}).status_code == 400
    saved = as_accountant.post("/p/iam/billing/seller", data=form)
    assert saved.status_code == 302
    html = as_accountant.get("/p/iam/billing").get_data(as_text=True)
    assert "Hämeenlinnan kaupunki (0139797-8)" in html and "FI2112345600000785" in html


def test_a_members_details_are_edited_on_the_parties_page(as_lead, seller) -> None:
    html = as_lead.get("/p/iam/billing?city=286").get_data(as_text=True)
    assert '<option value="286" selected>Kouvola (286)</option>' in html and '<h2>Kouvola (286)</h2>' in html
    assert 'name="member-city" type="hidden" value="286"' in html
    token = csrf(as_lead, "/p/iam/billing?city=286", "member")
    business_id = f"0189306-{business_id_check_digit('0189306')}"
    form = {"member-csrf_token": token, "member-city": "286", "member-name": "Kouvolan kaupunki", "member-business_id": business_id,
            "member-email": "laskut@kouvola.example", "member-language": "en"}
    before = counted(seller)
    wrong = as_lead.post("/p/iam/billing/member", data={**form, "member-business_id": business_id[:-1] + str((int(business_id[-1]) + 1) % 10)})
    assert wrong.status_code == 400 and f"expected {business_id}" in wrong.get_data(as_text=True) and counted(seller) == before
    assert as_lead.post("/p/iam/billing/member", data=form).status_code == 302
    row = re.search(r'<tr data-city="286">(.*?)</tr>', as_lead.get("/p/iam/billing").get_data(as_text=True), re.S).group(1)
    assert "Kouvolan kaupunki" in row and business_id in row and "laskut@kouvola.example" in row and ">en<" in row


def test_the_parties_page_is_for_the_lead_and_the_accountants(as_contact) -> None:
    assert as_contact.get("/p/iam/billing").status_code == 403
    assert as_contact.post("/p/iam/billing/seller", data={}).status_code in (400, 403)


# -- issuing -------------------------------------------------------------------------------------
def test_the_preview_issues_nothing_and_confirm_issues_what_it_showed(as_accountant, seller) -> None:
    token = csrf(as_accountant, "/p/iam/invoices/issue")
    before = state(seller)
    page = as_accountant.post("/p/iam/invoices/issue", data={"csrf_token": token, "year": "2025", "date": "2025-02-01", "terms": "14"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<tr data-city=") == 17 and state(seller) == before
    assert "80\u00a0000,00\u00a0€" in html  # the year's total, the Finnish way
    hidden = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', html))
    assert hidden["year"] == "2025" and hidden["terms"] == "14" and hidden["seq"] == str(before[2])
    done = as_accountant.post("/p/iam/invoices/confirm", data={**hidden, "csrf_token": token})
    assert done.status_code == 302 and "/p/iam/invoices?year=2025" in done.headers["Location"]
    with seller.app_context():
        assert len(invoices()) == 17 and {i.due_date for i in invoices()} == {D(2025, 2, 15)}
    again = as_accountant.post("/p/iam/invoices/confirm", data={**hidden, "csrf_token": token})
    assert again.status_code == 409 and "preview the invoices again" in again.get_data(as_text=True)


def test_a_bad_year_or_dates_show_on_the_form_and_issue_nothing(as_accountant, seller) -> None:
    token = csrf(as_accountant, "/p/iam/invoices/issue")
    before = counted(seller)
    page = as_accountant.post("/p/iam/invoices/issue", data={"csrf_token": token, "year": "2026", "date": "2026-02-01", "due": "2026-01-01"})
    assert page.status_code == 400 and "before the invoice date" in page.get_data(as_text=True)
    page = as_accountant.post("/p/iam/invoices/issue", data={"csrf_token": token, "year": "2031"})
    assert page.status_code == 400
    forged = as_accountant.post("/p/iam/invoices/confirm", data={"csrf_token": token, "year": "2031", "seq": str(state(seller)[2])})
    assert forged.status_code == 400 and "2031 is not one of the project" in forged.get_data(as_text=True)
    for dates in ({"date": "9999-12-31"}, {"date": "0001-01-01"}, {"date": "2026-02-01", "due": "9999-12-31"}):
        for url in ("/p/iam/invoices/issue", "/p/iam/invoices/confirm"):
            page = as_accountant.post(url, data={"csrf_token": token, "year": "2026", "seq": str(state(seller)[2]), **dates})
            assert page.status_code == 400 and "dates must be from 2000 to 2099" in page.get_data(as_text=True), (url, dates)
    for terms in ("¹", "²⁰²⁶", "١٤", "9" * 5000, "-14"):  # a forged hidden field: other digits, a number int() itself refuses
        forged = as_accountant.post("/p/iam/invoices/confirm", data={"csrf_token": token, "year": "2026", "terms": terms,
                                                                     "seq": str(state(seller)[2])})
        assert forged.status_code == 400 and "must be a whole number of days" in forged.get_data(as_text=True), terms
    assert counted(seller) == before


def test_only_accountants_issue(as_lead, as_contact) -> None:
    assert as_lead.get("/p/iam/invoices/issue").status_code == 403
    assert as_contact.get("/p/iam/invoices/issue").status_code == 403


# -- the invoices --------------------------------------------------------------------------------
def test_the_accountant_sees_every_invoice_with_filters_and_its_files(as_accountant, issued) -> None:
    html = as_accountant.get("/p/iam/invoices").get_data(as_text=True)
    assert html.count('data-number="') == 17
    assert as_accountant.get("/p/iam/invoices?city=638").get_data(as_text=True).count('data-number="') == 1
    assert as_accountant.get("/p/iam/invoices?year=2025").get_data(as_text=True).count('data-number="') == 0
    number = issued["638"]
    page = as_accountant.get(f"/p/iam/invoices/{number}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Faktura" in text and 'data-testid="finvoice-link"' in text
    assert re.search(r'data-testid="barcode">4\d{53}<', text)
    pdf = as_accountant.get(f"/p/iam/invoices/{number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    xml = as_accountant.get(f"/p/iam/invoices/{number}.xml")
    assert xml.status_code == 200 and b"<InvoiceNumber>" + str(number).encode() + b"</InvoiceNumber>" in xml.data
    csv = as_accountant.get("/p/iam/invoices.csv?city=638")
    assert csv.status_code == 200 and csv.data.startswith("\ufeffnumber;city;".encode())  # with the BOM Excel needs
    assert as_accountant.get("/p/iam/invoices/999").status_code == 404


def test_a_contact_sees_its_own_citys_invoices_and_pdfs_only(as_contact, issued) -> None:
    html = as_contact.get("/p/iam/invoices").get_data(as_text=True)
    assert re.findall(r'<tr data-city="(\d{3})"', html) == ["638"]
    assert as_contact.get("/p/iam/invoices?city=286").status_code == 403
    assert as_contact.get(f"/p/iam/invoices/{issued['638']}").status_code == 200
    assert as_contact.get(f"/p/iam/invoices/{issued['638']}.pdf").status_code == 200
    assert as_contact.get(f"/p/iam/invoices/{issued['286']}").status_code == 403
    assert as_contact.get(f"/p/iam/invoices/{issued['286']}.pdf").status_code == 403
    assert as_contact.get(f"/p/iam/invoices/{issued['638']}.xml").status_code == 403
    assert as_contact.get("/p/iam/invoices.csv").get_data(as_text=True).count("\r\n") == 2  # the header and Porvoo's


def test_the_api_gives_the_contract_and_a_contact_its_own_city(as_contact, issued) -> None:
    rows = strict_json(as_contact.get("/api/v1/projects/iam/invoices"))
    assert [r["city"] for r in rows] == ["638"]
    row = rows[0]
    assert {"number", "city", "year", "kind", "date", "due", "amount", "reference", "rf", "paid", "outstanding", "status"} <= set(row)
    assert (row["number"], row["kind"], row["paid"], row["status"], row["date"]) == (issued["638"], "invoice", "0.00", "open", "2026-01-15")
    assert as_contact.get("/api/v1/projects/iam/invoices?city=286").status_code == 403
    bad = as_contact.get("/api/v1/projects/iam/invoices?year=20x6")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_the_api_lists_every_city_for_the_accountant(as_accountant, issued) -> None:
    rows = strict_json(as_accountant.get("/api/v1/projects/iam/invoices?year=2026"))
    assert len(rows) == 17 and sorted(r["number"] for r in rows) == sorted(issued.values())
    assert as_accountant.get("/api/v1/projects/nope/invoices").status_code == 404


def test_the_navigation_links_the_billing_pages(as_accountant) -> None:
    html = as_accountant.get("/p/iam/").get_data(as_text=True)
    assert 'data-testid="nav-invoices"' in html and 'data-testid="nav-billing"' in html and 'data-testid="nav-fava"' in html


def test_details_for_a_city_that_is_not_a_member_are_refused_on_the_page(as_lead, seller) -> None:
    token = csrf(as_lead, "/p/iam/billing", "member")
    before = counted(seller)
    response = as_lead.post("/p/iam/billing/member", data={"member-csrf_token": token, "member-city": "091", "member-language": "fi",
                                                           "member-email": "x@example.org"})
    assert response.status_code == 409 and "Helsinki (091) is not a member" in response.get_data(as_text=True)
    assert counted(seller) == before


def test_an_issue_is_a_change_of_the_project_with_its_own_page(as_accountant, issued, seller) -> None:
    with seller.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "invoices-issued")).scalar_one()
    assert as_accountant.get("/p/iam/").status_code == 200
    page = as_accountant.get(f"/p/iam/changes/{event.id}")
    assert page.status_code == 200 and "17 invoice(s) for 2026 issued" in page.get_data(as_text=True)
