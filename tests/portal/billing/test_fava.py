"""Fava inside the portal (/p/<slug>/fava/): accountants and the lead only, read-only, the current ledger without a restart."""

from __future__ import annotations

import json
import re

from portal.billing import issuing
from tests.common.billing import D, with_seller
from tests.common.demo import state

QUERY = "SELECT account, sum(position) WHERE account ~ 'Invoiced' GROUP BY account"


def ledger_file(client) -> str:
    """Where Fava redirects its index to: the ledger's own prefix under the mount."""
    response = client.get("/p/iam/fava/")
    assert response.status_code == 302
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[0]


def accounts(html: str) -> set[str]:
    data = json.loads(re.search(r'<script type="application/json" id="ledger-data">(.*?)</script>', html, re.S).group(1))
    return set(data["accounts"])


def test_the_mount_answers_an_accountant_with_fava_behind_the_portals_session(as_accountant) -> None:
    base = ledger_file(as_accountant)
    page = as_accountant.get(f"{base}/income_statement/")
    assert page.status_code == 200 and "style-src 'self' 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert 'src="/p/iam/fava/static/app.js' in html and "Assets:Receivable:Members:Porvoo-638" in accounts(html)
    assert as_accountant.get("/p/iam/fava/static/app.js").status_code == 200
    balances = as_accountant.get(f"{base}/api/income_statement?time=2025")
    assert balances.status_code == 200 and balances.json["data"]["charts"]


def test_the_lead_may_others_get_403_and_no_session_goes_to_login(client, loaded, as_contact) -> None:
    assert as_contact.get("/p/iam/fava/").status_code == 403
    assert as_contact.get("/p/iam/fava/static/app.js").status_code == 403
    fresh = loaded.test_client()
    assert fresh.get("/p/iam/fava/").status_code in (302, 401)


def test_fava_answers_the_lead(as_lead) -> None:
    assert as_lead.get(f"{ledger_file(as_lead)}/balance_sheet/").status_code == 200


WRITES = [("post", "api/add_entries"), ("put", "api/source"), ("put", "api/add_document"), ("delete", "api/document"),
          ("put", "api/upload_import_file"), ("post", "income_statement/"), ("patch", "api/source")]
NOT_SERVED = ["editor/", "import/", "documents/", "api/source", "api/source_slice?entry_hash=x", "api/extract?filename=x&importer=y",
              "document/?filename=/etc/passwd", "statement/?entry_hash=x&key=y", "extension/x/", "api/imports", "api/format_source"]


def test_every_write_to_favas_api_is_refused_and_nothing_changes(as_accountant, loaded) -> None:
    base = ledger_file(as_accountant)
    before = state(loaded)
    for method, path in WRITES:
        response = getattr(as_accountant, method)(f"{base}/{path}", json={"file_path": "x", "source": "", "sha256sum": ""})
        assert response.status_code == 405, (method, path)
        assert state(loaded) == before


def test_the_editor_imports_documents_and_extensions_are_not_served(as_accountant) -> None:
    base = ledger_file(as_accountant)
    for path in NOT_SERVED:
        assert as_accountant.get(f"{base}/{path}").status_code == 403, path


def test_favas_queries_only_read(as_accountant) -> None:
    base = ledger_file(as_accountant)
    assert as_accountant.get(f"{base}/api/query", query_string={"query_string": "SELECT count(*)"}).status_code == 200
    for text in (".output /tmp/x", "CREATE TABLE t (x int) USING 'csv:/etc/passwd'", "SELECT 1; SELECT 2"):
        refused = as_accountant.get(f"{base}/api/query", query_string={"query_string": text})
        assert refused.status_code == 400 and refused.mimetype == "application/problem+json", text
    download = as_accountant.get(f"{base}/download-query/query_result.csv", query_string={"query_string": ".output /tmp/x"})
    assert download.status_code == 400


def test_a_posting_made_after_fava_was_loaded_shows_without_a_restart(as_accountant, loaded) -> None:
    base = ledger_file(as_accountant)
    first = accounts(as_accountant.get(f"{base}/balance_sheet/").get_data(as_text=True))
    assert not any(a.startswith("Assets:Receivable:Invoiced") for a in first)
    with loaded.app_context():
        with_seller()
        issuing.issue("iam", year=2025, date=D(2025, 2, 1), actor="acc")
    now = accounts(as_accountant.get(f"{base}/balance_sheet/").get_data(as_text=True))
    assert "Assets:Receivable:Invoiced:Porvoo-638" in now
    rows = as_accountant.get(f"{base}/api/query", query_string={"query_string": QUERY}).json["data"]["rows"]
    assert len(rows) == 17


def test_a_path_of_any_characters_is_passed_to_fava_as_wsgi_bytes_never_a_500(as_accountant) -> None:
    """Arabic-Indic digits, a byte order mark, invalid UTF-8: Fava answers (a page, a redirect, its 404), the portal never fails."""
    base = ledger_file(as_accountant)
    for tail in ("%D9%A1%D9%A2%D9%A3", "%EF%BB%BF2026", "a%FFb", "%F0%9D%84%9E", "%E2%80%AErtl"):
        for url in (f"/p/iam/fava/{tail}", f"{base}/account/{tail}/"):
            response = as_accountant.get(url)
            assert response.status_code < 500, url
            assert response.status_code not in (301, 302, 307, 308) or "/p/iam/fava/" in response.headers["Location"], url
    page = as_accountant.get(f"{base}/account/Assets:Receivable:Members:Porvoo-638/")
    assert page.status_code == 200 and "Porvoo-638" in page.get_data(as_text=True)
