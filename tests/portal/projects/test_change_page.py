"""The change page as an official reads it (issue 12 defects): the budget, minus each funding, = what
the members share; current members counted apart from withdrawn rows; users named, not identities."""

from __future__ import annotations

from tests.common.web import cents, csrf, submit_change


def _grant(client, year: str, amount: str, text: str):
    data = {"grant-year": year, "grant-amount": amount, "grant-text": text,
            "grant-csrf_token": csrf(client, "/p/iam/funding", "grant")}
    response = submit_change(client, "/p/iam/funding/grant", data)
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_change_page_explains_budget_minus_funding(as_lead, loaded) -> None:
    html = _grant(as_lead, "2026", "10000.00", "EU Digital")
    assert 'data-testid="budget-funding"' in html
    section = html.split('data-testid="budget-funding"')[1].split("</table>")[0]
    assert "EU Digital (2026)" in section
    assert "= What the members share" in html
    budget = cents(html.split('data-testid="budget">')[1].split("<")[0])
    shared = cents(html.split('data-testid="shared">')[1].split("<")[0])
    assert budget - shared == 1_000_000


def test_withdrawn_rows_are_counted_apart_and_actor_is_a_name(as_lead, loaded) -> None:
    url = "/p/iam/members/444/withdraw"
    response = submit_change(as_lead, url, {"csrf_token": csrf(as_lead, url), "left": "2026-12-31", "decision": "Lohja KV 3/2026"})
    html = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    rule = html.split('data-testid="rule">')[1].split("</dd>")[0]
    assert "16 current members" in rule and "1 withdrawn or former members still listed" in rule
    actor = html.split('data-testid="actor"')[1].split("</dd>")[0]
    shown = actor.split(">", 1)[1]
    assert "&lt;" not in shown and "@" not in shown and "title=" in actor
    page = as_lead.get("/p/iam/").get_data(as_text=True)
    recent = page.split('data-testid="recent"')[1].split("</table>")[0]
    assert "&lt;" not in "".join(part.split(">", 1)[-1] for part in recent.split("<td")[1:])


def test_city_page_has_a_chart_with_its_table(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/cities/638").get_data(as_text=True)
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    years = html.split('data-testid="years"')[1].split("</table>")[0]
    assert 'data-year="2026"' in years and "€" in years


def test_withdrawn_city_page_is_marked_with_its_dates(as_lead, loaded) -> None:
    url = "/p/iam/members/444/withdraw"
    submit_change(as_lead, url, {"csrf_token": csrf(as_lead, url), "left": "2026-12-31", "decision": "Lohja KV 3/2026"})
    html = as_lead.get("/p/iam/cities/444").get_data(as_text=True)
    assert 'data-testid="withdrawn"' in html and "31.12.2026" in html
    assert 'data-testid="membership"' in html
    api = as_lead.get("/api/v1/projects/iam/shares").get_json()
    lohja = next(row for row in api if row["city"] == "444")
    assert lohja["withdrawn"] is True and lohja["left"] == "2026-12-31"


def test_explanation_starts_with_a_summary_in_words(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True)
    summary = html.split('data-testid="summary">')[1].split("</p>")[0]
    assert summary.startswith("In short: Porvoo pays") and "€" in summary
    assert html.index('data-testid="summary"') < html.index("<details", html.index("<main"))  # the menu's own <details> is above


def test_project_page_counts_current_members_apart_from_withdrawn(as_lead, loaded) -> None:
    url = "/p/iam/members/444/withdraw"
    submit_change(as_lead, url, {"csrf_token": csrf(as_lead, url), "left": "2026-12-31", "decision": "Lohja KV 3/2026"})
    html = as_lead.get("/p/iam/").get_data(as_text=True)
    count = html.split('data-testid="member-count">')[1].split("</dd>")[0]
    assert "current members" in count and "1 withdrawn or former members still listed" in count
