"""Documents through the pages: uploads with CSRF, refusals that store nothing, who may download, withdrawal."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.documents.models import Document
from portal.errors import MB
from portal.extensions import db
from tests.common.pdf import make_pdf, stored
from tests.common.web import csrf, login

ATTACH = "/p/iam/documents/attach"


def upload(client, data: bytes, filename: str = "agreement.pdf", *, title: str = "Consortium agreement", kind: str = "agreement",
           change: str = "", mimetype: str = "application/pdf"):
    return client.post(ATTACH, data={"csrf_token": csrf(client, ATTACH), "title": title, "kind": kind, "change": change,
                                     "file": (io.BytesIO(data), filename, mimetype)}, content_type="multipart/form-data")


def document_ids(client) -> list[int]:
    return [int(n) for n in re.findall(r'data-document="(\d+)"', client.get("/p/iam/").get_data(as_text=True))]


def change_page(app, kind: str = "members-added") -> str:
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == kind).order_by(AuditEvent.id.desc())).scalars().first()
        return f"/p/iam/changes/{event.id}"


# -- attaching -------------------------------------------------------------------------------------
def test_the_lead_attaches_a_pdf_and_it_is_listed_on_the_project_page(as_lead, loaded) -> None:
    data = make_pdf(pages=2)
    response = upload(as_lead, data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/iam/#documents")
    page = as_lead.get("/p/iam/").get_data(as_text=True)
    assert "Consortium agreement" in page and "agreement.pdf" in page and "Agreement</td>" in page
    recent = page[page.index('data-testid="recent"'):]
    assert "attached" not in recent  # documents have their own list; recent changes are changes
    with loaded.app_context():
        document = db.session.execute(select(Document)).scalar_one()
        assert document.content == data and document.size == len(data) and document.change_id is None
        assert len(document.sha256) == 64 and document.sha256 in page
        assert document.attached_by.startswith("lead <lead@")
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "document-attached")).scalar_one()
        assert event.details["document"] == document.id and event.details["pages"] == 2 and event.details["sha256"] == document.sha256


def test_a_change_in_the_address_that_is_no_id_only_leaves_the_form_empty(as_lead, loaded) -> None:
    for value in ("¹", "²⁰²⁶", "١٢", "9" * 5000, "-1", ""):
        page = as_lead.get(f"{ATTACH}?change={value}")
        assert page.status_code == 200, value
        assert 'name="change" type="number" value=""' in page.get_data(as_text=True) or value not in page.get_data(as_text=True)


def test_a_document_attached_to_a_change_is_listed_on_the_change_page(as_lead, loaded) -> None:
    url = change_page(loaded)
    page = as_lead.get(url).get_data(as_text=True)
    number = int(re.search(r"This is change (\d+) of the project", page).group(1))
    assert f'href="{ATTACH}?change={number}"' in page
    assert f'value="{number}"' in as_lead.get(f"{ATTACH}?change={number}").get_data(as_text=True)
    response = upload(as_lead, make_pdf(title="Lohja 10.11.2025 § 88"), "lohja.pdf", title="Lohja 10.11.2025 § 88",
                      kind="decision", change=str(number))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = as_lead.get(url).get_data(as_text=True)
    assert "Lohja 10.11.2025 § 88" in page and "Council decision" in page
    project_page = as_lead.get("/p/iam/").get_data(as_text=True)
    assert f'<a href="{url}">change {number}</a>' in project_page
    other = change_page(loaded, "project-created")
    assert "Lohja 10.11.2025" not in as_lead.get(other).get_data(as_text=True)


def test_a_text_file_named_pdf_is_refused_and_nothing_is_stored(as_lead, loaded) -> None:
    before = stored(loaded)
    response = upload(as_lead, b"This is not a PDF, whatever its name says.\n", "agreement.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is not a PDF file" in page and "Nothing was changed." in page
    assert stored(loaded) == before


def test_a_file_over_the_document_limit_is_refused_with_413_and_nothing_is_stored(as_lead, loaded) -> None:
    loaded.config["PORTAL_MAX_DOCUMENT_MB"] = 1
    before = stored(loaded)
    response = upload(as_lead, make_pdf(padding=MB + 10_000), "big.pdf")
    assert response.status_code == 413
    assert "a document may be at most 1 MB" in response.get_data(as_text=True)
    assert stored(loaded) == before


def test_a_request_over_flasks_limit_gets_the_413_page_and_nothing_is_stored(as_lead, loaded) -> None:
    loaded.config["MAX_CONTENT_LENGTH"] = MB
    before = stored(loaded)
    response = upload(as_lead, make_pdf(padding=2 * MB), "huge.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "at most 1 MB in one request" in page and "a document may be at most 10 MB" in page
    assert stored(loaded) == before


def test_the_request_limit_admits_the_largest_document(tmp_path) -> None:
    from tests.common.apps import dispose, make_app

    app = make_app(f"sqlite:///{tmp_path / 'big.sqlite3'}", tmp_path, PORTAL_MAX_DOCUMENT_MB=30)
    assert app.config["MAX_CONTENT_LENGTH"] == 31 * MB
    dispose(app)


def test_an_upload_without_the_csrf_token_is_refused(as_lead, loaded) -> None:
    before = stored(loaded)
    response = as_lead.post(ATTACH, data={"title": "x", "kind": "agreement", "file": (io.BytesIO(make_pdf()), "a.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and stored(loaded) == before


def test_the_same_file_twice_is_refused(as_lead, loaded) -> None:
    data = make_pdf()
    assert upload(as_lead, data).status_code == 302
    again = upload(as_lead, data, title="Again")
    assert again.status_code == 409 and "attached already" in again.get_data(as_text=True)


def test_an_unknown_change_is_refused(as_lead, loaded) -> None:
    before = stored(loaded)
    for change, status, message in (("999", 404, "has no change 999"), ("0", 400, "1 or more")):
        response = upload(as_lead, make_pdf(), change=change)
        assert response.status_code == status and message in response.get_data(as_text=True), change
    assert stored(loaded) == before


@pytest.mark.parametrize("role, city", [("contact", "638"), ("accountant", "109")])
def test_only_the_lead_attaches(client, loaded, role: str, city: str) -> None:
    login(client, loaded, sub=role, role=role, city=city)
    assert client.get(ATTACH).status_code == 403
    token = csrf(client, "/p/iam/")
    response = client.post(ATTACH, data={"csrf_token": token, "title": "x", "kind": "agreement",
                                         "file": (io.BytesIO(make_pdf()), "a.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 403 and stored(loaded)[0] == 0


# -- downloading -----------------------------------------------------------------------------------
@pytest.fixture
def attached(as_lead, loaded):
    """The demo project with one document (a PDF whose name has Finnish letters and a section sign)."""
    assert upload(as_lead, make_pdf(), "Päätös § 41.pdf", title="Päätös § 41", kind="decision").status_code == 302
    with loaded.app_context():
        return db.session.execute(select(Document)).scalar_one().id


def test_a_member_citys_contact_downloads_the_pdf(client, loaded, attached) -> None:
    login(client, loaded, sub="porvoo", role="contact", city="638")
    response = client.get(f"/p/iam/documents/{attached}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Paatos_41.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_accountants_and_admins_download(client, loaded, attached) -> None:
    for role, city in (("accountant", "109"), ("admin", None)):
        login(client, loaded, sub=role, role=role, city=city)
        assert client.get(f"/p/iam/documents/{attached}").status_code == 200, role


def test_a_contact_of_a_city_that_is_not_a_member_gets_403(client, loaded, attached) -> None:
    login(client, loaded, sub="helsinki", role="contact", city="091")
    response = client.get(f"/p/iam/documents/{attached}")
    assert response.status_code == 403 and b"%PDF" not in response.data
    page = client.get("/p/iam/").get_data(as_text=True)
    assert 'data-testid="documents-closed"' in page and f"/p/iam/documents/{attached}" not in page
    assert client.get("/api/v1/projects/iam/documents").status_code == 403


def test_anonymous_users_are_sent_to_log_in(loaded, attached) -> None:
    response = loaded.test_client().get(f"/p/iam/documents/{attached}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_document_of_another_project_or_none_is_404(client, loaded, attached) -> None:
    login(client, loaded, sub="porvoo", role="contact", city="638")
    assert client.get(f"/p/iam/documents/{attached + 1}").status_code == 404
    assert client.get(f"/p/nope/documents/{attached}").status_code == 404


def test_the_documents_as_json(client, loaded, attached) -> None:
    login(client, loaded, sub="porvoo", role="contact", city="638")
    [row] = client.get("/api/v1/projects/iam/documents").get_json()
    assert row["id"] == attached and row["kind"] == "decision" and row["change"] is None and row["withdrawn"] is False
    assert row["url"] == f"/p/iam/documents/{attached}" and len(row["sha256"]) == 64


# -- withdrawing -----------------------------------------------------------------------------------
def test_the_lead_withdraws_a_document_which_stays_listed_and_stored(as_lead, loaded, attached) -> None:
    url = f"/p/iam/documents/{attached}/withdraw"
    empty = as_lead.post(url, data={"csrf_token": csrf(as_lead, url), "reason": ""})
    assert empty.status_code == 400 and "Say why" in empty.get_data(as_text=True)
    response = as_lead.post(url, data={"csrf_token": csrf(as_lead, url), "reason": "the wrong decision was attached"})
    assert response.status_code == 302
    page = as_lead.get("/p/iam/").get_data(as_text=True)
    assert f'data-document="{attached}" class="withdrawn-document"' in page and "the wrong decision was attached" in page
    assert as_lead.get(f"/p/iam/documents/{attached}").status_code == 200  # never deleted
    with loaded.app_context():
        document = db.session.get(Document, attached)
        assert document.withdrawn_by.startswith("lead <") and document.withdrawn_reason == "the wrong decision was attached"
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "document-withdrawn")).scalar_one().details[
            "document"] == attached
    before = stored(loaded)
    again = as_lead.post(url, data={"csrf_token": csrf(as_lead, "/p/iam/"), "reason": "again"})
    assert again.status_code == 409 and stored(loaded) == before


def test_a_contact_may_not_withdraw(client, loaded, attached) -> None:
    login(client, loaded, sub="porvoo", role="contact", city="638")
    url = f"/p/iam/documents/{attached}/withdraw"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf(client, "/p/iam/"), "reason": "no"}).status_code == 403
