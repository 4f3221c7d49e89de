"""The accountant's pages: BQL queries and their CSV, the .beancount export, the all-or-nothing import."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from ledger import entries as E
from portal.accounting.forms import EXAMPLE_QUERY
from tests.common.demo import shares_now, state
from tests.common.web import cents, csrf, login, table

PAYMENT = """2026-02-01 open Assets:Bank EUR

2026-02-15 * "Porvoo" "Payment of the 2026 share"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Porvoo-638  -30588.24 EUR
"""
UNBALANCED = """2026-02-01 open Assets:Bank EUR

2026-02-15 * "Porvoo" "Payment, mistyped"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Porvoo-638  -30588.42 EUR
"""





def run_query(client, text: str, url: str = "/p/iam/query"):
    return client.post(url, data={"csrf_token": csrf(client, "/p/iam/query"), "query": text})


def upload(client, text: str, filename: str = "payments.beancount"):
    return client.post("/p/iam/import", data={
        "csrf_token": csrf(client, "/p/iam/import"), "ledger": (io.BytesIO(text.encode()), filename),
    }, content_type="multipart/form-data")


# -- who ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role, city", [("contact", "638"), ("lead", "109")])
def test_only_accountants_use_the_ledger_tools(client, loaded, role, city) -> None:
    login(client, loaded, sub=role, role=role, city=city)
    for url in ("/p/iam/query", "/p/iam/export.beancount", "/p/iam/import"):
        assert client.get(url).status_code == 403, url
    token = csrf(client, "/p/iam/")
    assert client.post("/p/iam/query", data={"csrf_token": token, "query": EXAMPLE_QUERY}).status_code == 403
    assert client.post("/p/iam/query.csv", data={"csrf_token": token, "query": EXAMPLE_QUERY}).status_code == 403


def test_anonymous_export_is_sent_to_log_in(client, loaded) -> None:
    response = client.get("/p/iam/export.beancount")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- queries -----------------------------------------------------------------------------------------
def test_query_page_is_prefilled_and_runs(as_accountant, loaded) -> None:
    page = as_accountant.get("/p/iam/query").get_data(as_text=True)
    assert EXAMPLE_QUERY in page and "Download CSV" in page and 'formaction="/p/iam/query.csv"' in page
    response = run_query(as_accountant, EXAMPLE_QUERY)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<th>account</th><th class="num">balance</th>' in html
    porvoo = re.search(r'<td>Assets:Receivable:Members:Porvoo-638</td><td class="num">([^<]+)</td>', html).group(1)
    assert porvoo == f"{Decimal(shares_now(loaded)['638']) / 100:.2f} EUR"
    assert '<td>Income:Contributions</td><td class="num">-520000.00 EUR</td>' in html


def test_query_csv_download(as_accountant, loaded) -> None:
    response = run_query(as_accountant, EXAMPLE_QUERY, url="/p/iam/query.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="iam-query.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["account", "balance"]
    balances = dict(rows[1:])
    assert balances["Income:Contributions"] == "-520000.00 EUR"
    receivable = {E.code_of_account(a): b for a, b in balances.items() if E.code_of_account(a)}
    assert receivable == {code: f"{Decimal(c) / 100:.2f} EUR" for code, c in shares_now(loaded).items()}


@pytest.mark.parametrize("template, message", [
    ("CREATE TABLE t (x int) USING 'csv:{path}'", "CREATETABLE statements are not allowed"),
    (".output {path}", "shell commands such as .output are not available here"),
    ("SELEC", "syntax error"),
    ("SELECT nosuchcolumn", "the query cannot run"),
])
def test_forbidden_or_malformed_queries_are_refused(as_accountant, tmp_path: Path, template, message) -> None:
    target = tmp_path / "stolen.csv"
    text = template.format(path=target)
    for url in ("/p/iam/query", "/p/iam/query.csv"):
        response = run_query(as_accountant, text, url=url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert response.mimetype == "text/html"
        error = re.search(r'data-testid="query-error">(.*?)</p>', html, re.S).group(1)
        assert message.lower() in error.lower(), error
    assert not target.exists()


def test_empty_query_is_a_form_error(as_accountant) -> None:
    response = run_query(as_accountant, "   ")
    assert response.status_code == 400 and "Write a query." in response.get_data(as_text=True)


# -- export ------------------------------------------------------------------------------------------
def receivables(text: str) -> dict[str, int]:
    """Each member's receivable balance in cents, from a loaded beancount file."""
    entries, errors, options = loader.load_string(text)
    assert errors == [], errors
    assert options["title"] == "Mid-sized cities' IAM project 2025–2029"
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if code := E.code_of_account(posting.account):
                    totals[code] += int(posting.units.number * 100)
    return dict(totals)


def test_export_is_a_valid_ledger_matching_the_shares_shown(as_accountant, loaded) -> None:
    response = as_accountant.get("/p/iam/export.beancount")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="iam.beancount"'
    shown = {code: cents(cells[4]) for code, cells in table(as_accountant.get("/p/iam/").get_data(as_text=True), "members").items()}
    assert len(shown) == 17
    assert receivables(response.get_data(as_text=True)) == shown


# -- import ------------------------------------------------------------------------------------------
def test_import_of_a_balanced_payment(as_accountant, loaded) -> None:
    before = state(loaded)
    response = upload(as_accountant, PAYMENT)
    assert response.status_code == 302
    page = as_accountant.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 1 transactions from payments.beancount" in page
    assert state(loaded) == (before[0] + 1, before[1] + 1, before[2] + 1)

    html = run_query(as_accountant, EXAMPLE_QUERY).get_data(as_text=True)
    assert '<td>Assets:Bank</td><td class="num">30588.24 EUR</td>' in html
    exported = as_accountant.get("/p/iam/export.beancount").get_data(as_text=True)
    assert 'imported-from: "payments.beancount"' in exported
    assert receivables(exported)["638"] == shares_now(loaded)["638"] - 3_058_824  # paid: the share is unchanged
    assert sum(shares_now(loaded).values()) == 52_000_000


def test_unbalanced_import_is_refused_with_its_line_and_nothing_appended(as_accountant, loaded) -> None:
    before = state(loaded)
    response = upload(as_accountant, UNBALANCED, "bad.beancount")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "the import was refused; nothing was added" in html
    errors = re.findall(r"<li>(.*?)</li>", html[html.index('data-testid="form-error"'):])
    assert errors and errors[0].startswith("line 3:"), errors
    assert state(loaded) == before
    assert "Assets:Bank" not in as_accountant.get("/p/iam/export.beancount").get_data(as_text=True)


def test_import_needs_a_utf8_file(as_accountant, loaded) -> None:
    before = state(loaded)
    response = as_accountant.post("/p/iam/import", data={"csrf_token": csrf(as_accountant, "/p/iam/import")},
                                  content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a .beancount file." in response.get_data(as_text=True)
    response = as_accountant.post("/p/iam/import", data={
        "csrf_token": csrf(as_accountant, "/p/iam/import"), "ledger": (io.BytesIO(b"\xff\xfe2026"), "x.beancount")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "is not UTF-8 text" in response.get_data(as_text=True)
    assert state(loaded) == before
