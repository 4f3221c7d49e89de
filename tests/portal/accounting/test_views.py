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
from tests.common.jobs import wait
from tests.common.processes import children
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
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with the BOM Excel needs
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["account", "balance"]
    balances = dict(rows[1:])
    assert balances["Income:Contributions"] == "-520000.00"  # a number, not "-520000.00 EUR"
    receivable = {E.code_of_account(a): b for a, b in balances.items() if E.code_of_account(a)}
    assert receivable == {code: f"{Decimal(c) / 100:.2f}" for code, c in shares_now(loaded).items()}


def test_query_csv_in_finnish_is_what_finnish_excel_reads(as_accountant, loaded) -> None:
    as_accountant.get("/language/fi?next=/")
    response = run_query(as_accountant, EXAMPLE_QUERY, url="/p/iam/query.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert response.data.startswith(b"\xef\xbb\xbf") and rows[0] == ["account", "balance"]
    assert dict(rows[1:])["Income:Contributions"] == "-520000,00"


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


BACKTRACKING = "SELECT account WHERE account ~ '^([A-Za-z:]+)*$!'"
BAD_QUERIES = [  # each gave a traceback or a 500 (issue 9), or ran half
    ("SELECT account WHERE account ~ '('", "invalid regular expression"),
    ("SELECT decimal('NaN') > 1", "invalid decimal operation"),
    ("SELECT round(number, 1000000000)", "invalid decimal operation"),
    ("SELECT decimal('1e999999') * decimal('1e999999')", "decimal overflow"),
    ("SELECT account; CREATE TABLE t (x int)", "several statements: only one query runs at a time"),
]


def query_error(response) -> str:
    return re.search(r'data-testid="query-error">(.*?)</p>', response.get_data(as_text=True), re.S).group(1)


def test_a_backtracking_regex_is_ended_and_the_worker_answers_the_next_request(as_accountant, loaded) -> None:
    loaded.config["PORTAL_QUERY_SECONDS"] = 0.5
    before = state(loaded)
    response = run_query(as_accountant, BACKTRACKING)
    assert response.status_code == 400
    assert query_error(response).startswith("the query ran longer than 0.5 s and was stopped; narrow it")
    assert children() == [] and state(loaded) == before
    assert run_query(as_accountant, EXAMPLE_QUERY).status_code == 200
    assert as_accountant.get("/p/iam/").status_code == 200


def test_a_query_over_its_memory_limit_is_ended_with_a_clear_message(as_accountant, loaded) -> None:
    loaded.config["PORTAL_QUERY_MEMORY_MB"] = 64
    response = run_query(as_accountant, "SELECT decimal('1e-99999999')")
    assert response.status_code == 400
    assert query_error(response).startswith("the query needed more memory than its limit of 64 MiB and was stopped")


@pytest.mark.parametrize("text, message", BAD_QUERIES)
def test_every_query_error_is_one_message_on_the_page_and_a_400_problem_in_the_api(as_accountant, loaded, text, message) -> None:
    before = state(loaded)
    page = run_query(as_accountant, text)
    assert page.status_code == 400 and message in query_error(page) and "Traceback" not in page.get_data(as_text=True)
    answer = as_accountant.get("/api/v1/projects/iam/query", query_string={"q": text})
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert message in answer.get_json()["detail"]
    assert state(loaded) == before


def test_the_query_api_answers_columns_and_cells_to_accountants_only(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    answer = client.get("/api/v1/projects/iam/query", query_string={"q": "SELECT account, sum(number) AS n "
                                                                         "WHERE account ~ 'Porvoo' GROUP BY account"})
    assert answer.status_code == 200 and answer.get_json()["columns"] == ["account", "n"]
    assert answer.get_json()["rows"] == [["Assets:Receivable:Members:Porvoo-638", f"{Decimal(shares_now(loaded)['638']) / 100:.2f}"]]
    login(client, loaded, sub="porvoo", role="contact", city="638")
    refused = client.get("/api/v1/projects/iam/query", query_string={"q": "SELECT 1"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


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
def uploaded(client, app, text: str, filename: str = "payments.beancount") -> tuple[dict, str]:
    """Upload, follow the redirect to the job's page, wait for the job: (its JSON, its page once done)."""
    response = upload(client, text, filename)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", location), location
    job = wait(app, int(location.rsplit("/", 1)[1]))
    return job, client.get(location).get_data(as_text=True)


def test_import_of_a_balanced_payment_runs_as_a_job(as_accountant, loaded) -> None:
    before = state(loaded)
    job, page = uploaded(as_accountant, loaded, PAYMENT)
    assert job["status"] == "done" and job["kind"] == "ledger-import"
    assert "Imported 1 transactions from payments.beancount as import 1 (posting 5)" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops refreshing itself
    change = re.search(r'<a href="(/p/iam/changes/[^"]+)">The change</a>', page).group(1)
    assert "Imported 1 transactions from payments.beancount (import 1)" in as_accountant.get(change).get_data(as_text=True)
    assert state(loaded) == (before[0] + 1, before[1] + 1, before[2] + 1)

    html = run_query(as_accountant, EXAMPLE_QUERY).get_data(as_text=True)
    assert '<td>Assets:Bank</td><td class="num">30588.24 EUR</td>' in html
    exported = as_accountant.get("/p/iam/export.beancount").get_data(as_text=True)
    assert 'imported-from: "payments.beancount"' in exported
    assert receivables(exported)["638"] == shares_now(loaded)["638"] - 3_058_824  # paid: the share is unchanged
    assert sum(shares_now(loaded).values()) == 52_000_000
    listed = as_accountant.get("/p/iam/import").get_data(as_text=True)
    row = re.search(r'<tr data-import="1">(.*?)</tr>', listed, re.S).group(1)
    assert "payments.beancount" in row and "acc" in row and ">1<" in row and "Revert…" in row


def test_unbalanced_import_fails_its_job_with_the_line_and_nothing_appended(as_accountant, loaded) -> None:
    before = state(loaded)
    job, page = uploaded(as_accountant, loaded, UNBALANCED, "bad.beancount")
    assert job["status"] == "failed" and job["error"].startswith("the import was refused; nothing was added")
    errors = re.findall(r"<li>(.*?)</li>", page[page.index('data-testid="job-error"'):])
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


def test_import_and_revert_need_a_csrf_token(as_accountant, loaded) -> None:
    response = as_accountant.post("/p/iam/import", data={"ledger": (io.BytesIO(PAYMENT.encode()), "p.beancount")},
                                  content_type="multipart/form-data")
    assert response.status_code == 400
    uploaded(as_accountant, loaded, PAYMENT)
    before = state(loaded)
    assert as_accountant.post("/p/iam/imports/1/revert", data={"reason": "x"}).status_code == 400
    assert state(loaded) == before


def test_contacts_cannot_upload(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    token = csrf(client, "/p/iam/import")
    login(client, loaded, sub="porvoo", role="contact", city="638")
    before = state(loaded)
    response = client.post("/p/iam/import", data={"csrf_token": token, "ledger": (io.BytesIO(PAYMENT.encode()), "p.beancount")},
                           content_type="multipart/form-data")
    assert response.status_code == 403 and state(loaded) == before


def test_contacts_and_leads_cannot_revert(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    uploaded(client, loaded, PAYMENT)
    token = csrf(client, "/p/iam/imports/1/revert")
    for role, city in (("contact", "638"), ("lead", "109")):
        login(client, loaded, sub=role, role=role, city=city)
        assert client.get("/p/iam/imports/1/revert").status_code == 403
        assert client.post("/p/iam/imports/1/revert", data={"csrf_token": token, "reason": "x"}).status_code == 403


def test_revert_button_confirms_with_a_reason_then_reverses(as_accountant, loaded) -> None:
    uploaded(as_accountant, loaded, PAYMENT)
    page = as_accountant.get("/p/iam/imports/1/revert").get_data(as_text=True)
    assert "Revert import 1 of" in page and "payments.beancount" in page and "Revert the import" in page
    token = csrf(as_accountant, "/p/iam/imports/1/revert")
    response = as_accountant.post("/p/iam/imports/1/revert", data={"csrf_token": token, "reason": " "})
    assert response.status_code == 400 and "Say why the import is reverted." in response.get_data(as_text=True)
    before = state(loaded)
    response = as_accountant.post("/p/iam/imports/1/revert", data={"csrf_token": token, "reason": "the wrong month"})
    assert response.status_code == 302
    job = wait(loaded, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job["status"] == "done" and job["result"]["summary"].startswith("Reverted import 1 (payments.beancount): 1 transactions")
    assert state(loaded) == (before[0] + 1, before[1] + 1, before[2] + 1)
    html = run_query(as_accountant, "SELECT account, sum(number) AS n WHERE account = 'Assets:Bank' GROUP BY account").get_data(as_text=True)
    assert '<td>Assets:Bank</td><td class="num">0.00</td>' in html
    page = as_accountant.get("/p/iam/imports/1/revert").get_data(as_text=True)
    assert 'data-testid="reverted"' in page and "the wrong month" in page and "Revert the import" not in page
    response = as_accountant.post("/p/iam/imports/1/revert", data={"csrf_token": token, "reason": "again"})
    assert response.status_code == 409 and "was reverted already" in response.get_data(as_text=True)
    assert as_accountant.get("/p/iam/imports/2/revert").status_code == 404
    assert as_accountant.get(f"/p/iam/imports/{10**20}/revert").status_code == 404
    listed = as_accountant.get("/p/iam/import").get_data(as_text=True)
    assert "the wrong month" in re.search(r'<tr data-import="1">(.*?)</tr>', listed, re.S).group(1)


def test_over_http_a_backtracking_regex_is_ended_and_the_server_answers_on(live_server) -> None:
    """A real threaded server, a real login: the query's child is ended, the request gets its 400, the next ones their pages."""
    from portal import demo
    from tests.common.devidp import grant_demo_users, log_in

    with live_server.app.app_context():
        demo.load()
    live_server.app.config["PORTAL_QUERY_SECONDS"] = 0.5
    grant_demo_users(live_server)
    s, _ = log_in(live_server, sub="accountant")
    html = s.get(f"{live_server.url}/p/iam/query").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = s.post(f"{live_server.url}/p/iam/query", data={"csrf_token": token, "query": BACKTRACKING},
                      headers={"Referer": f"{live_server.url}/p/iam/query"})
    assert response.status_code == 400 and "the query ran longer than 0.5 s and was stopped" in response.text
    assert s.get(f"{live_server.url}/p/iam/").status_code == 200
    answer = s.get(f"{live_server.url}/api/v1/projects/iam/query", params={"q": "SELECT count(*)"})
    assert answer.status_code == 200 and len(answer.json()["rows"]) == 1


REFUSED = """2026-02-01 open Assets:Bank EUR

2026-02-15 * "Porvoo" "Payment, mistyped"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Porvoo-638  -30588.42 EUR

2026-02-16 ! "Porvoo" "Pending" #fee
  Assets:Bank      1.00 EUR
  Assets:Unknown  -1.00 EUR
"""


def test_a_failed_imports_job_page_lists_its_problems_in_the_pages_language(as_accountant, loaded) -> None:
    """Each problem's line is worded in the page's language, the problem within it too; beancount's own words stay
    as it gives them; in English the lines read word for word as the core gave them."""
    import html

    before = state(loaded)
    job, _page = uploaded(as_accountant, loaded, REFUSED, "refused.beancount")
    assert job["status"] == "failed"

    def lines(language: str) -> list[str]:
        page = as_accountant.get(f"/jobs/{job['id']}", headers={"Accept-Language": language}).get_data(as_text=True)
        return [html.unescape(line) for line in re.findall(r"<li>(.*?)</li>", page[page.index('data-testid="job-error"'):])]

    english = ["line 3: 2026-02-15 'Payment, mistyped' does not balance: {'EUR': Decimal('-0.18')}",
               "line 3: Transaction does not balance: (-0.18 EUR)",
               "line 7: #fee entries are made by the portal and cannot be imported",
               "line 7: Invalid reference to unknown account 'Assets:Unknown'",
               "line 7: only cleared (*) transactions can be imported, not '!'"]
    assert lines("en") == english and job["result"]["errors"] == english
    assert lines("fi") == ["rivi 3: 2026-02-15 'Payment, mistyped' ei täsmää: {'EUR': Decimal('-0.18')}",
                           "rivi 3: Transaction does not balance: (-0.18 EUR)",
                           "rivi 7: #fee-kirjaukset tekee portaali, eikä niitä voi tuoda",
                           "rivi 7: Invalid reference to unknown account 'Assets:Unknown'",
                           "rivi 7: vain selvitettyjä (*) tapahtumia voi tuoda, ei '!'"]
    assert lines("sv") == ["rad 3: 2026-02-15 'Payment, mistyped' balanserar inte: {'EUR': Decimal('-0.18')}",
                           "rad 3: Transaction does not balance: (-0.18 EUR)",
                           "rad 7: #fee-poster görs av portalen och kan inte importeras",
                           "rad 7: Invalid reference to unknown account 'Assets:Unknown'",
                           "rad 7: bara avstämda (*) transaktioner kan importeras, inte '!'"]
    assert state(loaded) == before
