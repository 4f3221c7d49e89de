"""Payment pages: import with its result, a malformed file refused, unallocated list and allocation, manual payment,
statement and confirmation PDF (a contact sees only its own), aging with a reminder."""

from __future__ import annotations

import io
import re

import pytest

from portal.billing import issuing
from tests.common.billing import D, counts, invoices, with_seller
from tests.common.web import csrf
from tests.portal.billing.camtgen import camt


@pytest.fixture
def issued(loaded):
    with loaded.app_context():
        with_seller()
        issuing.issue("iam", year=2025, date=D(2025, 1, 15), terms=30, actor="acc")
        return {i.code: (i.number, i.reference, i.total_cents) for i in invoices()}


def _counted(app) -> tuple[int, ...]:
    with app.app_context():
        return counts()


def test_import_page_allocate_and_add(as_accountant, loaded, issued) -> None:
    _number, reference, total = issued["638"]
    token = csrf(as_accountant, "/p/iam/payments", "")
    before = _counted(loaded)
    bad = as_accountant.post("/p/iam/payments/import", data={"csrf_token": token, "file": (io.BytesIO(b"<nope"), "x.xml")},
                             content_type="multipart/form-data")
    assert bad.status_code == 400 and "not well-formed" in bad.get_data(as_text=True) and _counted(loaded) == before
    body = camt([("W1", f"{total / 100:.2f}", reference), ("W2", "5.00", None)])
    page = as_accountant.post("/p/iam/payments/import", data={"csrf_token": token, "file": (io.BytesIO(body), "n.xml")},
                              content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 matched (0 partial, 0 over), 1 unallocated, 0 already imported" in html
    assert 'data-testid="unallocated"' in html
    with loaded.app_context():
        from portal.billing.payments import payments
        from portal.projects.services import get_project
        waiting = payments(get_project("iam"), unallocated=True)[0].id
    done = as_accountant.post(f"/p/iam/payments/{waiting}/allocate", data={"csrf_token": token, "city": "286"})
    assert done.status_code == 302
    added = as_accountant.post("/p/iam/payments/add", data={"csrf_token": token, "city": "286", "amount": "10,00",
                                                            "date": "2025-02-01"})
    assert added.status_code == 302
    refused = as_accountant.post("/p/iam/payments/add", data={"csrf_token": token, "city": "091", "amount": "abc", "date": "2025-02-01"})
    assert refused.status_code == 400
    assert "paid" in as_accountant.get("/p/iam/invoices?city=638").get_data(as_text=True)


def test_statement_and_confirmation_contact_sees_only_its_own(as_contact, issued) -> None:
    page = as_contact.get("/p/iam/statement")
    assert page.status_code == 200 and "Porvoo" in page.get_data(as_text=True)
    assert as_contact.get("/p/iam/statement?city=286").status_code == 403
    pdf = as_contact.get("/p/iam/statement/638/confirmation-2025.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert as_contact.get("/p/iam/statement/286/confirmation-2025.pdf").status_code == 403


def test_aging_page_and_a_reminder(as_accountant, issued) -> None:
    html = as_accountant.get("/p/iam/aging").get_data(as_text=True)
    assert 'data-testid="aging"' in html and "Issue a reminder" in html  # the demo's today is past the due date
    token = csrf(as_accountant, "/p/iam/aging", "")
    number = issued["638"][0]
    assert as_accountant.post(f"/p/iam/invoices/{number}/remind", data={"csrf_token": token}).status_code == 302
    pdf = as_accountant.get("/p/iam/reminders/1.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_reminder_with_a_fee_from_the_aging_page_and_a_bad_fee_refused(as_accountant, loaded, issued) -> None:
    from portal.extensions import db
    from portal.projects import services as projects

    number = issued["638"][0]
    token = csrf(as_accountant, "/p/iam/aging", "")
    bad = as_accountant.post(f"/p/iam/invoices/{number}/remind", data={"csrf_token": token, "fee": "1e3"})
    assert bad.status_code == 400 and "the reminder fee" in bad.get_data(as_text=True)
    assert "No reminders." in as_accountant.get("/p/iam/aging").get_data(as_text=True)
    done = as_accountant.post(f"/p/iam/invoices/{number}/remind", data={"csrf_token": token, "fee": "7,50"})
    assert done.status_code == 302
    html = as_accountant.get("/p/iam/aging").get_data(as_text=True)
    assert "reminder fee 7,50\u00a0€ charged to the city" in html and 'for="fee-' in html
    with loaded.app_context():
        state = projects.state_for(projects.get_project("iam"))
        language = next(i.language for i in invoices() if i.number == number)  # the charge is worded as the invoice is
        fee_text = {"fi": f"Muistutusmaksu, lasku {number}", "sv": f"Påminnelseavgift, faktura {number}"}[language]
        assert [(c.code, c.cents, c.text) for c in state.charges] == [("638", 750, fee_text)]
        db.session.remove()


def test_a_big_bank_file_is_imported_as_a_job_with_its_result(as_accountant, loaded, issued, monkeypatch) -> None:
    from portal.billing import payjobs
    from tests.common.jobs import wait

    monkeypatch.setattr(payjobs, "INLINE_BYTES", 100)  # every file counts as big
    _number, reference, total = issued["638"]
    token = csrf(as_accountant, "/p/iam/payments", "")
    before = _counted(loaded)
    bad = as_accountant.post("/p/iam/payments/import", data={"csrf_token": token, "file": (io.BytesIO(b"<nope" * 50), "x.xml")},
                             content_type="multipart/form-data")
    assert bad.status_code == 400 and _counted(loaded) == before  # refused on the form, nothing queued
    body = camt([("J1", f"{total / 100:.2f}", reference), ("J2", "5.00", None)])
    answer = as_accountant.post("/p/iam/payments/import", data={"csrf_token": token, "file": (io.BytesIO(body), "n.xml")},
                                content_type="multipart/form-data")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/jobs/")
    job = wait(loaded, int(answer.headers["Location"].rsplit("/", 1)[1]))
    assert job["status"] == "done", job
    page = as_accountant.get(answer.headers["Location"]).get_data(as_text=True)
    assert "1 matched (0 partial, 0 over), 1 unallocated, 0 already imported" in page
    assert 'href="/p/iam/payments"' in page
    finnish = as_accountant.get(answer.headers["Location"], headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert "1 kohdistettu (0 osittain, 0 ylisuoritusta), 1 kohdistamatta, 0 tuotu aiemmin" in finnish
    assert ">Takaisin maksuihin</a>" in finnish


def test_the_citys_page_shows_invoiced_paid_and_open_per_year_to_its_own_contact(as_contact, loaded, issued) -> None:
    from portal.billing import payments as pay

    _number, reference, total = issued["638"]
    with loaded.app_context():
        pay.add_payment("iam", city="638", cents=10000, date=D(2025, 2, 1), reference=reference, text=None, actor="acc")
    page = as_contact.get("/p/iam/cities/638").get_data(as_text=True)
    billed = page[page.index('data-testid="billed"'):]
    billed = billed[:billed.index("</table>")]
    row = billed[billed.index('data-year="2025"'):]
    amounts = [re.sub(r"\s", "", m) for m in re.findall(r'<td class="num">([^<]*)</td>', row)][:3]
    assert amounts == [f"{total // 100:,}".replace(",", "") + f",{total % 100:02d}€", "100,00€",
                       f"{(total - 10000) // 100:,}".replace(",", "") + f",{(total - 10000) % 100:02d}€"]
    assert 'data-testid="next-due"' in page and "14.2.2025" in page
    other = as_contact.get("/p/iam/cities/286").get_data(as_text=True)
    assert 'data-testid="billed"' not in other  # another city's invoices are not this contact's to see


@pytest.mark.parametrize("big", [False, True])
def test_a_bank_file_refused_on_the_page_lists_its_entry_problems_in_the_pages_language(as_accountant, loaded, monkeypatch,
                                                                                         big) -> None:
    """Every entry's problem is a detail line worded in the page's language, a small file's (read on the page) and a big
    one's (refused before it is queued) alike; in English word for word."""
    import html

    from portal.billing import payjobs

    if big:
        monkeypatch.setattr(payjobs, "INLINE_BYTES", 100)
    token = csrf(as_accountant, "/p/iam/payments", "")
    body = camt([("W1", "abc", None), ("W2", "1.005", None)])
    before = _counted(loaded)

    def refused(language: str) -> str:
        page = as_accountant.post("/p/iam/payments/import", data={"csrf_token": token, "file": (io.BytesIO(body), "n.xml")},
                                  content_type="multipart/form-data", headers={"Accept-Language": language})
        assert page.status_code == 400
        return html.unescape(page.get_data(as_text=True))

    assert ("entry 1: the amount 'abc' is not a number (entry 1: the amount 'abc' is not a number;"
            " entry 2: the amount '1.005' has more than two decimals)") in refused("en")
    assert ("kirjaus 1: summa 'abc' ei ole luku (kirjaus 1: summa 'abc' ei ole luku;"
            " kirjaus 2: summassa '1.005' on yli kaksi desimaalia)") in refused("fi")
    assert ("post 1: beloppet 'abc' är inte ett tal (post 1: beloppet 'abc' är inte ett tal;"
            " post 2: beloppet '1.005' har fler än två decimaler)") in refused("sv")
    assert _counted(loaded) == before
