"""The agreement through the pages and the API: the project page's status line, signing with CSRF, JSON."""

from __future__ import annotations

import datetime as dt

from portal import demo
from portal.documents import services as documents
from tests.common.pdf import stored
from tests.common.web import csrf, login, strict_json

URL = "/p/iam/agreement"
D = dt.date


def sign_form(client, **fields: str):
    data = {"csrf_token": csrf(client, URL), "city": "638", "signer": "Mayor Anna Virtanen", "signed_on": "2025-03-01",
            "decision": "City board 20.1.2025 § 4", "document": "", **fields}
    return client.post(URL, data=data)


def sign_all_but(app, *unsigned: str) -> None:
    codes = [*demo.FOUNDERS, *(c for _, codes, _, _ in demo.HISTORY for c in codes)]
    with app.app_context():
        for code in codes:
            if code not in unsigned:
                documents.sign("iam", code, signer="Mayor", signed_on=D(2026, 2, 1) if code in ("444", "740") else D(2025, 6, 1),
                               actor="t")


def test_the_project_page_says_whose_signatures_the_agreement_waits_for(as_contact, loaded) -> None:
    sign_all_but(loaded, "638", "753")  # Sipoo is not a member of the demo: only Porvoo is waited for
    page = as_contact.get("/p/iam/").get_data(as_text=True)
    assert "Not in force: waiting for the signatures of Porvoo." in page and f'href="{URL}"' in page


def test_the_project_page_says_since_when_it_is_in_force(as_contact, loaded) -> None:
    sign_all_but(loaded)
    assert "Agreement in force since 1.2.2026." in as_contact.get("/p/iam/").get_data(as_text=True)


def test_the_lead_records_a_signature_on_the_agreement_page(as_lead, loaded) -> None:
    page = as_lead.get(URL).get_data(as_text=True)
    assert 'data-testid="no-signatures"' in page and "Record a signature" in page
    response = sign_form(as_lead)
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    page = as_lead.get(URL).get_data(as_text=True)
    assert 'data-city="638"' in page and "Mayor Anna Virtanen" in page and "1.3.2025" in page and "City board 20.1.2025 § 4" in page
    assert "Porvoo (638) – signed" in page


BAD = [
    ({"city": "999"}, 400, "999"),
    ({"city": "091"}, 409, "Helsinki (091) is not a member"),
    ({"signed_on": "2999-01-01"}, 400, "cannot be dated in the future"),
    ({"signed_on": ""}, 400, "Give the date of the signature."),
    ({"signer": ""}, 400, "Give the signer&#39;s name and title."),
]


def test_bad_signatures_are_shown_on_the_form_and_nothing_is_stored(as_lead, loaded) -> None:
    before = stored(loaded)
    for fields, status, message in BAD:
        response = sign_form(as_lead, **fields)
        assert response.status_code == status and message in response.get_data(as_text=True), fields
    assert stored(loaded) == before


def test_a_decision_document_that_is_no_id_is_refused_on_the_form_and_nothing_is_stored(as_lead, loaded) -> None:
    """The choice is not checked against its list (a document attached meanwhile may be chosen): the id must still be one."""
    before = stored(loaded)
    for value in ("¹", "²⁰²⁶", "١٢", "9" * 5000, "-1", "1e3"):
        response = sign_form(as_lead, document=value)
        assert response.status_code == 400 and "the decision document" in response.get_data(as_text=True), value
    assert stored(loaded) == before


def test_signing_twice_is_refused(as_lead, loaded) -> None:
    assert sign_form(as_lead).status_code == 302
    before = stored(loaded)
    again = sign_form(as_lead, signed_on="2025-04-01")
    assert again.status_code == 409 and "has signed already" in again.get_data(as_text=True)
    assert stored(loaded) == before


def test_a_contact_sees_the_agreement_but_records_nothing(as_contact, loaded) -> None:
    page = as_contact.get(URL).get_data(as_text=True)
    assert "Not in force" in page and "Record a signature" not in page
    token = csrf(as_contact, URL)
    assert as_contact.post(URL, data={"csrf_token": token, "city": "638", "signer": "x", "signed_on": "2025-03-01"}).status_code == 403
    assert stored(loaded)[1] == 0


def test_the_agreement_api(as_contact, loaded) -> None:
    sign_all_but(loaded, "638")
    body = strict_json(as_contact.get("/api/v1/projects/iam/agreement"))
    assert body["in_force"] is False and body["since"] is None
    assert body["missing"] == [{"city": "638", "name": "Porvoo"}] and len(body["signed"]) == 16
    assert body["text"] == "Not in force: waiting for the signatures of Porvoo."
    with loaded.app_context():
        documents.sign("iam", "638", signer="Mayor", signed_on=D(2026, 3, 1), actor="t")
    body = strict_json(as_contact.get("/api/v1/projects/iam/agreement"))
    assert body["in_force"] is True and body["since"] == "2026-03-01" and body["missing"] == []


def test_the_agreement_api_wants_a_login_and_a_known_project(client, loaded) -> None:
    response = client.get("/api/v1/projects/iam/agreement")
    assert response.status_code in (302, 401)
    login(client, loaded, sub="porvoo", role="contact", city="638")
    missing = client.get("/api/v1/projects/nope/agreement")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
