"""Project pages through the test client: who sees what, and changes made through the forms.

Real database (SQLite, and PostgreSQL when configured), the demo project, CSRF on. A refused
change must leave the audit log and the ledger exactly as they were.
"""

from __future__ import annotations

import re

import pytest

from ledger import municipalities as M
from ledger.allocation import Member
from tests.common.demo import shares_now, state
from tests.common.ledger import shares_of
from tests.common.web import cents, csrf, login, submit_change, table

BUDGET = 52_000_000


# -- reading -----------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_log_in(client, loaded) -> None:
    for url in ("/", "/p/iam/", "/p/iam/cities/638", "/p/iam/members/add"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_contact_sees_every_share_and_its_own_highlighted(as_contact, loaded) -> None:
    index = as_contact.get("/").get_data(as_text=True)
    assert "/p/iam/" in index and "Porvoo" in index
    own = re.search(r'data-testid="own-share">(.*?)</td>', index, re.S).group(1)
    assert cents(own) == shares_now(loaded)["638"]

    response = as_contact.get("/p/iam/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = table(html, "members")
    assert len(rows) == 17
    assert {code: cents(cells[4]) for code, cells in rows.items()} == shares_now(loaded)
    total = re.search(r'data-testid="total">(.*?)</th>', html).group(1)
    assert total == "520\u00a0000,00\u00a0€" and cents(total) == BUDGET
    assert 'class="own" data-city="638"' in html
    assert "/p/iam/cities/638" in html and "/p/iam/cities/109" not in html  # links only to its own history
    assert "/members/add" not in html and "withdraw" not in html
    assert "Recent changes" in html and "/p/iam/changes/" in html


def test_contact_opens_only_its_own_history(as_contact) -> None:
    response = as_contact.get("/p/iam/cities/638")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Porvoo (638)" in html and "Consortium agreement signed 15.12.2024" in html
    history = html.split('data-testid="history"')[1].split("</table>")[0]
    assert history.count("<tr") - 1 == 3  # joined, Hyvinkää joined, Lohja and Savonlinna joined
    assert "30\u00a0588,23\u00a0€" in html or "30\u00a0588,24\u00a0€" in html
    assert as_contact.get("/p/iam/cities/109").status_code == 403
    assert as_contact.get("/p/iam/cities/91").status_code == 403


@pytest.mark.parametrize("url", ["/p/iam/members/add", "/p/iam/members/638/withdraw", "/p/iam/settings"])
def test_contact_cannot_change(as_contact, loaded, url) -> None:
    before = state(loaded)
    assert as_contact.get(url).status_code == 403
    token = csrf(as_contact, "/p/iam/")  # the logout form's token is a valid session token
    response = submit_change(as_contact, url, {"csrf_token": token, "cities": ["091"], "joined": "2026-06-01", "left": "2026-06-01"})
    assert response.status_code == 403
    assert state(loaded) == before


def test_accountant_reads_every_history_but_cannot_add_members(as_accountant) -> None:
    assert as_accountant.get("/p/iam/cities/109").status_code == 200
    assert as_accountant.get("/p/iam/cities/638").status_code == 200
    assert as_accountant.get("/p/iam/members/add").status_code == 403
    assert as_accountant.get("/p/iam/settings").status_code == 403


def test_unknown_project_city_and_change_are_404(as_lead, loaded) -> None:
    assert as_lead.get("/p/nope/").status_code == 404
    assert as_lead.get("/p/iam/changes/99999").status_code == 404
    assert as_lead.get("/p/iam/members/091/withdraw").status_code == 404  # Helsinki is not a member
    assert as_lead.get("/p/iam/cities/999").status_code == 400             # no such municipality


# -- changing ----------------------------------------------------------------------------------------
def test_lead_adds_two_cities_in_one_change(as_lead, loaded) -> None:
    page = as_lead.get("/p/iam/members/add").get_data(as_text=True)
    assert page.count("<option") == 308 - 17
    assert '<option value="091">Helsinki (091)</option>' in page and 'value="638"' not in page
    before, old = state(loaded), shares_now(loaded)

    response = submit_change(as_lead, "/p/iam/members/add", {
        "csrf_token": csrf(as_lead, "/p/iam/members/add"), "cities": ["091", "837"],
        "joined": "2026-06-01", "decision": "KV 5/2026 § 12",
    })
    assert response.status_code == 302
    assert re.fullmatch(r"/p/iam/changes/\d+", response.headers["Location"])
    assert state(loaded) == (before[0] + 1, before[1] + 1, before[2] + 1)  # one change, one posting

    html = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Helsinki (091), Tampere (837) join on 2026-06-01" in html and "KV 5/2026 § 12" in html
    assert re.search(r'data-testid="posting">(\d+)<', html).group(1) == str(before[2] + 1)
    rows = table(html, "change-table")
    assert set(rows) == set(old) | {"091", "837"}
    for code, (_, _, before_cell, after_cell, diff_cell) in rows.items():
        assert cents(after_cell) - cents(before_cell) == cents(diff_cell)
        if code in ("091", "837"):
            assert cents(before_cell) == 0 and cents(after_cell) > 0
        else:
            assert cents(before_cell) == old[code] and cents(diff_cell) < 0  # every other city pays less
    assert html.count('class="changed"') == 19

    new = shares_now(loaded)
    assert len(new) == 19 and sum(new.values()) == BUDGET
    total = re.search(r'data-testid="total">(.*?)</th>', as_lead.get("/p/iam/").get_data(as_text=True)).group(1)
    assert cents(total) == BUDGET


def test_adding_a_member_twice_is_a_conflict_and_changes_nothing(as_lead, loaded) -> None:
    before = state(loaded)
    response = submit_change(as_lead, "/p/iam/members/add", {
        "csrf_token": csrf(as_lead, "/p/iam/members/add"), "cities": ["091", "638"], "joined": "2026-06-01"})
    assert response.status_code == 409
    assert "already a member: Porvoo (638)" in response.get_data(as_text=True)
    assert state(loaded) == before


def test_add_without_cities_or_date_is_a_form_error(as_lead, loaded) -> None:
    before = state(loaded)
    response = submit_change(as_lead, "/p/iam/members/add", {"csrf_token": csrf(as_lead, "/p/iam/members/add"), "joined": "tomorrow"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose at least one city." in html and "is not a date (YYYY-MM-DD)" in html
    assert state(loaded) == before


def test_withdraw_before_joining_is_refused_and_changes_nothing(as_lead, loaded) -> None:
    before, old = state(loaded), shares_now(loaded)
    url = "/p/iam/members/444/withdraw"  # Lohja joined on 2026-01-01
    response = submit_change(as_lead, url, {"csrf_token": csrf(as_lead, url), "left": "2025-12-31", "decision": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "the leave date 2025-12-31 is before Lohja joined (2026-01-01)" in html and 'data-testid="form-error"' in html
    assert state(loaded) == before and shares_now(loaded) == old


def test_withdraw_recalculates_the_others(as_lead, loaded) -> None:
    url = "/p/iam/members/444/withdraw"
    response = submit_change(as_lead, url, {"csrf_token": csrf(as_lead, url), "left": "2026-12-31", "decision": "Lohja KV 3/2026"})
    assert response.status_code == 302
    html = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lohja (444) leaves on 2026-12-31" in html
    rows = table(html, "change-table")
    # whole-term, a leaver keeps its years: Lohja shares 2025 and 2026, (80,000.00 + 150,000.00) / 17, and nothing after
    assert cents(rows["444"][3]) == 1_352_941
    new = shares_now(loaded)
    assert new["444"] == 1_352_941 and len(new) == 17 and sum(new.values()) == BUDGET
    page = as_lead.get("/p/iam/").get_data(as_text=True)
    assert "withdrawn" in page and "2026-12-31" in page


@pytest.mark.parametrize("budget, message", [("abc", "is not a number"), ("-5", "must not be negative"), ("1.234", "more than two decimals")])
def test_bad_budget_is_a_form_error(as_lead, loaded, budget, message) -> None:
    before = state(loaded)
    response = submit_change(as_lead, "/p/iam/settings", {"budget-csrf_token": csrf(as_lead, "/p/iam/settings", "budget"), "budget-budget": budget})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(loaded) == before


def test_budget_change_reallocates_everything(as_lead, loaded) -> None:
    response = submit_change(as_lead, "/p/iam/settings", {
        "budget-csrf_token": csrf(as_lead, "/p/iam/settings", "budget"), "budget-budget": "600 000,00", "budget-decision": "KH 1/2027"})
    assert response.status_code == 302
    html = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Budget changed from 520000.00 to 600000.00 EUR" in html
    assert sum(shares_now(loaded).values()) == 60_000_000


def test_rule_change_to_population_2025(as_lead, loaded) -> None:
    # A version governs the years from its effective date's year on: from 2025-01-01, the whole term.
    old = shares_now(loaded)
    response = submit_change(as_lead, "/p/iam/rules/rule", {
        "rule-csrf_token": csrf(as_lead, "/p/iam/rules", "rule"), "rule-kind": "population", "rule-population_year": "2025",
        "rule-effective": "2025-01-01"})
    assert response.status_code == 302
    new = shares_now(loaded)
    assert new != old and sum(new.values()) == BUDGET
    members = [Member(c, M.lookup(c, 2025).name, M.lookup(c, 2025).population) for c in new]
    assert new == shares_of(BUDGET, "population", members)
    html = as_lead.get("/p/iam/").get_data(as_text=True)
    assert 'data-testid="rule">population (2025)<' in html


def test_post_without_csrf_token_is_refused(as_lead, loaded) -> None:
    before = state(loaded)
    response = submit_change(as_lead, "/p/iam/members/add", {"cities": ["091"], "joined": "2026-06-01"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    response = submit_change(as_lead, "/p/iam/settings", {"budget-budget": "1.00", "budget-csrf_token": "forged"})
    assert response.status_code == 400
    assert state(loaded) == before


def test_admin_may_do_everything(client, loaded) -> None:
    login(client, loaded, sub="root", role="admin")
    for url in ("/", "/p/iam/", "/p/iam/cities/638", "/p/iam/members/add", "/p/iam/settings", "/p/iam/query"):
        assert client.get(url).status_code == 200, url


def test_settings_page_shows_the_current_values_beside_a_refused_form(as_lead, loaded) -> None:
    page = as_lead.get("/p/iam/settings").get_data(as_text=True)
    assert 'value="520000.00"' in page
    assert 'href="/p/iam/rules"' in page and 'href="/p/iam/budget"' in page  # the rule has its own page now
    response = submit_change(as_lead, "/p/iam/settings", {"budget-csrf_token": csrf(as_lead, "/p/iam/settings", "budget"), "budget-budget": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="abc"' in html and 'data-testid="form-error"' in html


def by_year(html: str) -> dict[tuple[str, str], tuple[int, int]]:
    """The change page's by-year table: (year, city name) to (before, after) in cents."""
    start = html.index('data-testid="change-cells"')
    body = html[start: html.index("</table>", start)]
    found = {}
    for year, city, before, after in re.findall(r"<tr><td>(\d*)</td><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", body):
        found[(year, city)] = (cents(before), cents(after))
    return found


def test_the_change_page_shows_each_moved_year_before_and_after(as_lead, loaded) -> None:
    """The record keeps each moved cell as cents; the page's years add up to the change's share table."""
    from portal.audit import AuditEvent
    from portal.extensions import db

    response = submit_change(as_lead, "/p/iam/members/add", {
        "csrf_token": csrf(as_lead, "/p/iam/members/add"), "cities": ["091"], "joined": "2026-06-01", "decision": "KV 5/2026",
    })
    html = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    years = by_year(html)
    assert years and all(before != after for before, after in years.values())
    for code, (_, _, before_cell, after_cell, _) in table(html, "change-table").items():
        moved = [after - before for (_, city), (before, after) in years.items() if city == f"{M.lookup(code).name} ({code})"]
        assert sum(moved) == cents(after_cell) - cents(before_cell), code
    event_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with loaded.app_context():
        event = db.session.get(AuditEvent, event_id)
        recorded = event.details
        assert all(isinstance(v, int) for row in recorded["year_cells"] for v in (row[0], row[2], row[3]))
        # A change recorded before the cells were kept as cents: objects of amounts written by fmt.
        old = AuditEvent(actor="lead", action=event.action, project_id=event.project_id, ledger_seq=event.ledger_seq)
        old.details = {k: v for k, v in recorded.items() if k != "year_cells"} | {"cells": [
            {"year": y, "city": c, "before": f"{b // 100}.{b % 100:02d}", "after": f"{a // 100}.{a % 100:02d}"}
            for y, c, b, a in recorded["year_cells"]]}
        db.session.add(old)
        db.session.commit()
        old_id = old.id
    assert by_year(as_lead.get(f"/p/iam/changes/{old_id}").get_data(as_text=True)) == years
